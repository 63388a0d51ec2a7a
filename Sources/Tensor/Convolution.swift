/// 2-D convolution (im2col + sgemm) and transposed convolution, NCHW.

/// Geometry of a convolution window sweep: `C` channels of `H×W` in, `kh×kw` kernel, stride, zero
/// padding; `outH = (H + 2p − kh)/s + 1`, likewise `outW`.
public struct ConvGeometry: Equatable, Sendable {
    public let channels, height, width, kernelH, kernelW, stride, padding: Int
    public var outH: Int { (height + 2 * padding - kernelH) / stride + 1 }
    public var outW: Int { (width + 2 * padding - kernelW) / stride + 1 }
    /// Rows of the column matrix: `C·kh·kw`.
    public var patchSize: Int { channels * kernelH * kernelW }

    /// Column matrix `[C·kh·kw, outH·outW]`: `cols[(c·kh + i)·kw + j][oy·outW + ox] =
    /// image[c][oy·s − p + i][ox·s − p + j]` (0 outside the image).
    func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (outH, outW)
        for c in 0..<channels { for i in 0..<kernelH { for j in 0..<kernelW {
            let row = cols + ((c * kernelH + i) * kernelW + j) * oh * ow
            let plane = image + c * height * width
            for oy in 0..<oh {
                let y = oy * stride - padding + i
                let dst = row + oy * ow
                guard y >= 0 && y < height else { dst.update(repeating: 0, count: ow); continue }
                for ox in 0..<ow {
                    let x = ox * stride - padding + j
                    dst[ox] = (x >= 0 && x < width) ? plane[y * width + x] : 0
                }
            }
        } } }
    }

    /// The adjoint of `im2col`: adds every column entry back to the pixel it was read from.
    func col2imAdd(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (outH, outW)
        for c in 0..<channels { for i in 0..<kernelH { for j in 0..<kernelW {
            let row = cols + ((c * kernelH + i) * kernelW + j) * oh * ow
            let plane = image + c * height * width
            for oy in 0..<oh {
                let y = oy * stride - padding + i
                guard y >= 0 && y < height else { continue }
                let src = row + oy * ow
                for ox in 0..<ow {
                    let x = ox * stride - padding + j
                    if x >= 0 && x < width { plane[y * width + x] += src[ox] }
                }
            }
        } } }
    }
}

/// Adds `bias[o]` to every element of plane `o` (`planes × size`), or accumulates plane sums into it.
private func addPlaneBias(_ bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, size: Int) {
    for o in 0..<planes { let v = bias[o], p = y + o * size; for i in 0..<size { p[i] += v } }
}

private func accumulatePlaneSums(_ g: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, planes: Int, size: Int) {
    for o in 0..<planes { let p = g + o * size; var s: Float = 0; for i in 0..<size { s += p[i] }; db[o] += s }
}

/// Convolution: `x` `[B, C, H, W]`, `weight` `[O, C, kh, kw]`, `bias` `[O]` → `[B, O, outH, outW]`.
///
/// Per image: `Y = W · im2col(x) + b` with `W` viewed as `[O, C·kh·kw]`.
/// Backward: `dW += dY · colsᵀ`, `db += Σ_spatial dY`, `dx += col2im(Wᵀ · dY)`; the columns are
/// recomputed rather than stored (memory over a cheap copy).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                 "conv2d of \(x.shape) with weight \(weight.shape)")
    let (batch, outC) = (x.shape[0], weight.shape[0])
    let g = ConvGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3], kernelH: weight.shape[2],
                         kernelW: weight.shape[3], stride: stride, padding: padding)
    let (spatial, k, inSize) = (g.outH * g.outW, g.patchSize, g.channels * g.height * g.width)
    let out = Tensor(uninitialized: [batch, outC, g.outH, g.outW])
    let cols = Storage(uninitialized: k * spatial)
    for b in 0..<batch {
        g.im2col(x.data + b * inSize, cols.pointer)
        let y = out.data + b * outC * spatial
        sgemm(transA: false, transB: false, m: outC, n: spatial, k: k, a: weight.data, lda: k, b: cols.pointer,
              ldb: spatial, beta: 0, c: y, ldc: spatial)
        if let bias { addPlaneBias(bias.data, y, planes: outC, size: spatial) }
    }
    return out.recording([x, weight] + (bias.map { [$0] } ?? [])) { out in
        let cols = Storage(uninitialized: k * spatial)
        for b in 0..<batch {
            let dy = out.grad! + b * outC * spatial
            if weight.requiresGrad {
                g.im2col(x.data + b * inSize, cols.pointer)
                sgemm(transA: false, transB: true, m: outC, n: k, k: spatial, a: dy, lda: spatial,
                      b: cols.pointer, ldb: spatial, beta: 1, c: weight.gradBuffer(), ldc: k)
            }
            if let bias, bias.requiresGrad { accumulatePlaneSums(dy, bias.gradBuffer(), planes: outC, size: spatial) }
            if x.requiresGrad {
                sgemm(transA: true, transB: false, m: k, n: spatial, k: outC, a: weight.data, lda: k, b: dy,
                      ldb: spatial, beta: 0, c: cols.pointer, ldc: spatial)
                g.col2imAdd(cols.pointer, x.gradBuffer() + b * inSize)
            }
        }
    }
}

