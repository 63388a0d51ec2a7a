/// Reshape, permute/transpose, concat and slice. All copy except `reshaped`, which shares storage.

extension Tensor {
    /// The same elements in a new shape (one dimension may be −1 and is inferred). Shares storage;
    /// the backward adds the gradient back in the original shape.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var shape = newShape
        if let unknown = shape.firstIndex(of: -1) {
            let known = shape.filter { $0 != -1 }.reduce(1, *)
            shape[unknown] = known == 0 ? 0 : count / known
        }
        precondition(shape.reduce(1, *) == count, "cannot reshape \(self.shape) to \(newShape)")
        let out = Tensor(shape: shape, storage: storage)
        return out.recording([self]) { [self] out in
            let (g, gx) = (out.grad!, gradBuffer())
            for i in 0..<count { gx[i] += g[i] }
        }
    }
}

/// Axes reordered: `out.shape[i] = x.shape[order[i]]`.
public func permute(_ x: Tensor, _ order: [Int]) -> Tensor {
    precondition(order.sorted() == Array(0..<x.rank), "bad permutation \(order) for rank \(x.rank)")
    let outShape = order.map { x.shape[$0] }
    let xs = rowMajorStrides(x.shape)
    let strides = order.map { xs[$0] }   // input stride of each output axis
    let out = Tensor(uninitialized: outShape)
    permuteCopy(x.data, out.data, shape: outShape, sourceStrides: strides, accumulate: false)
    return out.recording([x]) { out in
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inverse[o] = i }
        let os = rowMajorStrides(outShape)
        permuteCopy(out.grad!, x.gradBuffer(), shape: x.shape, sourceStrides: inverse.map { os[$0] },
                    accumulate: true)
    }
}

/// Swaps two axes.
public func transpose(_ x: Tensor, _ a: Int, _ b: Int) -> Tensor {
    var order = Array(0..<x.rank)
    let (na, nb) = (a < 0 ? a + x.rank : a, b < 0 ? b + x.rank : b)
    order.swapAt(na, nb)
    return permute(x, order)
}

/// Writes (or adds) `dst[i] = src[Σ index_k · sourceStrides_k]` over `shape` in row-major order.
private func permuteCopy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: [Int],
                         sourceStrides: [Int], accumulate: Bool) {
    let bc = StridedWalk(shape: shape, strides: sourceStrides)
    let n = shape.last ?? 1, step = sourceStrides.last ?? 0
    bc.forEachRow { o, s in
        if accumulate { for j in 0..<n { dst[o + j] += src[s + j * step] } }
        else { for j in 0..<n { dst[o + j] = src[s + j * step] } }
    }
}

/// Walks a shape in rows of its last dimension, tracking a second offset with arbitrary strides.
private struct StridedWalk {
    let shape: [Int], strides: [Int]
    func forEachRow(_ body: (Int, Int) -> Void) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let rank = shape.count
        if rank <= 1 { body(0, 0); return }
        var index = [Int](repeating: 0, count: rank - 1)
        var off = 0, o = 0
        let inner = shape[rank - 1]
        while true {
            body(o, off)
            o += inner
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                off += strides[d]
                if index[d] < shape[d] { break }
                off -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// Joins tensors along `axis` (all other dimensions equal).
public func concat(_ parts: [Tensor], axis: Int) -> Tensor {
    precondition(!parts.isEmpty, "concat of nothing")
    let rank = parts[0].rank
    let ax = axis < 0 ? axis + rank : axis
    for p in parts {
        precondition(p.rank == rank && (0..<rank).allSatisfy { $0 == ax || p.shape[$0] == parts[0].shape[$0] },
                     "concat along \(axis) of \(parts.map(\.shape))")
    }
    var shape = parts[0].shape
    shape[ax] = parts.map { $0.shape[ax] }.reduce(0, +)
    let outer = shape[..<ax].reduce(1, *)
    let inner = shape[(ax + 1)...].reduce(1, *)
    let out = Tensor(uninitialized: shape)
    let rowOut = shape[ax] * inner
    var offset = 0
    var offsets: [Int] = []
    for p in parts {
        let w = p.shape[ax] * inner
        for o in 0..<outer { (out.data + o * rowOut + offset).update(from: p.data + o * w, count: w) }
        offsets.append(offset)
        offset += w
    }
    return out.recording(parts) { out in
        let g = out.grad!
        for (p, off) in zip(parts, offsets) where p.requiresGrad {
            let w = p.shape[ax] * inner, gp = p.gradBuffer()
            for o in 0..<outer {
                let (src, dst) = (g + o * rowOut + off, gp + o * w)
                for j in 0..<w { dst[j] += src[j] }
            }
        }
    }
}

/// The elements with index in `range` along `axis`.
public func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
    let ax = axis < 0 ? axis + x.rank : axis
    precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[ax],
                 "slice \(range) of axis \(ax) in \(x.shape)")
    var shape = x.shape
    shape[ax] = range.count
    let outer = x.shape[..<ax].reduce(1, *)
    let inner = x.shape[(ax + 1)...].reduce(1, *)
    let (rowIn, w, start) = (x.shape[ax] * inner, range.count * inner, range.lowerBound * inner)
    let out = Tensor(uninitialized: shape)
    for o in 0..<outer { (out.data + o * w).update(from: x.data + o * rowIn + start, count: w) }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for o in 0..<outer {
            let (src, dst) = (g + o * w, gx + o * rowIn + start)
            for j in 0..<w { dst[j] += src[j] }
        }
    }
}
