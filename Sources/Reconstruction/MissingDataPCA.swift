import COpenBLAS
import FaceModel
import Foundation
import Tensor

/// Principal components of N samples of dimension D of which only some entries are observed
/// (the albedo model's training textures: each photo sees part of the face).
///
/// Minimises the squared error over the observed entries only,
///
///     min_{μ, W, Z}  Σᵢ Σ_{d ∈ Oᵢ} (x_{id} − μ_d − (Z Wᵀ)_{id})²,   W D×K orthonormal,
/// by iterative imputation (hard-impute, an EM for PCA in the noise-free limit): fill the missing
/// entries with the current reconstruction, then re-estimate μ and the rank-K subspace of the
/// filled, centred matrix X̃ by one block power step W ← orth(X̃ᵀ X̃ W) (Gram–Schmidt; warm-started,
/// so one step per round suffices), and re-impute x̂ = μ + W Wᵀ (x̃ − μ). Each round decreases the
/// observed-entry error (it majorises it). At the end a Rayleigh–Ritz step on the K×K matrix
/// (X̃W)ᵀ(X̃W)/N rotates W to the principal axes and gives the variances λ₁ ≥ … ≥ λ_K.
///
/// Shapes: `values` N×D row-major, `observed` N×D (true where the entry is known). Cost per round
/// four N×D×K products (sgemm).
public struct MissingDataPCA: Sendable {
    /// D, the mean over the samples (observed entries at the first round, then imputed ones).
    public var mean: [Float]
    /// D×K row-major, orthonormal columns, in decreasing order of variance.
    public var basis: [Float]
    /// K variances (eigenvalues of the imputed data's covariance), decreasing.
    public var variances: [Float]
    /// Total variance (trace of the covariance) of the imputed data.
    public var totalVariance: Float
    /// RMS error over the observed entries after each round.
    public var history: [Float]
    public let dimension: Int
    public let components: Int

    /// Fraction of the total variance explained by the first k components (k = 1…K).
    public var cumulativeExplained: [Float] {
        var sum: Float = 0
        return variances.map { sum += $0; return totalVariance > 0 ? sum / totalVariance : 0 }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case shape(String)
        public var description: String {
            switch self { case .shape(let why): return "missing-data PCA: \(why)" }
        }
    }

