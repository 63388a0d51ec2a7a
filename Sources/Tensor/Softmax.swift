/// Softmax over the last axis.
///
/// Forward per row: `y_j = e^(x_j − m) / Σ_k e^(x_k − m)`, `m = max_k x_k` (for range safety).
/// Backward per row: `dx_j += y_j · (dy_j − Σ_k dy_k y_k)`.
func softmaxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    y.update(from: x, count: rows * width)
    Compute.parallelFor(rows, costPerItem: width * 20) { r in
        softmaxRowsSerial(y + r.lowerBound * width, rows: r.count, width: width)
    }
}

func softmaxBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                     rows: Int, width: Int) {
    Compute.parallelFor(rows, costPerItem: width * 4) { r in
        for row in r {
            let (py, pg, pd) = (y + row * width, dy + row * width, dx + row * width)
            let dot = rowDot(pg, py, width)
            for j in 0..<width { pd[j] += py[j] * (pg[j] - dot) }
        }
    }
}

/// Softmax over the last axis of `x`.
public func softmax(_ x: Tensor) -> Tensor {
    let width = x.shape.last ?? 1
    let rows = x.count / max(width, 1)
    let out = Tensor(uninitialized: x.shape)
    softmaxForward(x.data, out.data, rows: rows, width: width)
    return out.recording([x]) { out in
        softmaxBackward(out.data, out.grad!, x.gradBuffer(), rows: rows, width: width)
    }
}
