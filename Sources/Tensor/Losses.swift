/// Losses: L1, MSE (fused), SSIM (composed of differentiable ops). All return a scalar tensor.

/// Mean absolute error `(1/n) Σ |p − t|`. Backward: `dp = sign(p − t)/n`, `dt = −dp`.
public func l1Loss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    pointwiseLoss(prediction, target, value: { abs($0) }, slope: { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
}

/// Mean squared error `(1/n) Σ (p − t)²`. Backward: `dp = 2(p − t)/n`, `dt = −dp`.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    pointwiseLoss(prediction, target, value: { $0 * $0 }, slope: { 2 * $0 })
}

/// `(1/n) Σ f(p − t)` with `f'` given; accumulated in Double for large inputs.
private func pointwiseLoss(_ p: Tensor, _ t: Tensor, value: (Float) -> Float,
                           slope: @escaping (Float) -> Float) -> Tensor {
    precondition(p.shape == t.shape, "loss of \(p.shape) against \(t.shape)")
    let n = p.count
    var total = 0.0
    for i in 0..<n { total += Double(value(p.data[i] - t.data[i])) }
    let out = Tensor(scalar: Float(total / Double(max(n, 1))))
    return out.recording([p, t]) { out in
        let g = out.grad![0] / Float(max(n, 1))
        let dp = p.requiresGrad ? p.gradBuffer() : nil, dt = t.requiresGrad ? t.gradBuffer() : nil
        for i in 0..<n {
            let d = g * slope(p.data[i] - t.data[i])
            dp?[i] += d
            dt?[i] -= d
        }
    }
}

/// Structural dissimilarity `1 − mean(SSIM(x, y))` of images `[B, C, H, W]` (values in about [0, 1]).
///
/// SSIM (Wang et al. 2004) per pixel over a `window × window` box (valid region, stride 1):
/// `SSIM = ((2μxμy + C1)(2σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))`, with local means `μ`,
/// variances `σ² = E[x²] − μ²`, covariance `σxy = E[xy] − μxμy`, `C1 = 0.01²`, `C2 = 0.03²` (the
/// teacher-student loss of the paper, Eq. 5, uses it between the MAE and UNet displacement maps).
/// Built from `avgPool2d` and broadcasting arithmetic, so its gradient is theirs.
public func ssimLoss(_ x: Tensor, _ y: Tensor, window: Int = 3) -> Tensor {
    precondition(x.shape == y.shape && x.rank == 4, "ssim of \(x.shape) against \(y.shape)")
    let (c1, c2): (Float, Float) = (0.01 * 0.01, 0.03 * 0.03)
    let pool = { (t: Tensor) in avgPool2d(t, kernel: window, stride: 1) }
    let (mx, my) = (pool(x), pool(y))
    let (mxx, myy, mxy) = (mx * mx, my * my, mx * my)
    let sx = pool(x * x) - mxx, sy = pool(y * y) - myy, sxy = pool(x * y) - mxy
    let numerator = (2 * mxy + c1) * (2 * sxy + c2)
    let denominator = (mxx + myy + c1) * (sx + sy + c2)
    return 1 - mean(numerator / denominator)
}
