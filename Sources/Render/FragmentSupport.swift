/// Raw-pointer views used by the per-pixel loops, so the inner loops neither allocate nor
/// bounds-check. Every view lives only inside the `with…` call that made it.

/// A read-only texture view with the lookups the shader needs (conventions of `TextureMap`).
struct TextureView: @unchecked Sendable {
    let data: UnsafePointer<Float>
    let width: Int
    let height: Int
    let channels: Int

    @inline(__always) func tap(u: Float, v: Float) -> BilinearTap {
        BilinearTap(x: u * Float(width) - 0.5, y: (1 - v) * Float(height) - 0.5, width: width, height: height)
    }

    @inline(__always) func sampleRGB(u: Float, v: Float) -> SIMD3<Float> {
        let t = tap(u: u, v: v), w = t.weights
        return SIMD3((t.gather(data, channels: 3, channel: 0) * w).sum(),
                     (t.gather(data, channels: 3, channel: 1) * w).sum(),
                     (t.gather(data, channels: 3, channel: 2) * w).sum())
    }

    @inline(__always) func sampleScalar(u: Float, v: Float) -> Float {
        let t = tap(u: u, v: v)
        return (t.gather(data, channels: channels, channel: 0) * t.weights).sum()
    }

    /// (∂D/∂u, ∂D/∂v) of the bilinear channel-0 interpolant: ∂/∂u = W·∂/∂x, ∂/∂v = −H·∂/∂y.
    @inline(__always) func slope(u: Float, v: Float) -> SIMD2<Float> {
        let t = tap(u: u, v: v)
        let d = t.gather(data, channels: channels, channel: 0)
        return SIMD2(Float(width) * (d * t.weightsDx).sum(), -Float(height) * (d * t.weightsDy).sum())
    }
}

/// Per-triangle surface derivatives along the UV axes, for bump mapping the displacement map.
/// With e₁, e₂ the 3-D edges from corner 0, (Δu₁, Δv₁), (Δu₂, Δv₂) the UV edges and
/// δ = Δu₁Δv₂ − Δu₂Δv₁:
///     P_u = (Δv₂ e₁ − Δv₁ e₂)/δ,   P_v = (Δu₁ e₂ − Δu₂ e₁)/δ,   J = |e₁ × e₂|/δ
/// so that P_u × P_v = J·n_face. Stored F×7 (P_u, P_v, J); J = 0 marks a degenerate UV triangle
/// (no bump there).
struct TangentFrames: Sendable {
    let values: [Float]

    init(mesh: RenderMesh) {
        let f = mesh.triangleCount
        var values = [Float](repeating: 0, count: 7 * f)
        for t in 0..<f {
            let g = FrameGeometry(mesh: mesh, triangle: t)
            guard abs(g.delta) > 1e-12, g.crossLength > 1e-20 else { continue }
            let pu = (g.dv2 * g.e1 - g.dv1 * g.e2) / g.delta
            let pv = (g.du1 * g.e2 - g.du2 * g.e1) / g.delta
            values[7 * t] = pu.x; values[7 * t + 1] = pu.y; values[7 * t + 2] = pu.z
            values[7 * t + 3] = pv.x; values[7 * t + 4] = pv.y; values[7 * t + 5] = pv.z
            values[7 * t + 6] = g.crossLength / g.delta
        }
        self.values = values
    }

