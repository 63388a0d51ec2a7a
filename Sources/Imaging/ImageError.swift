import Foundation

/// Why an image could not be decoded or encoded. Every case carries enough context for a message a
/// user understands (`description` / `errorDescription`); decoders never crash or abort on bad
/// input, they throw one of these.
public enum ImageError: Error, Equatable, Sendable {
    /// The input has zero bytes.
    case emptyFile
    /// The first bytes match no image format we know.
    case unknownFormat
    /// A recognised format that Likeness does not decode (GIF, TIFF, BMP, animated WebP, ...).
    case unsupportedFormat(String)
    /// The data ends before the image is complete (a partial download or copy).
    case truncated(ImageFormat)
    /// The data is damaged (bad checksum, invalid compressed stream, inconsistent header).
    case corrupt(ImageFormat, String)
    /// The header declares a zero (or negative) width or height.
    case invalidDimensions(ImageFormat, width: Int, height: Int)
    /// The header declares more pixels than the decode limits allow even downscaled (a
    /// decompression-bomb guard, see `DecodeLimits`); checked before any pixel buffer is allocated.
    case tooLarge(ImageFormat, width: Int, height: Int, maxPixels: Int)
    /// The system library has no codec for this variant (e.g. no HEVC decoder plugin).
    case codecUnavailable(String)
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The image cannot be encoded as requested (bad channel count, quality out of range, ...).
    case unsupportedEncoding(String)
    /// The encoder library reported a failure.
    case encodeFailed(ImageFormat, String)
    /// `warpAffine` was given a transform that cannot be inverted (zero scale).
    case singularTransform
}

extension ImageError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case .emptyFile:
            return "The file is empty (0 bytes)."
        case .unknownFormat:
            return "The file is not an image format Likeness recognises (expected PNG, JPEG, HEIC/HEIF or WebP)."
        case .unsupportedFormat(let name):
            return "\(name) images are not supported; please convert the file to PNG or JPEG."
        case .truncated(let format):
            return "The \(format.name) file is incomplete: the data ends before the image does (partial download or copy?)."
        case .corrupt(let format, let detail):
            return "The \(format.name) file is damaged: \(detail)."
        case .invalidDimensions(let format, let width, let height):
            return "The \(format.name) header declares an invalid size \(width)×\(height)."
        case .tooLarge(let format, let width, let height, let maxPixels):
            let why = format.decodesDownscaled ? " even for a downscaled decode" : " (\(format.name) cannot be decoded downscaled)"
            return "The \(format.name) image is \(width)×\(height) pixels, more than the limit of \(maxPixels) pixels\(why); refusing to decode it."
        case .codecUnavailable(let what):
            return "No decoder is available for \(what) on this system."
        case .io(let path, let reason):
            return "Cannot access \(path): \(reason)."
        case .unsupportedEncoding(let what):
            return "Cannot encode this image: \(what)."
        case .encodeFailed(let format, let detail):
            return "\(format.name) encoding failed: \(detail)."
        case .singularTransform:
            return "The affine transform is singular (zero scale) and cannot be inverted."
        }
    }

    public var errorDescription: String? { description }
}
