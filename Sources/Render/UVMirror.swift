/// The left-right mirror of a UV atlas: for every texel, the texel showing the mirrored surface
/// point (x → −x in the model frame), so a side no photo saw can take the other side's colour.
///
/// Built from the mesh, not from a formula for one layout: each vertex is paired with the vertex
/// nearest its mirror image (within `tolerance`; a symmetric head pairs them all), each triangle
/// corner gets the UV of its partner (of the partner's UV copies at a seam, the one nearest to
/// (1 − u, v)), and the partners' UVs are interpolated with the texel's barycentrics. Triangles
/// whose mirrored corners spread much wider in UV than their own (a seam crossing) or whose
/// vertices have no partner get no mirror texel (−1).
public struct UVMirror: Sendable {
    public let size: Int
    /// size², the mirror texel of each texel or −1.
    public let texel: [Int32]

    public init(mesh: RenderMesh, atlas: UVAtlas, tolerance: Float = 1e-3) throws {
        guard atlas.meshTriangleCount == mesh.triangleCount else {
            throw RenderError.shapeMismatch("the UV atlas was built for \(atlas.meshTriangleCount) triangles, the mesh has \(mesh.triangleCount)")
        }
        let partner = UVMirror.vertexPartners(mesh.positions, tolerance: tolerance)
        var uvsOfVertex = [[Int32]](repeating: [], count: mesh.vertexCount)
        for c in 0..<mesh.triangles.count {
            let v = Int(mesh.triangles[c]), uv = mesh.uvTriangles[c]
            if !uvsOfVertex[v].contains(uv) { uvsOfVertex[v].append(uv) }
        }
        func uv(_ i: Int32) -> SIMD2<Float> { SIMD2(mesh.uvs[2 * Int(i)], mesh.uvs[2 * Int(i) + 1]) }
        // Mirrored corner UVs per triangle (nil when a corner has no partner or crosses a seam).
        let mirroredCorners: [[SIMD2<Float>]?] = (0..<mesh.triangleCount).map { t in
            var own: [SIMD2<Float>] = [], mirrored: [SIMD2<Float>] = []
            for k in 0..<3 {
                let p = partner[Int(mesh.triangles[3 * t + k])]
                guard p >= 0 else { return nil }
                let a = uv(mesh.uvTriangles[3 * t + k]), want = SIMD2(1 - a.x, a.y)
                guard let best = uvsOfVertex[p].min(by: { lengthSquared(uv($0) - want) < lengthSquared(uv($1) - want) }) else { return nil }
                own.append(a)
                mirrored.append(uv(best))
            }
            let spread = { (q: [SIMD2<Float>]) in max(lengthSquared(q[0] - q[1]), lengthSquared(q[1] - q[2]), lengthSquared(q[2] - q[0])) }
            return spread(mirrored) > 9 * spread(own) + 1e-6 ? nil : mirrored
        }
        let d = atlas.size
        var out = [Int32](repeating: -1, count: d * d)
        for texel in 0..<(d * d) {
            let t = Int(atlas.triangleIndex[texel])
            guard t >= 0, let corners = mirroredCorners[t] else { continue }
            let b = (0..<3).map { atlas.barycentrics[3 * texel + $0] }
            let m = b[0] * corners[0] + b[1] * corners[1] + b[2] * corners[2]
            let i = Int(m.x * Float(d)), j = Int((1 - m.y) * Float(d))
            guard i >= 0, j >= 0, i < d, j < d, atlas.triangleIndex[j * d + i] >= 0 else { continue }
            out[texel] = Int32(j * d + i)
        }
        size = d
        texel = out
    }

    /// For each vertex the index of the vertex nearest to its mirror image (−x, y, z) within
    /// `tolerance` (metres), or −1; a uniform hash grid of cell `tolerance` makes it linear.
    static func vertexPartners(_ positions: [Float], tolerance: Float) -> [Int] {
        let n = positions.count / 3
        func cell(_ p: SIMD3<Float>) -> SIMD3<Int32> {
            SIMD3(Int32((p.x / tolerance).rounded(.down)), Int32((p.y / tolerance).rounded(.down)), Int32((p.z / tolerance).rounded(.down)))
        }
        func point(_ i: Int) -> SIMD3<Float> { SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]) }
        var grid: [SIMD3<Int32>: [Int]] = [:]
        for i in 0..<n { grid[cell(point(i)), default: []].append(i) }
        return (0..<n).map { i in
            var q = point(i)
            q.x = -q.x
            let c = cell(q)
            var best = -1, bestDistance = tolerance * tolerance
            for dz in -1...1 { for dy in -1...1 { for dx in -1...1 {
                for j in grid[c &+ SIMD3(Int32(dx), Int32(dy), Int32(dz))] ?? [] {
                    let e = point(j) - q, distance = (e * e).sum()
                    if distance <= bestDistance { bestDistance = distance; best = j }
                }
            } } }
            return best
        }
    }
}

@inline(__always) func lengthSquared(_ v: SIMD2<Float>) -> Float { (v * v).sum() }
