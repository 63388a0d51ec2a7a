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
public struct DecodeLimits: Sendable, Equatable {
    /// Maximum `width × height`.
    public var maxPixels: Int
    /// Treat libjpeg recoverable warnings (e.g. extraneous bytes before a marker) as acceptable
    /// instead of reporting the file as corrupt. A truncated file is an error either way.
    public var tolerateJPEGWarnings: Bool

    public init(maxPixels: Int = 50_000_000, tolerateJPEGWarnings: Bool = false) {
        self.maxPixels = maxPixels
        self.tolerateJPEGWarnings = tolerateJPEGWarnings
    }

    public static let `default` = DecodeLimits()

    /// Throws `.invalidDimensions` or `.tooLarge` unless `width × height` is positive and within the limit.
    func check(_ format: ImageFormat, width: Int, height: Int) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidDimensions(format, width: width, height: height)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw ImageError.tooLarge(format, width: width, height: height, maxPixels: maxPixels)
        }
    }
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