    /// Adds ∂L/∂positions for per-triangle gradients `gradient` (F×7: ∂L/∂P_u, ∂L/∂P_v, ∂L/∂J):
    ///     ∂L/∂e₁ = (Δv₂ g_u − Δu₂ g_v)/δ + (g_J/δ)(e₂ × ĉ),  ∂L/∂e₂ = (−Δv₁ g_u + Δu₁ g_v)/δ + (g_J/δ)(ĉ × e₁)
    /// with ĉ = (e₁ × e₂)/|e₁ × e₂|.
    func backward(mesh: RenderMesh, gradient: [Float], into positionGradient: inout [Float]) {
        for t in 0..<mesh.triangleCount where values[7 * t + 6] != 0 {
            let g = FrameGeometry(mesh: mesh, triangle: t)
            let gu = SIMD3(gradient[7 * t], gradient[7 * t + 1], gradient[7 * t + 2])
            let gv = SIMD3(gradient[7 * t + 3], gradient[7 * t + 4], gradient[7 * t + 5])
            let gJ = gradient[7 * t + 6] / g.delta
            let chat = cross(g.e1, g.e2) / g.crossLength
            let ge1 = (g.dv2 * gu - g.du2 * gv) / g.delta + gJ * cross(g.e2, chat)
            let ge2 = (-g.dv1 * gu + g.du1 * gv) / g.delta + gJ * cross(chat, g.e1)
            let i0 = Int(mesh.triangles[3 * t]), i1 = Int(mesh.triangles[3 * t + 1]), i2 = Int(mesh.triangles[3 * t + 2])
            for c in 0..<3 {
                positionGradient[3 * i1 + c] += ge1[c]
                positionGradient[3 * i2 + c] += ge2[c]
                positionGradient[3 * i0 + c] -= ge1[c] + ge2[c]
            }
        }
    }
}

/// The edges of one triangle in 3-D and in UV space.
struct FrameGeometry {
    let e1: SIMD3<Float>, e2: SIMD3<Float>
    let du1: Float, dv1: Float, du2: Float, dv2: Float
    var delta: Float { du1 * dv2 - du2 * dv1 }
    var crossLength: Float { let c = cross(e1, e2); return dot(c, c).squareRoot() }

    init(mesh: RenderMesh, triangle t: Int) {
        let i0 = Int(mesh.triangles[3 * t]), i1 = Int(mesh.triangles[3 * t + 1]), i2 = Int(mesh.triangles[3 * t + 2])
        let v0 = mesh.position(i0)
        e1 = mesh.position(i1) - v0
        e2 = mesh.position(i2) - v0
        let u0 = Int(mesh.uvTriangles[3 * t]), u1 = Int(mesh.uvTriangles[3 * t + 1]), u2 = Int(mesh.uvTriangles[3 * t + 2])
        du1 = mesh.uvs[2 * u1] - mesh.uvs[2 * u0]
        dv1 = mesh.uvs[2 * u1 + 1] - mesh.uvs[2 * u0 + 1]
        du2 = mesh.uvs[2 * u2] - mesh.uvs[2 * u0]
        dv2 = mesh.uvs[2 * u2 + 1] - mesh.uvs[2 * u0 + 1]
    }
}

/// The read-only state a shading or backward loop needs, as raw pointers.
struct FragmentContext: @unchecked Sendable {
    let covered: UnsafePointer<Int32>
    let triangleIndex: UnsafePointer<Int32>
    let bary: UnsafePointer<Float>
    let setup: UnsafePointer<Float>
    let triangles: UnsafePointer<Int32>
    let uvTriangles: UnsafePointer<Int32>
    let uvs: UnsafePointer<Float>
    let vertexNormals: UnsafePointer<Float>
    let lighting: UnsafePointer<Float>
    let shConstants: UnsafePointer<Float>
    let albedo: TextureView
    let displacement: TextureView?
    let skinMask: TextureView?
    let frames: UnsafePointer<Float>?

    @inline(__always) func corners(_ t: Int) -> (Int, Int, Int) {
        (Int(triangles[3 * t]), Int(triangles[3 * t + 1]), Int(triangles[3 * t + 2]))
    }

    @inline(__always) func uvCorner(_ t: Int, _ k: Int) -> SIMD2<Float> {
        let i = Int(uvTriangles[3 * t + k])
        return SIMD2(uvs[2 * i], uvs[2 * i + 1])
    }

    @inline(__always) func interpolatedUV(_ t: Int, _ b: SIMD3<Float>) -> SIMD2<Float> {
        uvCorner(t, 0) * b.x + uvCorner(t, 1) * b.y + uvCorner(t, 2) * b.z
    }

    @inline(__always) func frame(_ t: Int) -> (pu: SIMD3<Float>, pv: SIMD3<Float>, jacobian: Float)? {
        guard let f = frames else { return nil }
        let q = f + 7 * t
        if q[6] == 0 { return nil }
        return (SIMD3(q[0], q[1], q[2]), SIMD3(q[3], q[4], q[5]), q[6])
    }
}

