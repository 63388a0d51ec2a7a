import Dispatch
import FaceModel
import Foundation
import Tensor

/// ∂L/∂(inputs) of a rendered frame, for an upstream image gradient ∂L/∂I_r.
public struct RenderGradients: Sendable {
    /// ∂L/∂v, N×3, for the model-space positions given to `render`.
    public var positions: [Float]
    /// ∂L/∂s, ∂L/∂t and ∂L/∂R of the camera (∂L/∂R = Σᵢ ∂L/∂(R vᵢ) vᵢᵀ, a 3×3 matrix; project
    /// it onto the rotation's tangent space to update R).
    public var cameraScale: Float
    public var cameraTranslation: SIMD2<Float>
    public var cameraRotation: Mat3
    /// ∂L/∂l, 27 (9 bands × RGB, `SphericalHarmonics` layout).
    public var lighting: [Float]
    /// ∂L/∂A, the albedo texture's shape (d×d×3).
    public var albedo: [Float]
    /// ∂L/∂D, the displacement map's shape; nil without a displacement map.
    public var displacement: [Float]?
}

extension Renderer {
    /// The backward pass at fixed visibility: every covered pixel keeps its triangle, and the
    /// derivatives flow through its barycentrics (b = M⁻¹[p; 1], so moving corner j by δ changes
    /// b by −b_j·M⁻¹[δ; 0]), the interpolated UVs and normals, the bump-mapped normal, the SH
    /// shading and the bilinear texture lookups. Background pixels contribute nothing; silhouette
    /// motion is not differentiated (no soft edges).
    ///
    /// - Parameter imageGradient: ∂L/∂I_r, H×W×3 (e.g. from `PhotometricLoss`).
    public func backward(mesh: RenderMesh, scene: RenderScene, output: RenderOutput,
                         imageGradient: [Float]) throws -> RenderGradients {
        guard imageGradient.count == width * height * 3 else {
            throw RenderError.shapeMismatch("image gradient has \(imageGradient.count) values, expected \(width * height * 3)")
        }
        guard output.rasterization.width == width, output.rasterization.height == height,
              output.vertexNormals.normals.count == mesh.positions.count,
              output.rasterization.setup.count == 6 * mesh.triangleCount else {
            throw RenderError.shapeMismatch("the render output does not belong to this renderer and mesh")
        }
        let modelMesh = mesh, rotation = scene.camera.rotation
        let (mesh, scene) = cameraSpace(modelMesh, scene)
        let k = output.rasterization.coveredPixels.count
        let chunks = max(1, min(k, ProcessInfo.processInfo.activeProcessorCount))
        let shapes = GradientShapes(vertices: mesh.vertexCount, triangles: mesh.triangleCount,
                                    albedo: scene.albedo.data.count, displacement: scene.displacement?.data.count ?? 0)
        let accumulators = (0..<chunks).map { _ in GradientAccumulator(shapes) }
        if k > 0 {
            withFragmentContext(mesh: mesh, scene: scene, raster: output.rasterization,
                                normals: output.vertexNormals, frames: output.frames) { ctx in
                let saved = [output.uv, output.normal, output.albedo, output.shading, output.smoothNormal,
                             output.normalLength, output.displacementSlope, imageGradient]
                withPointers(saved) { sp in
                    let forward = SavedFragments(uv: sp[0], normal: sp[1], albedo: sp[2], shading: sp[3],
                                                 smoothNormal: sp[4], normalLength: sp[5], slope: sp[6],
                                                 imageGradient: sp[7])
                    let sinks = accumulators.map(\.pointers)
                    Compute.concurrentPerform(iterations: chunks) { chunk in
                        for f in (k * chunk / chunks)..<(k * (chunk + 1) / chunks) {
                            backwardFragment(f, ctx: ctx, saved: forward, into: sinks[chunk])
                        }
                    }
                }
            }
        }
        for other in accumulators.dropFirst() { accumulators[0].add(other) }
        var gradients = finish(accumulators[0], mesh: mesh, scene: scene, output: output)
        // g_v = Rᵀ g_c and ∂L/∂R = Σᵢ g_cᵢ vᵢᵀ (also at R = I, where a fit starts).
        var gR = Mat3.zero
        let rT = rotation.transposed, rotated = rotation != .identity
        for i in 0..<modelMesh.vertexCount {
            let gc = load(gradients.positions, i), v = modelMesh.position(i)
            gR = gR + Mat3(rows: gc.x * v, gc.y * v, gc.z * v)
            if rotated {
                let gv = rT * gc
                for c in 0..<3 { gradients.positions[3 * i + c] = gv[c] }
            }
        }
        gradients.cameraRotation = gR
        return gradients
    }

