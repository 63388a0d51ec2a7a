/// Bilinear resampling of NCHW images through one affine map per item (a face chip cut from a
/// render, differentiably).
///
/// Shapes: `x` `[B, C, H, W]`, `maps` B affine maps, → `[B, C, S, S]` with
///
///     (x_s, y_s) = o + c·a_c + r·a_r            (output column c, row r → source pixel coordinates,
///                                               pixel (i, j)'s centre at (i, j))
///     y[b, k, r, c] = Σ_{4 neighbours q} w_q(x_s, y_s) · x[b, k, q]
/// the bilinear weights of the four pixels around (x_s, y_s), and 0 where any of them lies outside
/// the image (dlib's `transform_image` with a black background). Linear in `x`; backward scatters
/// ∂L/∂y with the same weights: ∂L/∂x[b, k, q] = Σ_{r, c} w_q · ∂L/∂y[b, k, r, c]. The maps are
/// constants (no gradient).
public struct AffineSampling: Sendable, Equatable {
    public var origin: SIMD2<Float>
    /// Source step per output column and per output row.
    public var columnStep: SIMD2<Float>
    public var rowStep: SIMD2<Float>

    public init(origin: SIMD2<Float>, columnStep: SIMD2<Float>, rowStep: SIMD2<Float>) {
        self.origin = origin
        self.columnStep = columnStep
        self.rowStep = rowStep
    }
}

/// See `AffineSampling`.
public func affineResample(_ x: Tensor, maps: [AffineSampling], size s: Int) -> Tensor {
    precondition(x.rank == 4 && maps.count == x.shape[0], "affineResample of \(x.shape) with \(maps.count) maps")
    let (b, ch, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    // Per output pixel of each item: the top-left source index and the weights, or −1 when outside.
    var taps = [Int32](repeating: -1, count: b * s * s)
    var weights = [SIMD4<Float>](repeating: .zero, count: b * s * s)
    for i in 0..<b {
        let m = maps[i]
        for r in 0..<s {
            for c in 0..<s {
                let p = m.origin + Float(c) * m.columnStep + Float(r) * m.rowStep
                let fl = p.x.rounded(.down), ft = p.y.rounded(.down)
                guard fl >= 0, ft >= 0, fl + 1 < Float(w), ft + 1 < Float(h) else { continue }
                let fx = p.x - fl, fy = p.y - ft
                let o = (i * s + r) * s + c
                taps[o] = Int32(Int(ft) * w + Int(fl))
                weights[o] = SIMD4((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
            }
        }
    }
    let out = Tensor(zeros: [b, ch, s, s])
    let plane = h * w, outPlane = s * s
    for i in 0..<b {
        for k in 0..<ch {
            let src = x.data + (i * ch + k) * plane, dst = out.data + (i * ch + k) * outPlane
            for q in 0..<outPlane {
                let t = Int(taps[i * outPlane + q])
                if t < 0 { continue }
                let wq = weights[i * outPlane + q]
                dst[q] = wq[0] * src[t] + wq[1] * src[t + 1] + wq[2] * src[t + w] + wq[3] * src[t + w + 1]
            }
        }
    }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for i in 0..<b {
            for k in 0..<ch {
                let dst = gx + (i * ch + k) * plane, go = g + (i * ch + k) * outPlane
                for q in 0..<outPlane {
                    let t = Int(taps[i * outPlane + q])
                    if t < 0 { continue }
                    let wq = weights[i * outPlane + q] * go[q]
                    dst[t] += wq[0]; dst[t + 1] += wq[1]; dst[t + w] += wq[2]; dst[t + w + 1] += wq[3]
                }
            }
        }
    }
}
