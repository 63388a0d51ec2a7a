/// The sum of two NCHW tensors of different sizes, each zero-extended to the larger size on every
/// axis (dlib's `add_prev` layer, whose residual shortcuts meet branches with fewer channels or a
/// spatial size one larger): `a` `[B, C₁, H₁, W₁]`, `b` `[B, C₂, H₂, W₂]` →
/// `[B, max C, max H, max W]`, `y[n,c,h,w] = a[n,c,h,w]·[inside a] + b[n,c,h,w]·[inside b]`.
/// The padding goes after the last channel, row and column. Backward: each input's gradient is
/// the output gradient restricted to its own extent.
public func addZeroExtended(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank == 4 && b.rank == 4 && a.shape[0] == b.shape[0], "addZeroExtended of \(a.shape) and \(b.shape)")
    if a.shape == b.shape { return a + b }
    let shape = (0..<4).map { max(a.shape[$0], b.shape[$0]) }
    let out = Tensor(zeros: shape)
    for x in [a, b] { forEachRow(of: x, in: shape) { src, dst, n in for i in 0..<n { out.data[dst + i] += x.data[src + i] } } }
    return out.recording([a, b]) { out in
        for x in [a, b] where x.requiresGrad {
            let g = x.gradBuffer()
            forEachRow(of: x, in: shape) { src, dst, n in for i in 0..<n { g[src + i] += out.grad![dst + i] } }
        }
    }
}

/// Calls `body(srcOffset, dstOffset, width)` for each row of `x` placed at the origin of a tensor
/// of `shape` (each axis at least as large).
private func forEachRow(of x: Tensor, in shape: [Int], _ body: (Int, Int, Int) -> Void) {
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
    for n in 0..<x.shape[0] { for k in 0..<c { for y in 0..<h {
        body(((n * c + k) * h + y) * w, ((n * shape[1] + k) * shape[2] + y) * shape[3], w)
    } } }
}
