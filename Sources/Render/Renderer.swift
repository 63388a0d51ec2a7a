import Dispatch
import FaceModel
import Foundation
import Tensor

/// Everything besides the mesh that determines a rendered image (the paper's c, l, A, D).
public struct RenderScene: Sendable {
    /// Orthographic camera c = (s, t) (and rotation R, usually identity); s must be positive.
    public var camera: OrthoCamera
    /// SH lighting l, 9×3.
    public var lighting: SphericalHarmonics
    /// Albedo texture A, d×d×3 in [0, 1], sampled bilinearly through the mesh UVs.
    public var albedo: TextureMap
    /// Optional displacement map D (1 channel, model units along the normal, the paper uses
    /// D ∈ [−0.01, 0.01]); it perturbs the shading normals (see `Renderer`).
    public var displacement: TextureMap?
    /// Optional face/skin mask in UV space (1 channel); a covered pixel is in the loss mask when
    /// the mask sampled at its UV is ≥ ½. Without it every covered pixel is.
    public var skinMask: TextureMap?
    /// Optional W×H×3 image (e.g. the photo) composited behind the face; black when absent.
    public var background: TextureMap?

    public init(camera: OrthoCamera, lighting: SphericalHarmonics = .studio, albedo: TextureMap,
                displacement: TextureMap? = nil, skinMask: TextureMap? = nil, background: TextureMap? = nil) {
        self.camera = camera
        self.lighting = lighting
        self.albedo = albedo
        self.displacement = displacement
        self.skinMask = skinMask
        self.background = background
    }
}

/// A rendered frame and what the backward pass needs from the forward pass.
public struct RenderOutput: Sendable {
    /// The composited image, H×W×3: the shaded face where covered, the background elsewhere.
    public let image: TextureMap
    /// The loss mask, H×W ∈ {0, 1}: covered and inside the skin mask.
    public let mask: [Float]
    public let rasterization: Rasterization
    /// Per covered pixel (in `rasterization.coveredPixels` order): UV (K×2), unit shading normal
    /// n̂ in camera space (K×3), albedo sample (K×3), SH shading (K×3).
    public let uv: [Float]
    public let normal: [Float]
    public let albedo: [Float]
    public let shading: [Float]
    // Saved for the backward pass.
    let vertexNormals: VertexNormals
    let smoothNormal: [Float]      // K×4: n_s (unit interpolated normal) and |ñ|
    let normalLength: [Float]      // K: |m|
    let displacementSlope: [Float] // K×2: D_u, D_v (zero without displacement)
    let frames: TangentFrames?
}

/// Forward rendering of the paper's image formation (§3.1):
///     I_r(p) = A(uv(p)) ⊙ Σₖ lₖ Hₖ(n̂(p))   where a triangle covers p, else the background,
/// with uv(p) = Σᵢ bᵢ uvᵢ and the smooth normal n_s = normalize(Σᵢ bᵢ Nᵢ) from area-weighted vertex
/// normals. With a displacement map D (§3.3) the surface P' = P + D·n is bump-mapped:
///     m = n_s + (D_u (n_s × P_v) + D_v (P_u × n_s)) / J,   n̂ = m / |m|
/// where P_u, P_v are the triangle's position derivatives along the UV axes, J = (P_u × P_v)·n_face
/// and D_u, D_v the UV derivatives of the bilinear D (terms in D·∂n are dropped; |D| ≤ 1 cm).
/// Displacements change shading only, not the silhouette (as in DECA's detail rendering).
public struct Renderer: Sendable {
    public let width: Int
    public let height: Int
    public var culling: FaceCulling

    public init(width: Int = 256, height: Int = 256, culling: FaceCulling = .backFaces) throws {
        guard (1...8192).contains(width), (1...8192).contains(height) else {
            throw RenderError.invalidImageSize(width: width, height: height)
        }
        self.width = width
        self.height = height
        self.culling = culling
        AllocatorTuning.applied
    }

    /// Renders `mesh` (model-space positions) under `scene`; throws on inconsistent inputs.
    public func render(mesh: RenderMesh, scene: RenderScene) throws -> RenderOutput {
        try validate(scene)
        let (cameraMesh, cameraScene) = cameraSpace(mesh, scene)
        let raster = Rasterizer.rasterize(mesh: cameraMesh, camera: cameraScene.camera, width: width, height: height,
                                          culling: culling)
        return shade(mesh: cameraMesh, scene: cameraScene, raster: raster)
    }

    /// Renders with the pixel → triangle assignment of `visibility` kept (barycentrics follow the
    /// moved vertices): the function the backward pass differentiates (and the one a gradient check
    /// against finite differences must evaluate).
    public func render(mesh: RenderMesh, scene: RenderScene, fixedVisibility visibility: Rasterization) throws
        -> RenderOutput {
        try validate(scene)
        let (cameraMesh, cameraScene) = cameraSpace(mesh, scene)
        let raster = visibility.reassigned(screen: cameraScene.camera.project(positions: cameraMesh.positions),
                                           triangles: mesh.triangles)
        return shade(mesh: cameraMesh, scene: cameraScene, raster: raster)
    }

    /// Positions R·v and the camera without its rotation: everything downstream is camera space.
    func cameraSpace(_ mesh: RenderMesh, _ scene: RenderScene) -> (RenderMesh, RenderScene) {
        var cameraScene = scene
        cameraScene.camera = scene.camera.withoutRotation
        return (mesh.rotated(by: scene.camera.rotation), cameraScene)
    }

