import COpenBLAS

/// Row-major `C = alpha · op(A) · op(B) + beta · C` with explicit leading dimensions.
/// `op(A)` is `m×k`, `op(B)` is `k×n`, `C` is `m×n`.
///
/// Under the `.engine` threading strategy a large product is split into `Compute.threads` blocks
/// of rows of `C` (or of columns, when `C` has fewer rows than columns), each a single-threaded
/// sgemm on its own worker; the blocks write disjoint parts of `C`.
public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard Compute.splitsGEMM, m * n * k >= 1 << 20 else {
        sgemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
        return
    }
    let workers = Compute.threads
    if m >= n {
        Compute.parallelFor(workers, costPerItem: 1 << 20) { r in
            for w in r {
                let lo = m * w / workers, hi = m * (w + 1) / workers
                sgemmSerial(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                            a: a + (transA ? lo : lo * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                            c: c + lo * ldc, ldc: ldc)
            }
        }
    } else {
        Compute.parallelFor(workers, costPerItem: 1 << 20) { r in
            for w in r {
                let lo = n * w / workers, hi = n * (w + 1) / workers
                sgemmSerial(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                            b: b + (transB ? lo * ldb : lo), ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            }
        }
    }
}

/// `sgemm` on the calling thread only (for callers that are already parallel).
@inline(__always)
func sgemmSerial(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Forward of `C[m,n] = op(A) · op(B)`, with `A` `[m,k]` (or `[k,m]` if `transA`) and `B` `[k,n]`
/// (or `[n,k]` if `transB`), for `batch` independent matrices laid out one after another.
func matmulForward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                   batch: Int, m: Int, n: Int, k: Int, transA: Bool, transB: Bool, bBatched: Bool) {
    for i in 0..<batch {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k,
              a: a + i * m * k, lda: transA ? m : k, b: b + (bBatched ? i * k * n : 0), ldb: transB ? k : n,
              beta: 0, c: c + i * m * n, ldc: n)
    }
}

/// Backward of `matmulForward`: accumulates `dA` (if non-nil) and `dB` (if non-nil) from `dC`.
///
/// With `A' = op(A)`, `B' = op(B)`: `dA' = dC · B'ᵀ`, `dB' = A'ᵀ · dC`; a transposed operand receives
/// the transpose, which is folded into the GEMM flags (`dA = B' · dCᵀ` when `transA`, and so on).
func matmulBackward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dc: UnsafePointer<Float>,
                    _ da: UnsafeMutablePointer<Float>?, _ db: UnsafeMutablePointer<Float>?,
                    batch: Int, m: Int, n: Int, k: Int, transA: Bool, transB: Bool, bBatched: Bool) {
    let lda = transA ? m : k, ldb = transB ? k : n
    for i in 0..<batch {
        let ai = a + i * m * k, bi = b + (bBatched ? i * k * n : 0), dci = dc + i * m * n
        if let da {
            if transA {
                sgemm(transA: transB, transB: true, m: k, n: m, k: n, a: bi, lda: ldb, b: dci, ldb: n,
                      beta: 1, c: da + i * m * k, ldc: m)
            } else {
                sgemm(transA: false, transB: !transB, m: m, n: k, k: n, a: dci, lda: n, b: bi, ldb: ldb,
                      beta: 1, c: da + i * m * k, ldc: k)
            }
        }
        if let db {
            let dbi = db + (bBatched ? i * k * n : 0)
            if transB {
                sgemm(transA: true, transB: transA, m: n, n: k, k: m, a: dci, lda: n, b: ai, ldb: lda,
                      beta: 1, c: dbi, ldc: k)
            } else {
                sgemm(transA: !transA, transB: false, m: k, n: n, k: m, a: ai, lda: lda, b: dci, ldb: n,
                      beta: 1, c: dbi, ldc: n)
            }
        }
    }
}

/// Matrix product `op(a) · op(b)`.
///
/// - `a` `[m,k]`, `b` `[k,n]` → `[m,n]`;
/// - `a` `[B,m,k]`, `b` `[B,k,n]` → `[B,m,n]` (batched; one sgemm per batch item);
/// - `a` `[B,m,k]`, `b` `[k,n]` → `[B,m,n]` (`b` shared by the batch).
/// `transposeA`/`transposeB` transpose the last two axes of the operand.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
    let batch = a.shape.dropLast(2).reduce(1, *)
    let bBatched = b.rank > 2
    precondition(!bBatched || (b.rank == a.rank && Array(b.shape.dropLast(2)) == Array(a.shape.dropLast(2))),
                 "matmul batch dimensions differ: \(a.shape) and \(b.shape)")
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (ac, ar) : (ar, ac)
    let (k2, n) = transposeB ? (bc, br) : (br, bc)
    precondition(k == k2, "matmul inner dimensions differ: \(a.shape) and \(b.shape)")
    let out = Tensor(uninitialized: Array(a.shape.dropLast(2)) + [m, n])
    matmulForward(a.data, b.data, out.data, batch: batch, m: m, n: n, k: k,
                  transA: transposeA, transB: transposeB, bBatched: bBatched)
    return out.recording([a, b]) { out in
        matmulBackward(a.data, b.data, out.grad!, a.requiresGrad ? a.gradBuffer() : nil,
                       b.requiresGrad ? b.gradBuffer() : nil, batch: batch, m: m, n: n, k: k,
                       transA: transposeA, transB: transposeB, bBatched: bBatched)
    }
}
