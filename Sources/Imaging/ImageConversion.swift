import Foundation

extension Image {
    /// The same picture with `channels` samples per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    ///
    /// Gray from colour is ITU-R BT.601 luma, Y = (299 R + 587 G + 114 B) / 1000, rounded; gray to
    /// colour replicates Y; a missing alpha becomes 255, a dropped alpha is discarded (no blending).
    public func converted(channels target: Int) -> Image {
        precondition((1...4).contains(target), "channels must be 1...4")
        if target == channels { return self }
        let n = width * height, sc = channels
        let srcColor = sc >= 3, srcAlpha = sc == 2 || sc == 4
        let dstColor = target >= 3, dstAlpha = target == 2 || target == 4
        var out = [UInt8](repeating: 0, count: n * target)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    let si = i * sc, di = i * target
                    if dstColor {
                        if srcColor {
                            d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2]
                        } else {
                            d[di] = s[si]; d[di + 1] = s[si]; d[di + 2] = s[si]
                        }
                    } else {
                        d[di] = srcColor ? Image.luma(s[si], s[si + 1], s[si + 2]) : s[si]
                    }
                    if dstAlpha { d[di + target - 1] = srcAlpha ? s[si + sc - 1] : 255 }
                }
            }
        }
        return Image(width: width, height: height, channels: target, pixels: out)
    }

    /// Samples scaled to [0, 1], interleaved like `pixels` (shape [height, width, channels]).
    public func floatPixels() -> [Float] {
        pixels.map { Float($0) * (1 / 255) }
    }

    /// Samples scaled to [0, 1] in planar (channel-major) order, shape [channels, height, width] —
    /// the layout network inputs use.
    public func planarFloats() -> [Float] {
        let n = width * height, c = channels
        var out = [Float](repeating: 0, count: n * c)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    for k in 0..<c { d[k * n + i] = Float(s[i * c + k]) * (1 / 255) }
                }
            }
        }
        return out
    }

    /// The inverse of `floatPixels()`: values in [0, 1] (clamped), interleaved [height, width, channels].
    public init(width: Int, height: Int, channels: Int, floats: [Float]) {
        precondition(floats.count == width * height * channels, "float count does not match geometry")
        self.init(width: width, height: height, channels: channels, pixels: floats.map(Image.quantize))
    }

    /// The inverse of `planarFloats()`: values in [0, 1] (clamped), planar [channels, height, width].
    public init(width: Int, height: Int, channels: Int, planarFloats: [Float]) {
        let n = width * height
        precondition(planarFloats.count == n * channels, "float count does not match geometry")
        var px = [UInt8](repeating: 0, count: n * channels)
        for i in 0..<n {
            for k in 0..<channels { px[i * channels + k] = Image.quantize(planarFloats[k * n + i]) }
        }
        self.init(width: width, height: height, channels: channels, pixels: px)
    }

    /// BT.601 luma, rounded.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let y: UInt32 = 299 * UInt32(r) + 587 * UInt32(g) + 114 * UInt32(b) + 500
        return UInt8(y / 1000)
    }

    /// [0, 1] → 0...255, rounded, NaN → 0.
    @inline(__always)
    static func quantize(_ v: Float) -> UInt8 {
        guard v > 0 else { return 0 }
        return v >= 1 ? 255 : UInt8(v * 255 + 0.5)
    }
}

extension Image {
    /// Encodes by the file extension (png, jpg/jpeg, webp) and writes atomically.
    public func write(to url: URL, jpegQuality: Int = 92) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "png": data = try PNGEncoder.encode(self)
        case "jpg", "jpeg": data = try JPEGEncoder.encode(self, quality: jpegQuality)
        case "webp": data = try WebPEncoder.encode(self, lossless: true)
        default:
            throw ImageError.unsupportedEncoding("unknown file extension \"\(url.pathExtension)\" (use .png, .jpg or .webp)")
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}

extension Image16 {
    /// Writes a 16-bit gray PNG.
    public func write(to url: URL) throws {
        let data = try PNGEncoder.encode(self)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}