/// Transposed convolution (the adjoint of `conv2d` in `x`), a learned upsampling:
/// `x` `[B, Cin, H, W]`, `weight` `[Cin, Cout, kh, kw]` (PyTorch layout), `bias` `[Cout]` →
/// `[B, Cout, (H−1)·s − 2p + kh, (W−1)·s − 2p + kw]`.
///
/// Per image: `Y = col2im(Wᵀ · X) + b` with `W` viewed as `[Cin, Cout·kh·kw]`, where the col2im
/// geometry is that of a convolution taking `Y`'s size to `X`'s. With kernel 2, stride 2 it doubles
/// the resolution. Backward: `dX += W · im2col(dY)`, `dW += X · im2col(dY)ᵀ`, `db += Σ_spatial dY`.
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 2, padding: Int = 0) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && weight.shape[0] == x.shape[1],
                 "convTranspose2d of \(x.shape) with weight \(weight.shape)")
    let (batch, inC, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outC, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let (oh, ow) = ((h - 1) * stride - 2 * padding + kh, (w - 1) * stride - 2 * padding + kw)
    let g = ConvGeometry(channels: outC, height: oh, width: ow, kernelH: kh, kernelW: kw, stride: stride,
                         padding: padding)
    precondition(g.outH == h && g.outW == w, "convTranspose2d geometry mismatch")
    let (k, spatial, outSize) = (g.patchSize, h * w, outC * oh * ow)
    let out = Tensor(zeros: [batch, outC, oh, ow])
    let cols = Storage(uninitialized: k * spatial)
    for b in 0..<batch {
        sgemm(transA: true, transB: false, m: k, n: spatial, k: inC, a: weight.data, lda: k,
              b: x.data + b * inC * spatial, ldb: spatial, beta: 0, c: cols.pointer, ldc: spatial)
        g.col2imAdd(cols.pointer, out.data + b * outSize)
        if let bias { addPlaneBias(bias.data, out.data + b * outSize, planes: outC, size: oh * ow) }
    }
    return out.recording([x, weight] + (bias.map { [$0] } ?? [])) { out in
        let cols = Storage(uninitialized: k * spatial)
        for b in 0..<batch {
            let dy = out.grad! + b * outSize
            g.im2col(dy, cols.pointer)
            if x.requiresGrad {
                sgemm(transA: false, transB: false, m: inC, n: spatial, k: k, a: weight.data, lda: k,
                      b: cols.pointer, ldb: spatial, beta: 1, c: x.gradBuffer() + b * inC * spatial, ldc: spatial)
            }
            if weight.requiresGrad {
                sgemm(transA: false, transB: true, m: inC, n: k, k: spatial, a: x.data + b * inC * spatial,
                      lda: spatial, b: cols.pointer, ldb: spatial, beta: 1, c: weight.gradBuffer(), ldc: k)
            }
            if let bias, bias.requiresGrad { accumulatePlaneSums(dy, bias.gradBuffer(), planes: outC, size: oh * ow) }
        }
    }
}
