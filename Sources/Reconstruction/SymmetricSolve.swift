/// A small dense symmetric positive-definite system H x = g, solved by Cholesky in Double.
///
/// Shapes: `h` n×n row-major (only the lower triangle is read), `g` n. The fitting problems are
/// small (n ≲ 200 per block), so a plain O(n³/3) factorisation beats a library call's overhead.
struct SymmetricMatrix {
    var n: Int
    var values: [Double]

    init(size n: Int) {
        self.n = n
        values = [Double](repeating: 0, count: n * n)
    }

    subscript(r: Int, c: Int) -> Double {
        get { values[r * n + c] }
        set { values[r * n + c] = newValue }
    }

    /// The Cholesky factor L (lower, row-major) of H, or nil when H is not positive definite.
    func cholesky() -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var d = values[j * n + j]
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            guard d > 0, d.isFinite else { return nil }
            let root = d.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var s = values[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / root
            }
        }
        return l
    }

    /// x with H x = b, or nil when H is not positive definite.
    func solve(_ b: [Double]) -> [Double]? {
        guard let l = cholesky() else { return nil }
        return SymmetricMatrix.solve(factor: l, n: n, b)
    }

    /// Forward then backward substitution with a Cholesky factor.
    static func solve(factor l: [Double], n: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, n) { s -= l[k * n + i] * y[k] }
            y[i] = s / l[i * n + i]
        }
        return y
    }
}
