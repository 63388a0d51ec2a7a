import Foundation

/// The eight EXIF orientations (tag 0x0112): how the stored pixels must be transformed for display.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1              // as stored
    case upMirrored = 2      // mirror left↔right
    case down = 3            // rotate 180°
    case downMirrored = 4    // mirror top↔bottom
    case leftMirrored = 5    // transpose (mirror about the main diagonal)
    case right = 6           // rotate 90° clockwise
    case rightMirrored = 7   // transverse (mirror about the anti-diagonal)
    case left = 8            // rotate 90° counter-clockwise

    /// True when display width and height are the stored height and width.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The stored pixel shown at display position (x, y), for a stored image of size w×h.
    @inline(__always)
    func source(x: Int, y: Int, w: Int, h: Int) -> (Int, Int) {
        switch self {
        case .up: return (x, y)
        case .upMirrored: return (w - 1 - x, y)
        case .down: return (w - 1 - x, h - 1 - y)
        case .downMirrored: return (x, h - 1 - y)
        case .leftMirrored: return (y, x)
        case .right: return (y, h - 1 - x)
        case .rightMirrored: return (w - 1 - y, h - 1 - x)
        case .left: return (w - 1 - y, x)
        }
    }
}

extension Image {
    /// The image as it should be displayed under EXIF `orientation`.
    public func oriented(_ orientation: ExifOrientation) -> Image {
        if orientation == .up { return self }
        let (w, h, c) = (width, height, channels)
        let outW = orientation.swapsAxes ? h : w, outH = orientation.swapsAxes ? w : h
        var out = [UInt8](repeating: 0, count: w * h * c)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        let (sx, sy) = orientation.source(x: x, y: y, w: w, h: h)
                        let s = (sy * w + sx) * c, d = (y * outW + x) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: c, pixels: out)
    }
}

/// Reads the orientation tag from a JPEG's APP1 "Exif" segment. turbojpeg ignores EXIF, so this
/// walks the JPEG markers and the TIFF structure itself. Any malformation yields `nil` (treated as
/// "up"): a damaged EXIF block must not make an otherwise good photo unreadable.
enum ExifReader {
    static func jpegOrientation(_ data: Data) -> ExifOrientation? {
        var found: ExifOrientation? = nil
        JPEGMarkers.forEachSegment(data) { marker, body in
            guard marker == 0xE1, body.count >= 6, Array(body[0..<6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] else {
                return true
            }
            found = tiffOrientation(UnsafeBufferPointer(rebasing: body[6...]))
            return found == nil
        }
        return found
    }

    /// Orientation from a TIFF header + IFD0 (the body of an EXIF block).
    static func tiffOrientation(_ t: UnsafeBufferPointer<UInt8>) -> ExifOrientation? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for i in 0..<count {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
                guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }
}
