/// An 8-bit image in memory: `height` rows of `width` pixels, `channels` interleaved samples per
/// pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), row-major, top row first.
///
/// Shapes: `pixels.count == width * height * channels`.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "bad image geometry")
        precondition(pixels.count == width * height * channels, "pixel count does not match geometry")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A blank (zero-filled) image.
    public init(width: Int, height: Int, channels: Int) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// Sample `c` of pixel (x, y); no bounds check beyond the array's own.
    @inlinable public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}

/// A 16-bit single-channel (gray) image, row-major, top row first — depth maps, displacement maps
/// and other data that needs more than 8 bits. `pixels.count == width * height`.
public struct Image16: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt16]

    public init(width: Int, height: Int, pixels: [UInt16]) {
        precondition(width >= 0 && height >= 0, "bad image geometry")
        precondition(pixels.count == width * height, "pixel count does not match geometry")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A blank (zero-filled) image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt16](repeating: 0, count: width * height))
    }

    @inlinable public subscript(x: Int, y: Int) -> UInt16 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

extension Image {
    /// The image with a black border of `pad` pixels on every side (tight face crops such as
    /// UTKFace's have the chin on the border, where neither detector nor landmarks work).
    public func padded(by pad: Int) -> Image {
        guard pad > 0 else { return self }
        let (w, c) = (width + 2 * pad, channels)
        var out = Image(width: w, height: height + 2 * pad, channels: c)
        for y in 0..<height {
            let src = y * width * c, dst = ((y + pad) * w + pad) * c
            out.pixels.replaceSubrange(dst..<(dst + width * c), with: pixels[src..<(src + width * c)])
        }
        return out
    }
}
