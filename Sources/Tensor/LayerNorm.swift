/// Layer normalisation over the last axis, with a learned scale γ and shift β.
///
/// Forward per row of width `D`: `μ = mean(x)`, `r = 1/√(var(x) + ε)`, `x̂ = (x − μ)·r`,
/// `y = γ ⊙ x̂ + β`. Shapes: `x`, `y` `[N, D]` (any leading dims), `γ`, `β` `[D]`; `μ`, `r` `[N]`
/// are saved for the backward.
/// Backward: `dβ += Σ_rows dy`, `dγ += Σ_rows dy ⊙ x̂`, and with `ĝ = dy ⊙ γ`,
/// `dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂))`.
func layerNormForward(_ x: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
                      _ y: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                      _ rstd: UnsafeMutablePointer<Float>, rows: Int, width: Int, epsilon: Float) {
    Compute.parallelFor(rows, costPerItem: width * 8) { r in
        for row in r {
            let (px, py) = (x + row * width, y + row * width)
            let m = rowSum(px, width) / Float(width)
            var v: Float = 0
            for j in 0..<width { let d = px[j] - m; v += d * d }
            let rs = 1 / (v / Float(width) + epsilon).squareRoot()
            for j in 0..<width { py[j] = (px[j] - m) * rs * gamma[j] + beta[j] }
            mean[row] = m
            rstd[row] = rs
        }
    }
}

func layerNormBackward(_ x: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>, _ mean: UnsafePointer<Float>,
                       _ rstd: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>?,
                       _ dgamma: UnsafeMutablePointer<Float>?, _ dbeta: UnsafeMutablePointer<Float>?,
                       rows: Int, width: Int) {
    if let dx {
        Compute.parallelFor(rows, costPerItem: width * 10) { r in
            for row in r {
                let (px, pg, pd) = (x + row * width, dy + row * width, dx + row * width)
                let (m, rs) = (mean[row], rstd[row])
                var sg: Float = 0, sgx: Float = 0
                for j in 0..<width {
                    let g = pg[j] * gamma[j]
                    sg += g
                    sgx += g * (px[j] - m) * rs
                }
                let (mg, mgx) = (sg / Float(width), sgx / Float(width))
                for j in 0..<width {
                    let xh = (px[j] - m) * rs
                    pd[j] += rs * (pg[j] * gamma[j] - mg - xh * mgx)
                }
            }
        }
    }
    guard dgamma != nil || dbeta != nil else { return }
    for row in 0..<rows {
        let (px, pg) = (x + row * width, dy + row * width)
        let (m, rs) = (mean[row], rstd[row])
        if let dbeta { for j in 0..<width { dbeta[j] += pg[j] } }
        if let dgamma { for j in 0..<width { dgamma[j] += pg[j] * (px[j] - m) * rs } }
    }
}

/// Layer normalisation of `x` over its last axis.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-6) -> Tensor {
    let width = x.shape.last ?? 1
    precondition(gamma.count == width && beta.count == width, "layerNorm of \(x.shape) with γ \(gamma.shape)")
    let rows = x.count / max(width, 1)
    let out = Tensor(uninitialized: x.shape)
    let stats = Storage(uninitialized: 2 * rows)
    let (mu, rs) = (stats.pointer, stats.pointer + rows)
    layerNormForward(x.data, gamma.data, beta.data, out.data, mu, rs, rows: rows, width: width, epsilon: epsilon)
    return out.recording([x, gamma, beta]) { out in
        layerNormBackward(x.data, gamma.data, mu, rs, out.grad!, x.requiresGrad ? x.gradBuffer() : nil,
                          gamma.requiresGrad ? gamma.gradBuffer() : nil,
                          beta.requiresGrad ? beta.gradBuffer() : nil, rows: rows, width: width)
        _ = stats
    }
}
