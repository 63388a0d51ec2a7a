import Foundation

/// Decodes PNG, JPEG, HEIC/HEIF and WebP, chosen by the file's magic bytes (never its name).
///
/// Results are 8-bit interleaved `Image`s as displayed: the JPEG EXIF orientation and the HEIF
/// transformations are applied. Channel counts follow the file: 1 (gray), 2 (gray+alpha, PNG only),
/// 3 (RGB) or 4 (RGBA); use `converted(channels:)` for a fixed layout. The size limit is checked
/// from the header before any pixel buffer is allocated.
public enum ImageDecoder {
    public static func decode(_ data: Data, limits: DecodeLimits = .default) throws -> Image {
        switch try format(of: data) {
        case .png: return try PNGDecoder.decode(data, limits: limits)
        case .jpeg: return try JPEGDecoder.decode(data, limits: limits)
        case .webp: return try WebPDecoder.decode(data, limits: limits)
        case .heif: return try HEIFDecoder.decode(data, limits: limits)
        }
    }

    public static func decode(contentsOf url: URL, limits: DecodeLimits = .default) throws -> Image {
        try decode(try readFile(url), limits: limits)
    }

    /// Format and displayed size from the header alone; no pixels are decoded.
    public static func probe(_ data: Data) throws -> ImageInfo {
        switch try format(of: data) {
        case .png:
            let (w, h) = try PNGDecoder.header(data)
            return ImageInfo(format: .png, width: w, height: h)
        case .jpeg: return try JPEGDecoder.info(data)
        case .webp: return try WebPDecoder.info(data)
        case .heif: return try HEIFDecoder.info(data)
        }
    }

    public static func probe(contentsOf url: URL) throws -> ImageInfo {
        try probe(try readFile(url))
    }

    /// A PNG decoded to 16-bit gray. Untagged or linear 16-bit gray files (as `PNGEncoder` writes
    /// them) come back sample for sample; 8-bit and colour files are converted by libpng.
    public static func decodeGray16(_ data: Data, limits: DecodeLimits = .default) throws -> Image16 {
        let format = try format(of: data)
        guard format == .png else {
            throw ImageError.unsupportedFormat("16-bit decoding of \(format.name)")
        }
        return try PNGDecoder.decodeGray16(data, limits: limits)
    }

    /// The container format by magic bytes, or the error that explains why there is none.
    public static func format(of data: Data) throws -> ImageFormat {
        if data.isEmpty { throw ImageError.emptyFile }
        switch FormatSniffer.sniff(data) {
        case .known(let f): return f
        case .truncatedSignature(let f): throw ImageError.truncated(f)
        case .unsupported(let name): throw ImageError.unsupportedFormat(name)
        case .unknown: throw ImageError.unknownFormat
        }
    }

    static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "the file cannot be read" : "no such file"
            throw ImageError.io(path: url.path, reason: reason)
        }
    }
}
