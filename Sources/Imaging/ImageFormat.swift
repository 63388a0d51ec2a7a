import Foundation

/// Image container formats Likeness decodes.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case png, jpeg, heif, webp

    /// The name users know the format by, for messages.
    public var name: String {
        switch self {
        case .png: return "PNG"
        case .jpeg: return "JPEG"
        case .heif: return "HEIF"
        case .webp: return "WebP"
        }
    }
}

/// What `ImageDecoder.probe` learns from a header without decoding pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    /// Size as displayed, i.e. after the EXIF orientation (JPEG) or irot/imir (HEIF) is applied.
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }
}

/// Limits applied to a header before any pixel buffer is allocated (decompression-bomb guard).
///
/// An image of at most `maxPixels` decodes at full size. A larger one decodes downscaled where the
/// codec itself decodes at a smaller scale, so no full-size buffer ever exists: JPEG through
/// libjpeg-turbo's scaled IDCT (the largest of 7/8, 3/4, … 1/8 that fits), WebP through
/// libwebp's rescaler (the largest size of the same aspect that fits). PNG (libpng) and HEIF
/// (libheif) cannot decode at a smaller scale and are refused above `maxPixels`. Whatever a header
/// declares beyond `maxSourcePixels` is refused for every format: decoding time grows with the
/// declared size even when the output is small.
public struct DecodeLimits: Sendable, Equatable {
    /// Maximum `width × height` of a decoded image (its pixel buffer).
    public var maxPixels: Int
    /// Maximum `width × height` a header may declare for a downscaled decode (250 Mpixel covers
    /// the 200-Mpixel phones and the 150-Mpixel medium-format cameras).
    public var maxSourcePixels: Int
    /// Treat libjpeg recoverable warnings (e.g. extraneous bytes before a marker) as acceptable
    /// instead of reporting the file as corrupt. A truncated file is an error either way.
    public var tolerateJPEGWarnings: Bool

    public init(maxPixels: Int = 50_000_000, maxSourcePixels: Int = 250_000_000, tolerateJPEGWarnings: Bool = false) {
        self.maxPixels = maxPixels
        self.maxSourcePixels = max(maxPixels, maxSourcePixels)
        self.tolerateJPEGWarnings = tolerateJPEGWarnings
    }

    public static let `default` = DecodeLimits()

    /// The size an image of `width × height` (as its header declares) decodes to: itself within
    /// `maxPixels`, else the downscaled size the codec decodes at. Throws `.invalidDimensions`
    /// unless both are positive, `.tooLarge` when no scale the codec offers makes it fit.
    public func decodedSize(_ format: ImageFormat, width: Int, height: Int) throws -> (width: Int, height: Int) {
        guard width > 0, height > 0 else {
            throw ImageError.invalidDimensions(format, width: width, height: height)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if !overflow && pixels <= maxPixels { return (width, height) }
        guard format.decodesDownscaled else {
            throw ImageError.tooLarge(format, width: width, height: height, maxPixels: maxPixels)
        }
        guard !overflow, pixels <= maxSourcePixels else {
            throw ImageError.tooLarge(format, width: width, height: height, maxPixels: maxSourcePixels)
        }
        let scaled = format == .jpeg ? JPEGDecoder.scaledSize(width: width, height: height, maxPixels: maxPixels)
                                     : WebPDecoder.scaledSize(width: width, height: height, maxPixels: maxPixels)
        guard let scaled else { throw ImageError.tooLarge(format, width: width, height: height, maxPixels: maxPixels) }
        return scaled
    }

    /// `decodedSize` of what `ImageDecoder.probe` found (displayed size; scaling is the same both ways).
    public func decodedSize(of info: ImageInfo) throws -> (width: Int, height: Int) {
        try decodedSize(info.format, width: info.width, height: info.height)
    }
}

extension ImageFormat {
    /// True when the codec decodes straight to a smaller size (JPEG, WebP): see `DecodeLimits`.
    public var decodesDownscaled: Bool { self == .jpeg || self == .webp }
}

/// Format sniffing by magic bytes.
enum FormatSniffer {
    enum Verdict: Equatable {
        case known(ImageFormat)
        /// A prefix of a known signature: the file was cut off inside its magic number.
        case truncatedSignature(ImageFormat)
        case unsupported(String)
        case unknown
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let heifBrands: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs",
                                          "mif1", "msf1", "avif", "avis"]

    static func sniff(_ data: Data) -> Verdict {
        let b = [UInt8](data.prefix(32))
        func starts(_ sig: [UInt8]) -> Bool { b.count >= sig.count && Array(b[0..<sig.count]) == sig }
        func isPrefix(of sig: [UInt8]) -> Bool { !b.isEmpty && b.count < sig.count && Array(sig[0..<b.count]) == b }
        let ascii = { (s: String) in Array(s.utf8) }

        if starts(pngSignature) { return .known(.png) }
        if isPrefix(of: pngSignature) { return .truncatedSignature(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .known(.jpeg) }
        if isPrefix(of: [0xFF, 0xD8, 0xFF]) { return .truncatedSignature(.jpeg) }
        if b.count >= 12, starts(ascii("RIFF")), Array(b[8..<12]) == ascii("WEBP") { return .known(.webp) }
        if b.count < 12, starts(ascii("RIFF")) || isPrefix(of: ascii("RIFF")) { return .truncatedSignature(.webp) }
        if b.count >= 12, Array(b[4..<8]) == ascii("ftyp") {
            let brand = String(decoding: b[8..<12], as: UTF8.self)
            if heifBrands.contains(brand) { return .known(.heif) }
            if brand == "jxl " { return .unsupported("JPEG XL") }
            if ["qt  ", "isom", "mp41", "mp42", "M4V ", "3gp4"].contains(brand) { return .unsupported("Video (\(brand.trimmingCharacters(in: .whitespaces)))") }
            return .unsupported("ISO media (brand \"\(brand)\")")
        }
        if starts(ascii("GIF87a")) || starts(ascii("GIF89a")) { return .unsupported("GIF") }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A])
            || starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) { return .unsupported("TIFF") }
        if b.count >= 14, starts(ascii("BM")) { return .unsupported("BMP") }
        if starts([0xFF, 0x0A]) || starts([0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) { return .unsupported("JPEG XL") }
        if starts(ascii("8BPS")) { return .unsupported("Photoshop (PSD)") }
        if starts(ascii("qoif")) { return .unsupported("QOI") }
        if starts([0x00, 0x00, 0x01, 0x00]) { return .unsupported("ICO") }
        if starts(ascii("%PDF")) { return .unsupported("PDF") }
        return .unknown
    }
}