    /// Chains the accumulated screen-space, vertex-normal and tangent-frame gradients to the
    /// positions and camera: x_j = s·v_{j,x} + t_x, y_j = −s·v_{j,y} + t_y.
    private func finish(_ acc: GradientAccumulator, mesh: RenderMesh, scene: RenderScene,
                        output: RenderOutput) -> RenderGradients {
        let s = scene.camera.scale
        var gPositions = [Float](repeating: 0, count: mesh.positions.count)
        var gScale: Float = 0
        var gT = SIMD2<Float>(0, 0)
        for i in 0..<mesh.vertexCount {
            let gx = acc.screen[2 * i], gy = acc.screen[2 * i + 1]
            gPositions[3 * i] = s * gx
            gPositions[3 * i + 1] = -s * gy
            gScale += gx * mesh.positions[3 * i] - gy * mesh.positions[3 * i + 1]
            gT += SIMD2(gx, gy)
        }
        output.vertexNormals.backward(normalGradient: Array(acc.vertexNormal), positions: mesh.positions,
                                      triangles: mesh.triangles, into: &gPositions)
        output.frames?.backward(mesh: mesh, gradient: Array(acc.frames), into: &gPositions)
        return RenderGradients(positions: gPositions, cameraScale: gScale, cameraTranslation: gT,
                               cameraRotation: .zero, lighting: Array(acc.lighting), albedo: Array(acc.albedo),
                               displacement: scene.displacement == nil ? nil : Array(acc.displacement))
    }
}

/// The chain rule for one fragment (see `Renderer.backward` and `Renderer` for the forward maths).
private func backwardFragment(_ f: Int, ctx: FragmentContext, saved: SavedFragments, into acc: AccumulatorPointers) {
    let p = Int(ctx.covered[f])
    let g = load(saved.imageGradient, p)
    if g == .zero { return }
    let t = Int(ctx.triangleIndex[p])
    let b = SIMD3(ctx.bary[3 * p], ctx.bary[3 * p + 1], ctx.bary[3 * p + 2])
    let uv = SIMD2(saved.uv[2 * f], saved.uv[2 * f + 1])
    let a = load(saved.albedo, f), s = load(saved.shading, f), n = load(saved.normal, f)

    // Albedo: I = A ⊙ s.
    let gA = g * s
    let tap = ctx.albedo.tap(u: uv.x, v: uv.y)
    var dAdx: Float = 0, dAdy: Float = 0
    for c in 0..<3 {
        tap.scatter(acc.albedo, channels: 3, channel: c, gA[c] * tap.weights)
        let texels = tap.gather(ctx.albedo.data, channels: 3, channel: c)
        dAdx += gA[c] * (texels * tap.weightsDx).sum()
        dAdy += gA[c] * (texels * tap.weightsDy).sum()
    }
    var gUV = SIMD2(Float(ctx.albedo.width) * dAdx, -Float(ctx.albedo.height) * dAdy)

    // Lighting: s_c = Σₖ l_{k,c} Hₖ(n̂).
    let gs = g * a
    SphericalHarmonics.basis(n, constants: ctx.shConstants).accumulate(into: acc.lighting, gs)
    let gn = SphericalHarmonics.basisGradient(n, weights: SHBasis.weights(ctx.lighting, gs),
                                              constants: ctx.shConstants)
    // n̂ = m/|m|.
    let gm = (gn - n * dot(n, gn)) / saved.normalLength[f]
    let ns = SIMD3(saved.smoothNormal[4 * f], saved.smoothNormal[4 * f + 1], saved.smoothNormal[4 * f + 2])
    var gns = gm
    if let disp = ctx.displacement, let frame = ctx.frame(t) {
        let du = saved.slope[2 * f], dv = saved.slope[2 * f + 1], j = frame.jacobian
        let a1 = cross(ns, frame.pv), a2 = cross(frame.pu, ns)
        let gDu = dot(gm, a1) / j, gDv = dot(gm, a2) / j
        gns += (du / j) * cross(frame.pv, gm) + (dv / j) * cross(gm, frame.pu)
        let fr = acc.frames + 7 * t
        let gpu = (dv / j) * cross(ns, gm), gpv = (du / j) * cross(gm, ns)
        fr[0] += gpu.x; fr[1] += gpu.y; fr[2] += gpu.z
        fr[3] += gpv.x; fr[4] += gpv.y; fr[5] += gpv.z
        fr[6] -= dot(gm, du * a1 + dv * a2) / (j * j)
        // D_u = W·∂D/∂x, D_v = −H·∂D/∂y of the bilinear D.
        let dt = disp.tap(u: uv.x, v: uv.y)
        let w = Float(disp.width), h = Float(disp.height)
        dt.scatter(acc.displacement, channels: 1, channel: 0, gDu * w * dt.weightsDx - gDv * h * dt.weightsDy)
        let dxy = (dt.gather(disp.data, channels: 1, channel: 0) * BilinearTap.weightsDxy).sum()
        gUV += SIMD2(-gDv * w * h * dxy, -gDu * w * h * dxy)
    }
    // n_s = ñ/|ñ|, ñ = Σᵢ bᵢ Nᵢ.
    let gnTilde = (gns - ns * dot(ns, gns)) / saved.smoothNormal[4 * f + 3]
    let (i0, i1, i2) = ctx.corners(t)
    add(acc.vertexNormal, i0, b.x * gnTilde)
    add(acc.vertexNormal, i1, b.y * gnTilde)
    add(acc.vertexNormal, i2, b.z * gnTilde)
    let gb = SIMD3(dot(load(ctx.vertexNormals, i0), gnTilde) + dot(ctx.uvCorner(t, 0), gUV),
                   dot(load(ctx.vertexNormals, i1), gnTilde) + dot(ctx.uvCorner(t, 1), gUV),
                   dot(load(ctx.vertexNormals, i2), gnTilde) + dot(ctx.uvCorner(t, 2), gUV))
    // b(p) from the screen corners: ∂L/∂x_j = −b_j·(Σᵢ gbᵢ ∂bᵢ/∂x, Σᵢ gbᵢ ∂bᵢ/∂y).
    let st = ctx.setup + 6 * t
    let wx = (gb.y - gb.x) * st[2] + (gb.z - gb.x) * st[4]
    let wy = (gb.y - gb.x) * st[3] + (gb.z - gb.x) * st[5]
    acc.screen[2 * i0] -= b.x * wx; acc.screen[2 * i0 + 1] -= b.x * wy
    acc.screen[2 * i1] -= b.y * wx; acc.screen[2 * i1 + 1] -= b.y * wy
    acc.screen[2 * i2] -= b.z * wx; acc.screen[2 * i2 + 1] -= b.z * wy
}

