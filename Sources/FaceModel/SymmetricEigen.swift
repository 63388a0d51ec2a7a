/// Small dense symmetric eigenproblems (the identity basis, the albedo PCA's Rayleigh–Ritz step).
public enum SymmetricEigen {
    /// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations; vectors as columns.
    public static func jacobi(_ m: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        let n = m.count
        var a = m
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<60 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p][q] * a[p][q] } }
            if off < 1e-30 { break }
            for p in 0..<n { for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for r in 0..<n {
                    let arp = a[r][p], arq = a[r][q]
                    a[r][p] = c * arp - s * arq; a[r][q] = s * arp + c * arq
                }
                for r in 0..<n {
                    let apr = a[p][r], aqr = a[q][r]
                    a[p][r] = c * apr - s * aqr; a[q][r] = s * apr + c * aqr
                }
                for r in 0..<n {
                    let vrp = v[r][p], vrq = v[r][q]
                    v[r][p] = c * vrp - s * vrq; v[r][q] = s * vrp + c * vrq
                }
            } }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }
}
