import Foundation

/// Identity basis of the embedded head: principal components of the named anthropometric
/// controls (`EmbeddedHeadControl`).
///
/// Each control k is moved by +1σ_k (its population standard deviation) and the generator re-run
/// on the fixed topology: dₖ = S(μ + σₖeₖ) − S(μ) ∈ ℝ³ᴺ. Treating the controls as independent
/// standard normals, the shape covariance is C = D Dᵀ with D = [d₁ … d_K]. Its eigenvectors come
/// from the small Gram matrix G = DᵀD = V Λ Vᵀ (cyclic Jacobi, in Double): column i of the basis
/// is bᵢ = D vᵢ, so the columns are mutually orthogonal with ‖bᵢ‖ = √λᵢ descending, and β is in
/// units of standard deviations (β ~ N(0, I) reproduces C), as FLAME's shapedirs.
enum HeadIdentity {
    /// (3N)×K row-major basis, and the per-mode standard deviations √λᵢ (metres, over all 3N).
    static func basis(topo: HeadTopology, neutral: [SIMD3<Float>]) -> (basis: [Float], count: Int) {
        let L0 = HeadLayout(controls: EmbeddedHeadControl.means)
        let controls = EmbeddedHeadControl.allCases
        let n = neutral.count, k = controls.count
        var D = [[Double]]()
        for control in controls {
            var c = EmbeddedHeadControl.means
            c[control.rawValue] += control.statistics.sigma
            let moved = HeadGeometry.positions(topo, neutral: L0, layout: HeadLayout(controls: c))
            var d = [Double](repeating: 0, count: 3 * n)
            for i in 0..<n {
                let v = moved[i] - neutral[i]
                d[3 * i] = Double(v.x); d[3 * i + 1] = Double(v.y); d[3 * i + 2] = Double(v.z)
            }
            D.append(d)
        }
        var G = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k { for b in a..<k {
            var s = 0.0
            for i in 0..<(3 * n) { s += D[a][i] * D[b][i] }
            G[a][b] = s; G[b][a] = s
        } }
        let (values, vectors) = SymmetricEigen.jacobi(G)
        let largest = values.max() ?? 0
        // Keep modes with real variance (every control moves the surface; this guards the PCA).
        let order = (0..<k).sorted { (values[$0], -$0) > (values[$1], -$1) }.filter { values[$0] > 1e-10 * largest }
        let modes = order.count
        var out = [Float](repeating: 0, count: 3 * n * modes)
        for (col, e) in order.enumerated() {
            // Deterministic sign: the largest-magnitude component of vᵢ is positive.
            let v = vectors.map { $0[e] }
            let sign: Double = v.max { abs($0) < abs($1) }! < 0 ? -1 : 1
            for i in 0..<(3 * n) {
                var s = 0.0
                for a in 0..<v.count { s += D[a][i] * v[a] }
                out[i * modes + col] = Float(sign * s)
            }
        }
        return (out, modes)
    }
}
