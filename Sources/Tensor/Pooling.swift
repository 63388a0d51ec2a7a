/// Max and average pooling over `k×k` windows, NCHW, no padding:
/// `x` `[B, C, H, W]` → `[B, C, (H − k)/s + 1, (W − k)/s + 1]`.

/// Window sweep shared by both poolings: calls `body(outIndex, planeOffset, top, left)` for each
/// output pixel, in output order.
private func forEachWindow(_ shape: [Int], kernel: Int, stride: Int,
                           _ body: (_ outIndex: Int, _ planeBase: Int, _ y0: Int, _ x0: Int) -> Void) {
    let (n, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (oh, ow) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1)
    var o = 0
    for p in 0..<n { for oy in 0..<oh { for ox in 0..<ow {
        body(o, p * h * w, oy * stride, ox * stride)
        o += 1
    } } }
}

private func pooledShape(_ x: Tensor, kernel: Int, stride: Int) -> [Int] {
    precondition(x.rank == 4 && x.shape[2] >= kernel && x.shape[3] >= kernel, "pool \(kernel) of \(x.shape)")
    return [x.shape[0], x.shape[1], (x.shape[2] - kernel) / stride + 1, (x.shape[3] - kernel) / stride + 1]
}

/// Max pooling. Backward routes each output gradient to the arg-max input (saved as an index).
public func maxPool2d(_ x: Tensor, kernel: Int = 2, stride: Int? = nil) -> Tensor {
    let s = stride ?? kernel
    let out = Tensor(uninitialized: pooledShape(x, kernel: kernel, stride: s))
    var argmax = [Int32](repeating: 0, count: out.count)
    let w = x.shape[3]
    forEachWindow(x.shape, kernel: kernel, stride: s) { o, base, y0, x0 in
        var best = -Float.infinity, at = base + y0 * w + x0
        for i in 0..<kernel { for j in 0..<kernel {
            let idx = base + (y0 + i) * w + x0 + j
            if x.data[idx] > best { best = x.data[idx]; at = idx }
        } }
        out.data[o] = best
        argmax[o] = Int32(at)
    }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for o in 0..<out.count { gx[Int(argmax[o])] += g[o] }
    }
}

/// Average pooling. Backward spreads each output gradient evenly over its window.
public func avgPool2d(_ x: Tensor, kernel: Int = 2, stride: Int? = nil) -> Tensor {
    let s = stride ?? kernel
    let out = Tensor(uninitialized: pooledShape(x, kernel: kernel, stride: s))
    let w = x.shape[3], inv = 1 / Float(kernel * kernel)
    forEachWindow(x.shape, kernel: kernel, stride: s) { o, base, y0, x0 in
        var sum: Float = 0
        for i in 0..<kernel { for j in 0..<kernel { sum += x.data[base + (y0 + i) * w + x0 + j] } }
        out.data[o] = sum * inv
    }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        forEachWindow(x.shape, kernel: kernel, stride: s) { o, base, y0, x0 in
            let v = g[o] * inv
            for i in 0..<kernel { for j in 0..<kernel { gx[base + (y0 + i) * w + x0 + j] += v } }
        }
    }
}