    /// - Parameters: `rounds` of imputation; `seed` for the random start of W.
    public static func fit(values: [Float], observed: [Bool], samples n: Int, dimension d: Int, components k: Int,
                           rounds: Int = 40, seed: UInt64 = 1, progress: (Int, Float) -> Void = { _, _ in }) throws -> MissingDataPCA {
        guard n > 0, d > 0, values.count == n * d, observed.count == n * d else {
            throw Failure.shape("\(values.count) values and \(observed.count) flags for \(n)×\(d)")
        }
        guard k > 0, k <= min(n, d) else { throw Failure.shape("\(k) components for \(n) samples of dimension \(d)") }
        // Start: missing entries at the mean of the observed ones (per dimension).
        var mean = [Float](repeating: 0, count: d), count = [Float](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d where observed[i * d + j] { mean[j] += values[i * d + j]; count[j] += 1 } }
        for j in 0..<d { mean[j] = count[j] > 0 ? mean[j] / count[j] : 0 }
        var x = values
        for i in 0..<n { for j in 0..<d where !observed[i * d + j] { x[i * d + j] = mean[j] } }
        var rng = SeededGenerator(seed: seed)
        var w = (0..<(d * k)).map { _ in rng.normal() }
        orthonormaliseColumns(&w, rows: d, columns: k)
        var history: [Float] = []
        var centred = [Float](repeating: 0, count: n * d), z = [Float](repeating: 0, count: n * k)
        var reconstruction = [Float](repeating: 0, count: n * d)
        for round in 0..<max(1, rounds) {
            mean = columnMeans(x, rows: n, columns: d)
            for i in 0..<n { for j in 0..<d { centred[i * d + j] = x[i * d + j] - mean[j] } }
            // W ← orth(X̃ᵀ (X̃ W))
            gemm(centred, w, &z, m: n, n: k, k: d)
            gemm(centred, z, &w, m: d, n: k, k: n, transposeA: true)
            orthonormaliseColumns(&w, rows: d, columns: k)
            // Re-impute the missing entries from the projection onto the new subspace.
            gemm(centred, w, &z, m: n, n: k, k: d)
            gemm(z, w, &reconstruction, m: n, n: d, k: k, transposeB: true)
            var sq: Double = 0, seen = 0
            for i in 0..<n {
                for j in 0..<d {
                    let r = mean[j] + reconstruction[i * d + j]
                    if observed[i * d + j] {
                        let e = Double(values[i * d + j] - r); sq += e * e; seen += 1
                    } else {
                        x[i * d + j] = r
                    }
                }
            }
            history.append(Float((sq / Double(max(seen, 1))).squareRoot()))
            progress(round + 1, history.last!)
        }
        // Rayleigh–Ritz: rotate W to the principal axes of the final imputed data.
        mean = columnMeans(x, rows: n, columns: d)
        var total: Double = 0
        for i in 0..<n { for j in 0..<d { let c = x[i * d + j] - mean[j]; centred[i * d + j] = c; total += Double(c * c) } }
        gemm(centred, w, &z, m: n, n: k, k: d)
        var small = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for a in 0..<k { for b in 0...a {
            var s = 0.0
            for i in 0..<n { s += Double(z[i * k + a]) * Double(z[i * k + b]) }
            small[a][b] = s / Double(n); small[b][a] = small[a][b]
        } }
        let (values, vectors) = SymmetricEigen.jacobi(small)
        let order = values.indices.sorted { values[$0] > values[$1] }
        var rotated = [Float](repeating: 0, count: d * k)
        for (col, e) in order.enumerated() {
            // Deterministic sign: the component's sum over the dimensions is positive.
            var column = [Float](repeating: 0, count: d)
            for r in 0..<d { var s = 0.0; for a in 0..<k { s += Double(w[r * k + a]) * vectors[a][e] }; column[r] = Float(s) }
            let sign: Float = column.reduce(0, +) < 0 ? -1 : 1
            for r in 0..<d { rotated[r * k + col] = sign * column[r] }
        }
        return MissingDataPCA(mean: mean, basis: rotated, variances: order.map { Float(max(values[$0], 0)) },
                              totalVariance: Float(total / Double(n)), history: history, dimension: d, components: k)
    }

    /// Column means of an r×c row-major matrix.
    static func columnMeans(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        var m = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { m[j] += Double(x[i * columns + j]) } }
        return m.map { Float($0 / Double(rows)) }
    }

    /// Modified Gram–Schmidt on the columns of an r×c row-major matrix (in Double; a column that
    /// vanishes is replaced by a unit vector orthogonal to the previous ones).
    static func orthonormaliseColumns(_ w: inout [Float], rows: Int, columns: Int) {
        var cols = (0..<columns).map { c in (0..<rows).map { Double(w[$0 * columns + c]) } }
        for c in 0..<columns {
            for _ in 0..<2 {
                for p in 0..<c {
                    var dot = 0.0
                    for r in 0..<rows { dot += cols[c][r] * cols[p][r] }
                    for r in 0..<rows { cols[c][r] -= dot * cols[p][r] }
                }
            }
            var norm = cols[c].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm < 1e-12 {
                cols[c] = (0..<rows).map { $0 == c % rows ? 1 : 0 }
                norm = 1
            }
            for r in 0..<rows { cols[c][r] /= norm }
        }
        for c in 0..<columns { for r in 0..<rows { w[r * columns + c] = Float(cols[c][r]) } }
    }
}

/// C (m×n) = op(A) op(B), row-major, op(A) m×k and op(B) k×n.
func gemm(_ a: [Float], _ b: [Float], _ c: inout [Float], m: Int, n: Int, k: Int,
          transposeA: Bool = false, transposeB: Bool = false) {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), 1, pa.baseAddress, Int32(transposeA ? m : k),
                            pb.baseAddress, Int32(transposeB ? k : n), 0, pc.baseAddress, Int32(n))
            }
        }
    }
}
