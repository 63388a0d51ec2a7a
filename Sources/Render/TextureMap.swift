import Imaging

/// A float image: `height` rows of `width` texels, `channels` interleaved values per texel,
/// top row first (the layout of `Imaging.Image`). Used for albedo (3 channels, [0, 1]),
/// displacement (1 channel, metres), UV masks (1 channel) and rendered images.
///
/// UV lookups follow the mesh convention (v = 0 at the bottom): texel coordinates are
///     x = u·W − ½,   y = (1 − v)·H − ½
/// so texel (i, j)'s centre is at u = (i + ½)/W, v = 1 − (j + ½)/H. Lookups clamp to the edge.
public struct TextureMap: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int, data: [Float]) throws {
        guard width > 0, height > 0, channels > 0 else {
            throw RenderError.invalidTexture("size \(width)×\(height)×\(channels) must be positive")
        }
        guard data.count == width * height * channels else {
            throw RenderError.invalidTexture("\(data.count) values for \(width)×\(height)×\(channels)")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data
    }

    /// A texture filled with one value per channel.
    public init(width: Int, height: Int, fill: [Float]) throws {
        guard width > 0, height > 0, !fill.isEmpty else {
            throw RenderError.invalidTexture("size \(width)×\(height)×\(fill.count) must be positive")
        }
        self.width = width
        self.height = height
        self.channels = fill.count
        var data = [Float](repeating: 0, count: width * height * fill.count)
        for i in 0..<(width * height) { for c in 0..<fill.count { data[i * fill.count + c] = fill[c] } }
        self.data = data
    }

    /// 8-bit samples mapped to [0, 1]; `keepAlpha: false` drops an alpha channel.
    public init(image: Image, keepAlpha: Bool = false) {
        let dropAlpha = !keepAlpha && (image.channels == 2 || image.channels == 4)
        let outChannels = dropAlpha ? image.channels - 1 : image.channels
        width = image.width
        height = image.height
        channels = outChannels
        var out = [Float](repeating: 0, count: image.width * image.height * outChannels)
        for p in 0..<(image.width * image.height) {
            for c in 0..<outChannels { out[p * outChannels + c] = Float(image.pixels[p * image.channels + c]) / 255 }
        }
        data = out
    }

    /// Values in [0, 1] rounded to 8 bits (clamped); 1 channel → grey, 3 → RGB.
    public func image() -> Image {
        var pixels = [UInt8](repeating: 0, count: data.count)
        for i in 0..<data.count { pixels[i] = UInt8(max(0, min(255, (data[i] * 255).rounded()))) }
        return Image(width: width, height: height, channels: min(channels, 4), pixels: pixels)
    }

    /// The texel coordinates of UV point (u, v) and its bilinear footprint.
    @inline(__always) func tap(u: Float, v: Float) -> BilinearTap {
        BilinearTap(x: u * Float(width) - 0.5, y: (1 - v) * Float(height) - 0.5, width: width, height: height)
    }
}

/// ⌊x⌋ for |x| < 2³¹ without a libm call.
@inline(__always) func floorToInt(_ x: Float) -> Int {
    let i = Int(x)
    return x < Float(i) ? i - 1 : i
}

/// The four texels around a texel-space point and the bilinear weights; edge-clamped.
/// Value  T(x, y) = (1−f_y)((1−f_x)T₀₀ + f_x T₁₀) + f_y((1−f_x)T₀₁ + f_x T₁₁)
/// Slopes ∂T/∂x = (1−f_y)(T₁₀−T₀₀) + f_y(T₁₁−T₀₁),  ∂T/∂y = (1−f_x)(T₀₁−T₀₀) + f_x(T₁₁−T₁₀),
/// and the only non-zero second derivative ∂²T/∂x∂y = T₁₁ − T₁₀ − T₀₁ + T₀₀.
@usableFromInline struct BilinearTap {
    /// Texel indices (y·W + x) of T₀₀, T₁₀, T₀₁, T₁₁.
    @usableFromInline var i00: Int, i10: Int, i01: Int, i11: Int
    @usableFromInline var fx: Float, fy: Float

    @inline(__always) init(x rawX: Float, y rawY: Float, width: Int, height: Int) {
        // Clamp first (NaN to 0) so the integer conversions below cannot trap; then floor by
        // truncation (libm's floorf is a call on baseline x86-64).
        let x = rawX.isNaN ? 0 : min(max(rawX, -2), Float(width + 1))
        let y = rawY.isNaN ? 0 : min(max(rawY, -2), Float(height + 1))
        let xi = floorToInt(x), yi = floorToInt(y)
        fx = x - Float(xi)
        fy = y - Float(yi)
        let x0 = min(max(xi, 0), width - 1), x1 = min(max(xi + 1, 0), width - 1)
        let y0 = min(max(yi, 0), height - 1), y1 = min(max(yi + 1, 0), height - 1)
        i00 = y0 * width + x0
        i10 = y0 * width + x1
        i01 = y1 * width + x0
        i11 = y1 * width + x1
    }

    @inline(__always) var weights: SIMD4<Float> {
        SIMD4((1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy)
    }
    /// ∂weights/∂x and ∂weights/∂y (texel units).
    @inline(__always) var weightsDx: SIMD4<Float> { SIMD4(-(1 - fy), 1 - fy, -fy, fy) }
    @inline(__always) var weightsDy: SIMD4<Float> { SIMD4(-(1 - fx), -fx, 1 - fx, fx) }
    /// ∂²weights/∂x∂y.
    static let weightsDxy = SIMD4<Float>(1, -1, -1, 1)

    @inline(__always) func gather(_ p: UnsafePointer<Float>, channels: Int, channel c: Int) -> SIMD4<Float> {
        SIMD4(p[i00 * channels + c], p[i10 * channels + c], p[i01 * channels + c], p[i11 * channels + c])
    }

    @inline(__always) func scatter(_ p: UnsafeMutablePointer<Float>, channels: Int, channel c: Int, _ w: SIMD4<Float>) {
        p[i00 * channels + c] += w[0]
        p[i10 * channels + c] += w[1]
        p[i01 * channels + c] += w[2]
        p[i11 * channels + c] += w[3]
    }
}

extension TextureMap {
    /// Bilinear sample of all channels at UV (u, v) (edge-clamped).
    public func sample(u: Float, v: Float) -> [Float] {
        let t = tap(u: u, v: v)
        let w = t.weights
        return data.withUnsafeBufferPointer { p in
            (0..<channels).map { c in (t.gather(p.baseAddress!, channels: channels, channel: c) * w).sum() }
        }
    }
}
