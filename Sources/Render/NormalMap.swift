import FaceModel

/// The renderer's bump of the shading normal (see `Renderer`): for the unit smooth normal n_s,
/// the UV slopes (D_u, D_v) of the displacement and the triangle's P_u, P_v and
/// J = (P_u × P_v)·n_face, the bump-mapped normal is m = n_s + Δ with
///     Δ = (D_u (n_s × P_v) + D_v (P_u × n_s)) / J      (Δ ⊥ n_s, so m·n_s = 1).
/// One function for the shader and the normal-map baker, so the two cannot drift apart.
@inline(__always) func bumpOffset(_ ns: SIMD3<Float>, slope: SIMD2<Float>, pu: SIMD3<Float>, pv: SIMD3<Float>,
                                  jacobian: Float) -> SIMD3<Float> {
    (slope.x * cross(ns, pv) + slope.y * cross(pu, ns)) / jacobian
}

/// The glTF tangent frame at a surface point (glTF 2.0 §3.7.2.1, MikkTSpace's convention):
///     N = n_s,   T = normalize(P_u − (P_u·N) N),   B = w · (N × T),   w = sign(J)
/// so T points along +u, B along +v whatever the UV handedness (w is glTF's `tangent.w`), and an
/// engine rebuilds a tangent-space normal n = (x, y, z) as x·T + y·B + z·N.
struct TangentBasis {
    let t: SIMD3<Float>, b: SIMD3<Float>, n: SIMD3<Float>

    /// nil when P_u is (nearly) parallel to the normal or J = 0 (no frame to speak of).
    init?(normal ns: SIMD3<Float>, pu: SIMD3<Float>, jacobian: Float) {
        let along = pu - dot(pu, ns) * ns
        let length = dot(along, along).squareRoot()
        guard jacobian != 0, length > 1e-6 * max(dot(pu, pu).squareRoot(), 1e-30) else { return nil }
        n = ns
        t = along / length
        b = (jacobian > 0 ? 1 : -1) * cross(ns, t)
    }

    /// The unit tangent-space normal of m = N + Δ with Δ ⊥ N: (Δ·T, Δ·B, 1)/|m|, exactly (0, 0, 1)
    /// for Δ = 0.
    @inline(__always) func normal(bumpedBy offset: SIMD3<Float>) -> SIMD3<Float> {
        let x = dot(offset, t), y = dot(offset, b)
        return SIMD3(x, y, 1) / (1 + x * x + y * y).squareRoot()
    }
}

