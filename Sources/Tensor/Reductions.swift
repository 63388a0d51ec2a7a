/// Sums and means over chosen axes.
///
/// `sum(x, axes)`: `out[j] = Σ_{i ↦ j} x[i]`, where `i ↦ j` drops the reduced axes; the backward
/// broadcasts the gradient back, `dx[i] += dout[j]`. Implemented over `Broadcast` between the input
/// shape and the kept-dimensions output shape (reduced axes of size 1).
public func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    reduce(x, axes: axes, keepDims: keepDims, scale: 1)
}

/// Mean over `axes` (all axes when nil): `sum / (number of reduced elements)`.
public func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
    let reduced = normalizedAxes(axes, rank: x.rank).map { x.shape[$0] }.reduce(1, *)
    return reduce(x, axes: axes, keepDims: keepDims, scale: 1 / Float(max(reduced, 1)))
}

func normalizedAxes(_ axes: [Int]?, rank: Int) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    return axes.map { a in
        let n = a < 0 ? a + rank : a
        precondition(n >= 0 && n < rank, "axis \(a) out of range for rank \(rank)")
        return n
    }
}

private func reduce(_ x: Tensor, axes: [Int]?, keepDims: Bool, scale: Float) -> Tensor {
    let axes = Set(normalizedAxes(axes, rank: x.rank))
    let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let finalShape = keepDims ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    let bc = Broadcast(x.shape, kept)
    let out = Tensor(zeros: finalShape)
    let (px, po, n, sy) = (x.data, out.data, bc.inner, bc.bStep)
    bc.forEachRow { o, _, iy in
        for j in 0..<n { po[iy + j * sy] += px[o + j] }
    }
    if scale != 1 { for i in 0..<out.count { po[i] *= scale } }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        bc.forEachRow { o, _, iy in
            for j in 0..<n { gx[o + j] += scale * g[iy + j * sy] }
        }
    }
}
