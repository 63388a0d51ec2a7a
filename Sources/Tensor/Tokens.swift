/// Token-level ops for vision transformers: patchify/unpatchify and per-sample gather/scatter
/// (the masking of a masked autoencoder).

/// `[B, C, H, W]` → `[B, N, C·p·p]`, `N = (H/p)·(W/p)` patches in row-major grid order, each
/// flattened as `(c, i, j)` — the layout of a conv weight `[D, C, p, p]`, so `linear` with such a
/// weight is the 16×16 patch embedding. A reshape + permute, differentiable through them.
public func patchify(_ x: Tensor, patch p: Int) -> Tensor {
    precondition(x.rank == 4 && x.shape[2] % p == 0 && x.shape[3] % p == 0, "patchify \(x.shape) by \(p)")
    let (b, c, gh, gw) = (x.shape[0], x.shape[1], x.shape[2] / p, x.shape[3] / p)
    let grid = permute(x.reshaped([b, c, gh, p, gw, p]), [0, 2, 4, 1, 3, 5])
    return grid.reshaped([b, gh * gw, c * p * p])
}

/// The inverse of `patchify`: `[B, N, C·p·p]` → `[B, C, gridH·p, gridW·p]`.
public func unpatchify(_ x: Tensor, patch p: Int, gridH: Int, gridW: Int) -> Tensor {
    precondition(x.rank == 3 && x.shape[1] == gridH * gridW && x.shape[2] % (p * p) == 0,
                 "unpatchify \(x.shape) to a \(gridH)×\(gridW) grid of \(p)-patches")
    let (b, c) = (x.shape[0], x.shape[2] / (p * p))
    let grid = permute(x.reshaped([b, gridH, gridW, c, p, p]), [0, 3, 1, 4, 2, 5])
    return grid.reshaped([b, c, gridH * p, gridW * p])
}

/// `out[b, k] = x[b, indices[b][k]]`: `[B, T, D]` → `[B, K, D]`. Backward scatter-adds.
public func gatherTokens(_ x: Tensor, indices: [[Int]]) -> Tensor {
    precondition(x.rank == 3 && indices.count == x.shape[0], "gatherTokens of \(x.shape)")
    let (b, t, d, k) = (x.shape[0], x.shape[1], x.shape[2], indices.first?.count ?? 0)
    precondition(indices.allSatisfy { $0.count == k && $0.allSatisfy { $0 >= 0 && $0 < t } },
                 "gatherTokens indices must be \(b) rows of \(k) values in 0..<\(t)")
    let out = Tensor(uninitialized: [b, k, d])
    for i in 0..<b { for (j, src) in indices[i].enumerated() {
        (out.data + (i * k + j) * d).update(from: x.data + (i * t + src) * d, count: d)
    } }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for i in 0..<b { for (j, src) in indices[i].enumerated() {
            let (s, dst) = (g + (i * k + j) * d, gx + (i * t + src) * d)
            for e in 0..<d { dst[e] += s[e] }
        } }
    }
}

/// `[B, K, D]` tokens placed at `indices[b]` of a `[B, T, D]` sequence whose other positions hold
/// `fill` `[D]` (the MAE mask token). Backward: gather for `x`, sum over filled positions for `fill`.
public func scatterTokens(_ x: Tensor, indices: [[Int]], tokens t: Int, fill: Tensor) -> Tensor {
    precondition(x.rank == 3 && indices.count == x.shape[0] && fill.count == x.shape[2], "scatterTokens of \(x.shape)")
    let (b, k, d) = (x.shape[0], x.shape[1], x.shape[2])
    var filled = [[Bool]](repeating: [Bool](repeating: true, count: t), count: b)
    let out = Tensor(uninitialized: [b, t, d])
    for i in 0..<b {
        precondition(indices[i].count == k, "scatterTokens: \(indices[i].count) indices for \(k) tokens")
        for (j, dst) in indices[i].enumerated() {
            (out.data + (i * t + dst) * d).update(from: x.data + (i * k + j) * d, count: d)
            filled[i][dst] = false
        }
        for p in 0..<t where filled[i][p] { (out.data + (i * t + p) * d).update(from: fill.data, count: d) }
    }
    return out.recording([x, fill]) { out in
        let g = out.grad!
        if x.requiresGrad {
            let gx = x.gradBuffer()
            for i in 0..<b { for (j, src) in indices[i].enumerated() {
                let (s, dst) = (g + (i * t + src) * d, gx + (i * k + j) * d)
                for e in 0..<d { dst[e] += s[e] }
            } }
        }
        if fill.requiresGrad {
            let gf = fill.gradBuffer()
            for i in 0..<b { for p in 0..<t where filled[i][p] {
                let s = g + (i * t + p) * d
                for e in 0..<d { gf[e] += s[e] }
            } }
        }
    }
}