/// Runs `body` with pointers to every element of `arrays` (kept alive for the call).
func withPointers<T, R>(_ arrays: [[T]], _ body: ([UnsafePointer<T>]) -> R) -> R {
    var pointers: [UnsafePointer<T>] = []
    pointers.reserveCapacity(arrays.count)
    func nest(_ i: Int) -> R {
        if i == arrays.count { return body(pointers) }
        return arrays[i].withUnsafeBufferPointer { buffer in
            // An empty array may have no storage; point at a dummy element instead.
            pointers.append(buffer.baseAddress ?? emptyPointer(T.self))
            return nest(i + 1)
        }
    }
    return nest(0)
}

/// One zeroed 64-byte block shared by every empty array (never written, never freed).
private let emptyStorage: UnsafeMutableRawPointer = {
    let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
    return p
}()

private func emptyPointer<T>(_: T.Type) -> UnsafePointer<T> {
    UnsafePointer(emptyStorage.assumingMemoryBound(to: T.self))
}

extension Renderer {
    /// Builds a `FragmentContext` over the forward-pass state and runs `body` with it.
    func withFragmentContext<R>(mesh: RenderMesh, scene: RenderScene, raster: Rasterization,
                                normals: VertexNormals, frames: TangentFrames?,
                                _ body: (FragmentContext) -> R) -> R {
        let ints = [raster.coveredPixels, raster.triangleIndex, mesh.triangles, mesh.uvTriangles]
        let floats = [raster.barycentrics, raster.setup, mesh.uvs, normals.normals, scene.lighting.coefficients,
                      SphericalHarmonics.constants, scene.albedo.data, scene.displacement?.data ?? [],
                      scene.skinMask?.data ?? [], frames?.values ?? []]
        return withPointers(ints) { ip in
            withPointers(floats) { fp in
                func view(_ t: TextureMap?, _ p: UnsafePointer<Float>) -> TextureView? {
                    t.map { TextureView(data: p, width: $0.width, height: $0.height, channels: $0.channels) }
                }
                let ctx = FragmentContext(
                    covered: ip[0], triangleIndex: ip[1], bary: fp[0], setup: fp[1], triangles: ip[2],
                    uvTriangles: ip[3], uvs: fp[2], vertexNormals: fp[3], lighting: fp[4], shConstants: fp[5],
                    albedo: view(scene.albedo, fp[6])!, displacement: view(scene.displacement, fp[7]),
                    skinMask: view(scene.skinMask, fp[8]), frames: frames == nil ? nil : fp[9])
                return body(ctx)
            }
        }
    }
}

/// Per-fragment outputs of the forward pass (K fragments).
struct FragmentBuffers {
    var uv: [Float], normal: [Float], albedo: [Float], shading: [Float]
    var smoothNormal: [Float], normalLength: [Float], slope: [Float]

    init(count k: Int) {
        uv = [Float](repeating: 0, count: 2 * k)
        normal = [Float](repeating: 0, count: 3 * k)
        albedo = [Float](repeating: 0, count: 3 * k)
        shading = [Float](repeating: 0, count: 3 * k)
        smoothNormal = [Float](repeating: 0, count: 4 * k)
        normalLength = [Float](repeating: 0, count: k)
        slope = [Float](repeating: 0, count: 2 * k)
    }

    mutating func withPointers<R>(_ body: (FragmentPointers) -> R) -> R {
        uv.withUnsafeMutableBufferPointer { a in
            normal.withUnsafeMutableBufferPointer { b in
                albedo.withUnsafeMutableBufferPointer { c in
                    shading.withUnsafeMutableBufferPointer { d in
                        smoothNormal.withUnsafeMutableBufferPointer { e in
                            normalLength.withUnsafeMutableBufferPointer { f in
                                slope.withUnsafeMutableBufferPointer { g in
                                    body(FragmentPointers(uv: a.baseAddress!, normal: b.baseAddress!,
                                                          albedo: c.baseAddress!, shading: d.baseAddress!,
                                                          smoothNormal: e.baseAddress!,
                                                          normalLength: f.baseAddress!, slope: g.baseAddress!))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

struct FragmentPointers: @unchecked Sendable {
    let uv, normal, albedo, shading, smoothNormal, normalLength, slope: UnsafeMutablePointer<Float>
}
