/// Area-weighted vertex normals and their backward pass.
///
/// Forward, for triangle f = (i₀, i₁, i₂) with e₁ = v_{i₁} − v_{i₀}, e₂ = v_{i₂} − v_{i₀}:
///     c_f = e₁ × e₂                  (twice the area times the unit face normal)
///     ñᵢ = Σ_{f ∋ i} c_f,   Nᵢ = ñᵢ / |ñᵢ|      (N×3; (0, 0, 1) for isolated vertices)
/// Backward, from ∂L/∂N:
///     ∂L/∂ñᵢ = (I − NᵢNᵢᵀ) ∂L/∂Nᵢ / |ñᵢ|,   g_f = Σ_{i ∈ f} ∂L/∂ñᵢ,
///     ∂L/∂e₁ = e₂ × g_f,   ∂L/∂e₂ = g_f × e₁,   ∂L/∂v_{i₀} −= ∂L/∂e₁ + ∂L/∂e₂.
public struct VertexNormals: Sendable {
    /// Unit normals, N×3.
    public let normals: [Float]
    /// |ñᵢ|, N (zero for isolated vertices).
    let lengths: [Float]

    public init(positions: [Float], triangles: [Int32]) {
        let n = positions.count / 3
        var sums = [Float](repeating: 0, count: 3 * n)
        positions.withUnsafeBufferPointer { p in
            triangles.withUnsafeBufferPointer { tri in
                sums.withUnsafeMutableBufferPointer { acc in
                    for f in 0..<(tri.count / 3) {
                        let i0 = Int(tri[3 * f]), i1 = Int(tri[3 * f + 1]), i2 = Int(tri[3 * f + 2])
                        let c = faceCross(p.baseAddress!, i0, i1, i2)
                        add(acc.baseAddress!, i0, c)
                        add(acc.baseAddress!, i1, c)
                        add(acc.baseAddress!, i2, c)
                    }
                }
            }
        }
        var unit = [Float](repeating: 0, count: 3 * n)
        var lengths = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let s = SIMD3(sums[3 * i], sums[3 * i + 1], sums[3 * i + 2])
            let len = (s * s).sum().squareRoot()
            lengths[i] = len
            let u = len > 0 ? s / len : SIMD3<Float>(0, 0, 1)
            unit[3 * i] = u.x
            unit[3 * i + 1] = u.y
            unit[3 * i + 2] = u.z
        }
        normals = unit
        self.lengths = lengths
    }

    /// Adds ∂L/∂positions (N×3) for the upstream gradient ∂L/∂N (`normalGradient`, N×3).
    public func backward(normalGradient gN: [Float], positions: [Float], triangles: [Int32],
                         into positionGradient: inout [Float]) {
        let n = positions.count / 3
        var gSum = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n where lengths[i] > 0 {
            let u = SIMD3(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2])
            let g = SIMD3(gN[3 * i], gN[3 * i + 1], gN[3 * i + 2])
            let r = (g - u * (u * g).sum()) / lengths[i]
            gSum[3 * i] = r.x
            gSum[3 * i + 1] = r.y
            gSum[3 * i + 2] = r.z
        }
        positions.withUnsafeBufferPointer { p in
            positionGradient.withUnsafeMutableBufferPointer { gp in
                for f in 0..<(triangles.count / 3) {
                    let i0 = Int(triangles[3 * f]), i1 = Int(triangles[3 * f + 1]), i2 = Int(triangles[3 * f + 2])
                    let g = load(gSum, i0) + load(gSum, i1) + load(gSum, i2)
                    let v0 = load(p.baseAddress!, i0)
                    let e1 = load(p.baseAddress!, i1) - v0, e2 = load(p.baseAddress!, i2) - v0
                    let ge1 = cross(e2, g), ge2 = cross(g, e1)
                    add(gp.baseAddress!, i1, ge1)
                    add(gp.baseAddress!, i2, ge2)
                    add(gp.baseAddress!, i0, -(ge1 + ge2))
                }
            }
        }
    }
}

@inline(__always) func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inline(__always) func dot(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { (a * b).sum() }

@inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD3<Float> {
    SIMD3(p[3 * i], p[3 * i + 1], p[3 * i + 2])
}

@inline(__always) func load(_ a: [Float], _ i: Int) -> SIMD3<Float> { SIMD3(a[3 * i], a[3 * i + 1], a[3 * i + 2]) }

@inline(__always) func add(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ v: SIMD3<Float>) {
    p[3 * i] += v.x
    p[3 * i + 1] += v.y
    p[3 * i + 2] += v.z
}

/// c = (v₁ − v₀) × (v₂ − v₀) for vertex indices i₀, i₁, i₂ of an N×3 array.
@inline(__always) func faceCross(_ p: UnsafePointer<Float>, _ i0: Int, _ i1: Int, _ i2: Int) -> SIMD3<Float> {
    let v0 = load(p, i0)
    return cross(load(p, i1) - v0, load(p, i2) - v0)
}