extension TextureMap {
    /// The tangent-space normal map (d×d×3, RGB in [0, 1] encoding n ∈ [−1, 1]³ as (n + 1)/2, glTF's
    /// `normalTexture` convention: +X = +u, +Y = +v (green up, OpenGL), +Z out of the surface) whose
    /// tilt equals the renderer's bump mapping of the displacement map D (d×d×1, metres along the
    /// normal) on `mesh`, in `mesh`'s UV layout (an atlas of size d, built when not given).
    ///
    /// For texel (i, j) inside a chart (atlas triangle t, barycentrics b):
    ///     D_u = d·(D[i+1, j] − D[i−1, j])/2,   D_v = −d·(D[i, j+1] − D[i, j−1])/2
    /// (the UV slopes by central differences — row j + 1 lies at lower v; one-sided where a
    /// neighbour is outside every chart, zero where both are), n_s the normalised Σ bₖ Nₖ of the
    /// area-weighted vertex normals, P_u, P_v, J the triangle's `TangentFrames` entry, m the
    /// renderer's bump m = n_s + Δ (`bumpOffset`) and n = (Δ·T, Δ·B, 1)/|m| in the frame of
    /// `TangentBasis`. With orthogonal UV axes this is n ∝ (−D_u/|P_u|, −D_v/|P_v|, 1): the normal
    /// leans against the slope in metres per metre. Texels outside every chart, and on triangles
    /// with degenerate UVs, get the flat (0.5, 0.5, 1).
    public static func normalMap(displacement: TextureMap, mesh: RenderMesh, atlas givenAtlas: UVAtlas? = nil) throws
        -> TextureMap {
        let d = displacement.width
        guard displacement.channels == 1, displacement.height == d else {
            throw RenderError.invalidTexture("a displacement map is d×d×1, got \(d)×\(displacement.height)×\(displacement.channels)")
        }
        let atlas = try givenAtlas ?? UVAtlas(mesh: mesh, size: d)
        guard atlas.size == d, atlas.meshTriangleCount == mesh.triangleCount else {
            throw RenderError.shapeMismatch("the UV atlas is \(atlas.size)² for \(atlas.meshTriangleCount) triangles; the map is \(d)², the mesh has \(mesh.triangleCount)")
        }
        let normals = VertexNormals(positions: mesh.positions, triangles: mesh.triangles).normals
        let frames = TangentFrames(mesh: mesh).values
        var out = [Float](repeating: 0, count: 3 * d * d)
        for texel in 0..<(d * d) {
            var n = SIMD3<Float>(0, 0, 1)
            let t = Int(atlas.triangleIndex[texel])
            if t >= 0, frames[7 * t + 6] != 0 {
                let q = 7 * t
                let pu = SIMD3(frames[q], frames[q + 1], frames[q + 2]), pv = SIMD3(frames[q + 3], frames[q + 4], frames[q + 5])
                let ns = smoothNormal(atlas: atlas, texel: texel, triangle: t, mesh: mesh, normals: normals)
                if let basis = TangentBasis(normal: ns, pu: pu, jacobian: frames[q + 6]) {
                    let slope = texelSlope(displacement.data, atlas: atlas, texel: texel)
                    n = basis.normal(bumpedBy: bumpOffset(ns, slope: slope, pu: pu, pv: pv, jacobian: frames[q + 6]))
                }
            }
            for c in 0..<3 { out[3 * texel + c] = (n[c] + 1) / 2 }
        }
        return try TextureMap(width: d, height: d, channels: 3, data: out)
    }

    /// The normalised barycentric blend of the vertex normals of `triangle` at an atlas texel.
    static func smoothNormal(atlas: UVAtlas, texel: Int, triangle t: Int, mesh: RenderMesh, normals: [Float]) -> SIMD3<Float> {
        var sum = SIMD3<Float>(0, 0, 0)
        for k in 0..<3 {
            let v = Int(mesh.triangles[3 * t + k])
            let weight: Float = atlas.barycentrics[3 * texel + k]
            sum += weight * SIMD3<Float>(normals[3 * v], normals[3 * v + 1], normals[3 * v + 2])
        }
        return sum / max(dot(sum, sum).squareRoot(), 1e-12)
    }

    /// (∂D/∂u, ∂D/∂v) at an atlas texel by central differences over texels inside charts.
    static func texelSlope(_ values: [Float], atlas: UVAtlas, texel: Int) -> SIMD2<Float> {
        let d = atlas.size, i = texel % d, j = texel / d
        func inside(_ k: Int) -> Bool { atlas.triangleIndex[k] >= 0 }
        func difference(step: Int, hasPrevious: Bool, hasNext: Bool) -> Float {
            let previous = hasPrevious && inside(texel - step), next = hasNext && inside(texel + step)
            switch (previous, next) {
            case (true, true): return (values[texel + step] - values[texel - step]) / 2
            case (false, true): return values[texel + step] - values[texel]
            case (true, false): return values[texel] - values[texel - step]
            case (false, false): return 0
            }
        }
        let dx = difference(step: 1, hasPrevious: i > 0, hasNext: i < d - 1)
        let dy = difference(step: d, hasPrevious: j > 0, hasNext: j < d - 1)
        return SIMD2(Float(d) * dx, -Float(d) * dy)
    }
}
