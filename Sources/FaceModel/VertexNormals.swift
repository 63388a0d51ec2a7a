/// Area-weighted vertex normals: nᵢ ∝ Σ_{f ∋ i} (v₁ − v₀) × (v₂ − v₀) over the triangles f at
/// vertex i (the unnormalised cross product is twice the triangle's area times its normal).
/// Shapes: `vertices` N×3, `triangles` F×3 (counter-clockwise outside) → N×3 unit normals
/// (zero for vertices no triangle uses).
public func vertexNormals(_ vertices: [Float], triangles: [Int32]) -> [Float] {
    var sums = [SIMD3<Float>](repeating: .zero, count: vertices.count / 3)
    vertices.withUnsafeBufferPointer { v in
        triangles.withUnsafeBufferPointer { t in
            var f = 0
            while f + 2 < t.count {
                let a = Int(t[f]), b = Int(t[f + 1]), c = Int(t[f + 2])
                let p0 = SIMD3(v[3 * a], v[3 * a + 1], v[3 * a + 2])
                let e1 = SIMD3(v[3 * b], v[3 * b + 1], v[3 * b + 2]) - p0
                let e2 = SIMD3(v[3 * c], v[3 * c + 1], v[3 * c + 2]) - p0
                let area2 = cross(e1, e2)
                sums[a] += area2
                sums[b] += area2
                sums[c] += area2
                f += 3
            }
        }
    }
    var out = [Float](repeating: 0, count: vertices.count)
    for (i, s) in sums.enumerated() {
        let l = length(s)
        guard l > 0 else { continue }
        out[3 * i] = s.x / l; out[3 * i + 1] = s.y / l; out[3 * i + 2] = s.z / l
    }
    return out
}