@inline(__always) func dot(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { (a * b).sum() }

struct SavedFragments: @unchecked Sendable {
    let uv, normal, albedo, shading, smoothNormal, normalLength, slope, imageGradient: UnsafePointer<Float>
}

struct GradientShapes {
    let vertices: Int, triangles: Int, albedo: Int, displacement: Int
}

/// One worker's private gradient sums (merged after the parallel loop, so no atomics). The
/// buffers are allocated zeroed and freed with the accumulator.
final class GradientAccumulator {
    let screen, vertexNormal, frames, lighting, albedo, displacement: UnsafeMutableBufferPointer<Float>

    init(_ s: GradientShapes) {
        func zeros(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            b.initialize(repeating: 0)
            return UnsafeMutableBufferPointer(rebasing: b[0..<n])
        }
        screen = zeros(2 * s.vertices)
        vertexNormal = zeros(3 * s.vertices)
        frames = zeros(7 * s.triangles)
        lighting = zeros(27)
        albedo = zeros(s.albedo)
        displacement = zeros(s.displacement)
    }

    deinit {
        for b in [screen, vertexNormal, frames, lighting, albedo, displacement] { b.baseAddress!.deallocate() }
    }

    func add(_ o: GradientAccumulator) {
        for (mine, theirs) in [(screen, o.screen), (vertexNormal, o.vertexNormal), (frames, o.frames),
                               (lighting, o.lighting), (albedo, o.albedo), (displacement, o.displacement)] {
            for i in mine.indices { mine[i] += theirs[i] }
        }
    }

    var pointers: AccumulatorPointers {
        AccumulatorPointers(screen: screen.baseAddress!, vertexNormal: vertexNormal.baseAddress!,
                            frames: frames.baseAddress!, lighting: lighting.baseAddress!,
                            albedo: albedo.baseAddress!, displacement: displacement.baseAddress!)
    }
}

struct AccumulatorPointers: @unchecked Sendable {
    let screen, vertexNormal, frames, lighting, albedo, displacement: UnsafeMutablePointer<Float>
}
