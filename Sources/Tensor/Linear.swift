/// Affine map over the last axis: `y = x · Wᵀ + b`.
///
/// Shapes: `x` `[N, in]` (any leading dims flattened into `N`), `W` `[out, in]` (PyTorch layout;
/// any shape with `out` first and `in` elements per row, e.g. a patch embedding `[out, C, p, p]`),
/// `b` `[out]` or nil, `y` `[N, out]`. The bias is fused into the GEMM by pre-filling `y` with `b` and
/// calling sgemm with `beta = 1`.
/// Backward: `dx += dy · W`, `dW += dyᵀ · x` (skipped when `W` is frozen), `db += Σ_rows dy`.
func linearForward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                   _ y: UnsafeMutablePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
    if let b {
        for r in 0..<rows { (y + r * outFeatures).update(from: b, count: outFeatures) }
    }
    sgemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures,
          b: w, ldb: inFeatures, beta: b == nil ? 0 : 1, c: y, ldc: outFeatures)
}

func linearBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                    _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?,
                    _ db: UnsafeMutablePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int) {
    if let dx {
        sgemm(transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures,
              b: w, ldb: inFeatures, beta: 1, c: dx, ldc: inFeatures)
    }
    if let dw {
        sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, a: dy, lda: outFeatures,
              b: x, ldb: inFeatures, beta: 1, c: dw, ldc: inFeatures)
    }
    if let db {
        for r in 0..<rows {
            let g = dy + r * outFeatures
            for j in 0..<outFeatures { db[j] += g[j] }
        }
    }
}

/// `x · Wᵀ + b` over the last axis of `x`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let outFeatures = weight.shape[0]
    let inFeatures = weight.count / max(outFeatures, 1)
    precondition(x.shape.last == inFeatures, "linear of \(x.shape) with weight \(weight.shape)")
    precondition(bias == nil || bias!.count == outFeatures, "bias \(bias!.shape) for \(outFeatures) outputs")
    let rows = x.count / max(inFeatures, 1)
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
    linearForward(x.data, weight.data, bias?.data, out.data, rows: rows, inFeatures: inFeatures,
                  outFeatures: outFeatures)
    return out.recording([x, weight] + (bias.map { [$0] } ?? [])) { out in
        linearBackward(x.data, weight.data, out.grad!, x.requiresGrad ? x.gradBuffer() : nil,
                       weight.requiresGrad ? weight.gradBuffer() : nil,
                       bias?.requiresGrad == true ? bias!.gradBuffer() : nil,
                       rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    }
}