    private func shade(mesh: RenderMesh, scene: RenderScene, raster: Rasterization) -> RenderOutput {
        let normals = VertexNormals(positions: mesh.positions, triangles: mesh.triangles)
        let frames = scene.displacement == nil ? nil : TangentFrames(mesh: mesh)
        return shade(mesh: mesh, scene: scene, raster: raster, normals: normals, frames: frames)
    }

    func validate(_ scene: RenderScene) throws {
        let cam = scene.camera
        guard cam.scale.isFinite, cam.scale > 0, cam.translation.x.isFinite, cam.translation.y.isFinite else {
            throw RenderError.shapeMismatch("camera scale must be positive and finite (got s = \(cam.scale), t = \(cam.translation))")
        }
        guard scene.albedo.channels == 3 else {
            throw RenderError.invalidTexture("albedo needs 3 channels, has \(scene.albedo.channels)")
        }
        if let d = scene.displacement, d.channels != 1 {
            throw RenderError.invalidTexture("displacement needs 1 channel, has \(d.channels)")
        }
        if let m = scene.skinMask, m.channels != 1 {
            throw RenderError.invalidTexture("skin mask needs 1 channel, has \(m.channels)")
        }
        if let b = scene.background, b.width != width || b.height != height || b.channels != 3 {
            throw RenderError.invalidTexture(
                "background is \(b.width)×\(b.height)×\(b.channels), the render is \(width)×\(height)×3")
        }
    }

    func shade(mesh: RenderMesh, scene: RenderScene, raster: Rasterization, normals: VertexNormals,
               frames: TangentFrames?) -> RenderOutput {
        let k = raster.coveredPixels.count
        var image = scene.background?.data ?? [Float](repeating: 0, count: width * height * 3)
        var mask = [Float](repeating: 0, count: width * height)
        var buffers = FragmentBuffers(count: k)
        let chunks = max(1, min(k, 2 * ProcessInfo.processInfo.activeProcessorCount))
        if k > 0 { withFragmentContext(mesh: mesh, scene: scene, raster: raster, normals: normals, frames: frames) { ctx in
            image.withUnsafeMutableBufferPointer { img in
                mask.withUnsafeMutableBufferPointer { msk in
                    buffers.withPointers { out in
                        let sink = ShadeSink(image: img.baseAddress!, mask: msk.baseAddress!, out: out)
                        Compute.concurrentPerform(iterations: chunks) { chunk in
                            for f in (k * chunk / chunks)..<(k * (chunk + 1) / chunks) {
                                shadeFragment(f, ctx: ctx, sink: sink)
                            }
                        }
                    }
                }
            }
        } }
        let texture = try! TextureMap(width: width, height: height, channels: 3, data: image)
        return RenderOutput(image: texture, mask: mask, rasterization: raster, uv: buffers.uv,
                            normal: buffers.normal, albedo: buffers.albedo, shading: buffers.shading,
                            vertexNormals: normals, smoothNormal: buffers.smoothNormal,
                            normalLength: buffers.normalLength, displacementSlope: buffers.slope, frames: frames)
    }
}

/// Shades fragment f (the f-th covered pixel).
private func shadeFragment(_ f: Int, ctx: FragmentContext, sink: ShadeSink) {
    let p = Int(ctx.covered[f]), t = Int(ctx.triangleIndex[p])
    let b = SIMD3(ctx.bary[3 * p], ctx.bary[3 * p + 1], ctx.bary[3 * p + 2])
    let corners = ctx.corners(t)
    let uv = ctx.interpolatedUV(t, b)
    let nTilde = load(ctx.vertexNormals, corners.0) * b.x + load(ctx.vertexNormals, corners.1) * b.y
        + load(ctx.vertexNormals, corners.2) * b.z
    let nLen = max(dot(nTilde, nTilde).squareRoot(), 1e-12)
    let ns = nTilde / nLen
    var m = ns
    if let disp = ctx.displacement, let frame = ctx.frame(t) {
        let slope = disp.slope(u: uv.x, v: uv.y)
        m = ns + bumpOffset(ns, slope: slope, pu: frame.pu, pv: frame.pv, jacobian: frame.jacobian)
        sink.out.slope[2 * f] = slope.x
        sink.out.slope[2 * f + 1] = slope.y
    }
    let mLen = max(dot(m, m).squareRoot(), 1e-12)
    let n = m / mLen
    let a = ctx.albedo.sampleRGB(u: uv.x, v: uv.y)
    let s = SphericalHarmonics.basis(n, constants: ctx.shConstants).shade(ctx.lighting)
    let colour = a * s
    sink.image[3 * p] = colour.x
    sink.image[3 * p + 1] = colour.y
    sink.image[3 * p + 2] = colour.z
    sink.mask[p] = ctx.skinMask.map { $0.sampleScalar(u: uv.x, v: uv.y) >= 0.5 ? 1 : 0 } ?? 1
    let o = sink.out
    o.uv[2 * f] = uv.x
    o.uv[2 * f + 1] = uv.y
    store(o.normal, f, n)
    store(o.albedo, f, a)
    store(o.shading, f, s)
    o.smoothNormal[4 * f] = ns.x
    o.smoothNormal[4 * f + 1] = ns.y
    o.smoothNormal[4 * f + 2] = ns.z
    o.smoothNormal[4 * f + 3] = nLen
    o.normalLength[f] = mLen
}

@inline(__always) func store(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ v: SIMD3<Float>) {
    p[3 * i] = v.x
    p[3 * i + 1] = v.y
    p[3 * i + 2] = v.z
}

struct ShadeSink: @unchecked Sendable {
    let image: UnsafeMutablePointer<Float>
    let mask: UnsafeMutablePointer<Float>
    let out: FragmentPointers
}
