/// Multi-head scaled dot-product self-attention on packed projections (fused op).
///
/// Input `qkv` `[B, T, 3D]` holds, per token, the query, key and value projections side by side
/// (`D = H·d` for `H` heads of width `d`). For each batch item `b` and head `h`, with `Q`, `K`, `V`
/// the `[T, d]` column blocks of head `h` (read in place through the GEMM leading dimension `3D`,
/// no copies): `S = Q·Kᵀ/√d`, `P = softmax_rows(S)`, `O = P·V`, written into the head's columns of
/// the output `[B, T, D]`. `P` `[B, H, T, T]` is saved for the backward:
/// `dV += Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ += dS·K/√d`, `dK += dSᵀ·Q/√d`.
/// The `B·H` heads run in parallel on single-threaded BLAS (see `Compute`).
func attentionForward(_ qkv: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                      _ probs: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, heads: Int, dim: Int) {
    let (t, hd, ld) = (tokens, dim / heads, 3 * dim)
    let scale = 1 / Float(hd).squareRoot()
    // Query rows are independent in the forward pass, so when there are fewer heads than workers
    // to keep busy (batch 1 has 3), each head is also split into blocks of query rows.
    let pairs = batch * heads
    let chunks = pairs >= 4 * Compute.threads ? 1 : (4 * Compute.threads + pairs - 1) / pairs
    Compute.withSingleThreadedBLAS {
        Compute.parallelFor(pairs * chunks, costPerItem: 4 * t * t * hd / chunks) { r in
            for task in r {
                let (pair, chunk) = (task / chunks, task % chunks)
                let (b, h) = (pair / heads, pair % heads)
                let (lo, hi) = (t * chunk / chunks, t * (chunk + 1) / chunks)
                guard lo < hi else { continue }
                let q = qkv + b * t * ld + h * hd
                let p = probs + pair * t * t + lo * t
                sgemmSerial(transA: false, transB: true, m: hi - lo, n: t, k: hd, alpha: scale, a: q + lo * ld,
                            lda: ld, b: q + dim, ldb: ld, beta: 0, c: p, ldc: t)
                softmaxRowsSerial(p, rows: hi - lo, width: t)
                sgemmSerial(transA: false, transB: false, m: hi - lo, n: hd, k: t, a: p, lda: t, b: q + 2 * dim,
                            ldb: ld, beta: 0, c: out + (b * t + lo) * dim + h * hd, ldc: dim)
            }
        }
    }
}

func attentionBackward(_ qkv: UnsafePointer<Float>, _ probs: UnsafePointer<Float>, _ dout: UnsafePointer<Float>,
                       _ dqkv: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, heads: Int, dim: Int) {
    let (t, hd, ld) = (tokens, dim / heads, 3 * dim)
    let scale = 1 / Float(hd).squareRoot()
    Compute.withSingleThreadedBLAS {
        Compute.parallelFor(batch * heads, costPerItem: 8 * t * t * hd) { r in
            let scratch = Storage(uninitialized: t * t)
            let ds = scratch.pointer
            for task in r {
                let (b, h) = (task / heads, task % heads)
                let q = qkv + b * t * ld + h * hd
                let dq = dqkv + b * t * ld + h * hd
                let p = probs + task * t * t
                let dO = dout + b * t * dim + h * hd
                sgemmSerial(transA: true, transB: false, m: t, n: hd, k: t, a: p, lda: t, b: dO, ldb: dim,
                      beta: 1, c: dq + 2 * dim, ldc: ld)
                sgemmSerial(transA: false, transB: true, m: t, n: t, k: hd, a: dO, lda: dim, b: q + 2 * dim, ldb: ld,
                      beta: 0, c: ds, ldc: t)
                for i in 0..<t {
                    let (pr, dr) = (p + i * t, ds + i * t)
                    let dot = rowDot(pr, dr, t)
                    for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
                }
                sgemmSerial(transA: false, transB: false, m: t, n: hd, k: t, alpha: scale, a: ds, lda: t,
                      b: q + dim, ldb: ld, beta: 1, c: dq, ldc: ld)
                sgemmSerial(transA: true, transB: false, m: t, n: hd, k: t, alpha: scale, a: ds, lda: t,
                      b: q, ldb: ld, beta: 1, c: dq + dim, ldc: ld)
            }
        }
    }
}

/// Softmax of each row in place, on the calling thread.
func softmaxRowsSerial(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let p = x + row * width
        let m = rowMax(p, width)
        mapLanes(p, p, width, { fastExp($0 - m) }, { fastExp($0 - m) })
        let inv = 1 / rowSum(p, width)
        for j in 0..<width { p[j] *= inv }
    }
}

/// Self-attention of packed `qkv` `[B, T, 3D]` with `heads` heads → `[B, T, D]`.
public func selfAttention(qkv: Tensor, heads: Int) -> Tensor {
    precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                 "selfAttention needs [B, T, 3·heads·d], got \(qkv.shape) for \(heads) heads")
    let (b, t, dim) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let out = Tensor(uninitialized: [b, t, dim])
    let probs = Storage(uninitialized: b * heads * t * t)
    attentionForward(qkv.data, out.data, probs.pointer, batch: b, tokens: t, heads: heads, dim: dim)
    return out.recording([qkv]) { out in
        attentionBackward(qkv.data, probs.pointer, out.grad!, qkv.gradBuffer(), batch: b, tokens: t,
                          heads: heads, dim: dim)
    }
}
