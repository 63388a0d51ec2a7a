/// 2-D convolution (im2col + sgemm) and transposed convolution, NCHW.

/// Zero padding of a convolution's input, per side. TensorFlow's "SAME" padding is asymmetric
/// for even strides (the extra row and column go at the bottom and right), hence four numbers.
public struct ConvPadding: Equatable, Sendable {
    public var top, left, bottom, right: Int
    public init(top: Int, left: Int, bottom: Int, right: Int) {
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
    }
    /// `p` on every side.
    public static func symmetric(_ p: Int) -> ConvPadding { ConvPadding(top: p, left: p, bottom: p, right: p) }
    /// TensorFlow's "SAME": `out = ⌈in/s⌉`, total `max((out − 1)·s + k − in, 0)` split with the
    /// smaller half first.
    public static func same(height: Int, width: Int, kernel: Int, stride: Int) -> ConvPadding {
        func split(_ n: Int) -> (Int, Int) {
            let out = (n + stride - 1) / stride, total = max((out - 1) * stride + kernel - n, 0)
            return (total / 2, total - total / 2)
        }
        let (t, b) = split(height), (l, r) = split(width)
        return ConvPadding(top: t, left: l, bottom: b, right: r)
    }
}

/// Geometry of a convolution window sweep: `C` channels of `H×W` in, `kh×kw` kernel, stride, zero
/// padding per side; `outH = (H + p_top + p_bottom − kh)/s + 1`, likewise `outW`.
public struct ConvGeometry: Equatable, Sendable {
    public let channels, height, width, kernelH, kernelW, stride: Int
    public let pad: ConvPadding
    public var outH: Int { (height + pad.top + pad.bottom - kernelH) / stride + 1 }
    public var outW: Int { (width + pad.left + pad.right - kernelW) / stride + 1 }
    /// Rows of the column matrix: `C·kh·kw`.
    public var patchSize: Int { channels * kernelH * kernelW }
    /// Whether the column matrix is the image itself (1×1 kernel, stride 1, no padding).
    var isPointwise: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && pad == .symmetric(0) }

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int, pad: ConvPadding) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.stride = stride; self.pad = pad
    }

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int) {
        self.init(channels: channels, height: height, width: width, kernelH: kernelH, kernelW: kernelW, stride: stride,
                  pad: .symmetric(padding))
    }

    /// Column matrix `[C·kh·kw, outH·outW]`: `cols[(c·kh + i)·kw + j][oy·outW + ox] =
    /// image[c][oy·s − p_top + i][ox·s − p_left + j]` (0 outside the image).
    func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (outH, outW)
        for c in 0..<channels { for i in 0..<kernelH { for j in 0..<kernelW {
            let row = cols + ((c * kernelH + i) * kernelW + j) * oh * ow
            let plane = image + c * height * width
            for oy in 0..<oh {
                let y = oy * stride - pad.top + i
                let dst = row + oy * ow
                guard y >= 0 && y < height else { dst.update(repeating: 0, count: ow); continue }
                for ox in 0..<ow {
                    let x = ox * stride - pad.left + j
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
                let y = oy * stride - pad.top + i
                guard y >= 0 && y < height else { continue }
                let src = row + oy * ow
                for ox in 0..<ow {
                    let x = ox * stride - pad.left + j
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
/// recomputed rather than stored (memory over a cheap copy). A 1×1, stride-1, unpadded kernel
/// skips im2col (the image is its own column matrix).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    conv2d(x, weight: weight, bias: bias, stride: stride, pad: .symmetric(padding))
}

/// `conv2d` with per-side padding (TensorFlow's asymmetric "SAME", `ConvPadding.same`).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, pad: ConvPadding) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                 "conv2d of \(x.shape) with weight \(weight.shape)")
    let (batch, outC) = (x.shape[0], weight.shape[0])
    let g = ConvGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3], kernelH: weight.shape[2],
                         kernelW: weight.shape[3], stride: stride, pad: pad)
    let (spatial, k, inSize) = (g.outH * g.outW, g.patchSize, g.channels * g.height * g.width)
    let out = Tensor(uninitialized: [batch, outC, g.outH, g.outW])
    let cols = g.isPointwise ? nil : Storage(uninitialized: k * spatial)
    /// The column matrix of image `b`: the image itself for a pointwise kernel.
    func columns(_ b: Int) -> UnsafePointer<Float> {
        guard let cols else { return UnsafePointer(x.data + b * inSize) }
        g.im2col(x.data + b * inSize, cols.pointer)
        return UnsafePointer(cols.pointer)
    }
    for b in 0..<batch {
        let y = out.data + b * outC * spatial
        sgemm(transA: false, transB: false, m: outC, n: spatial, k: k, a: weight.data, lda: k, b: columns(b),
              ldb: spatial, beta: 0, c: y, ldc: spatial)
        if let bias { addPlaneBias(bias.data, y, planes: outC, size: spatial) }
    }
    return out.recording([x, weight] + (bias.map { [$0] } ?? [])) { out in
        for b in 0..<batch {
            let dy = out.grad! + b * outC * spatial
            if weight.requiresGrad {
                sgemm(transA: false, transB: true, m: outC, n: k, k: spatial, a: dy, lda: spatial,
                      b: columns(b), ldb: spatial, beta: 1, c: weight.gradBuffer(), ldc: k)
            }
            if let bias, bias.requiresGrad { accumulatePlaneSums(dy, bias.gradBuffer(), planes: outC, size: spatial) }
            if x.requiresGrad {
                if let cols {
                    sgemm(transA: true, transB: false, m: k, n: spatial, k: outC, a: weight.data, lda: k, b: dy,
                          ldb: spatial, beta: 0, c: cols.pointer, ldc: spatial)
                    g.col2imAdd(cols.pointer, x.gradBuffer() + b * inSize)
                } else {
                    sgemm(transA: true, transB: false, m: k, n: spatial, k: outC, a: weight.data, lda: k, b: dy,
                          ldb: spatial, beta: 1, c: x.gradBuffer() + b * inSize, ldc: spatial)
                }
            }
        }
    }
}

/// Depthwise convolution (one `kh×kw` filter per channel, MobileNet's separable first half):
/// `x` `[B, C, H, W]`, `weight` `[C, 1, kh, kw]`, `bias` `[C]` → `[B, C, outH, outW]`,
/// `y[b,c,oy,ox] = bias[c] + Σ_ij w[c,i,j] · x[b, c, oy·s − p_top + i, ox·s − p_left + j]`
/// (0 outside the image).
///
/// Direct loops (a GEMM per channel would be `1 × kh·kw` by `kh·kw × outH·outW`, all overhead):
/// for each tap the output row is a strided axpy of an input row, the valid `ox` range computed
/// once per row so the inner loop has no branch. Backward: `dx[…] += w·dy`, `dw[c,i,j] += Σ x·dy`,
/// `db[c] += Σ dy`, the same sweep.
public func depthwiseConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, pad: ConvPadding) -> Tensor {
    precondition(x.rank == 4 && weight.rank == 4 && weight.shape[0] == x.shape[1] && weight.shape[1] == 1,
                 "depthwiseConv2d of \(x.shape) with weight \(weight.shape)")
    let (batch, channels) = (x.shape[0], x.shape[1])
    let g = ConvGeometry(channels: channels, height: x.shape[2], width: x.shape[3], kernelH: weight.shape[2],
                         kernelW: weight.shape[3], stride: stride, pad: pad)
    let (plane, outPlane, taps) = (g.height * g.width, g.outH * g.outW, g.kernelH * g.kernelW)
    let out = Tensor(uninitialized: [batch, channels, g.outH, g.outW])
    for p in 0..<(batch * channels) {
        let c = p % channels, y = out.data + p * outPlane
        y.update(repeating: bias?.data[c] ?? 0, count: outPlane)
        g.sweepDepthwise { dst, src, tap, n in
            let w = weight.data[c * taps + tap], xs = x.data + p * plane + src, ys = y + dst
            for k in 0..<n { ys[k] += w * xs[k * stride] }
        }
    }
    return out.recording([x, weight] + (bias.map { [$0] } ?? [])) { out in
        for p in 0..<(batch * channels) {
            let c = p % channels, dy = out.grad! + p * outPlane
            if let bias, bias.requiresGrad {
                var s: Float = 0
                for k in 0..<outPlane { s += dy[k] }
                bias.gradBuffer()[c] += s
            }
            g.sweepDepthwise { dst, src, tap, n in
                let dys = dy + dst
                if weight.requiresGrad {
                    let xs = x.data + p * plane + src
                    var s: Float = 0
                    for k in 0..<n { s += xs[k * stride] * dys[k] }
                    weight.gradBuffer()[c * taps + tap] += s
                }
                if x.requiresGrad {
                    let w = weight.data[c * taps + tap], dxs = x.gradBuffer() + p * plane + src
                    for k in 0..<n { dxs[k * stride] += w * dys[k] }
                }
            }
        }
    }
}

extension ConvGeometry {
    /// The runs of one channel's depthwise sweep: for each output row and kernel tap, `body(dst,
    /// src, tap, n)` where output offsets `dst ..< dst + n` read input offsets `src + k·stride`
    /// (both within one plane), the out-of-image columns already cut off.
    func sweepDepthwise(_ body: (_ dst: Int, _ src: Int, _ tap: Int, _ n: Int) -> Void) {
        let (oh, ow) = (outH, outW)
        for i in 0..<kernelH { for j in 0..<kernelW {
            // Valid ox: 0 ≤ ox·s − p_left + j < W.
            let first = max(0, (pad.left - j + stride - 1) / stride)
            let reach = width - 1 + pad.left - j
            guard reach >= 0 else { continue }
            let last = min(ow - 1, reach / stride)
            guard last >= first else { continue }
            for oy in 0..<oh {
                let y = oy * stride - pad.top + i
                guard y >= 0 && y < height else { continue }
                body(oy * ow + first, y * width + first * stride - pad.left + j, i * kernelW + j, last - first + 1)
            }
        } }
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

/// Folds a per-channel affine that follows a convolution into the convolution itself (dlib's
/// test-time batch-norm `affine_`, or a frozen batch-norm `γ·(y − μ)/σ + β` given as
/// `scale = γ/σ`, `shift = β − γμ/σ`): `scale[o]·(W_o ∗ x + b_o) + shift[o] = (scale[o]·W_o) ∗ x +
/// (scale[o]·b_o + shift[o])`. Weight `[O, C, kh, kw]`, bias `[O]` (nil: zero), scale and shift
/// `O` values; returns the folded weight and bias (new tensors; the inputs are not changed).
public func foldChannelAffine(weight: Tensor, bias: Tensor?, scale: [Float], shift: [Float]) -> (weight: Tensor, bias: Tensor) {
    let outC = weight.shape[0], per = weight.count / outC
    precondition(scale.count == outC && shift.count == outC && (bias?.count ?? outC) == outC,
                 "foldChannelAffine of weight \(weight.shape) with \(scale.count) scales")
    let w = Tensor(uninitialized: weight.shape), b = Tensor(uninitialized: [outC])
    for o in 0..<outC {
        let src = weight.data + o * per, dst = w.data + o * per
        for i in 0..<per { dst[i] = scale[o] * src[i] }
        b.data[o] = scale[o] * (bias?.data[o] ?? 0) + shift[o]
    }
    return (w, b)
}
