import Foundation
import CFFmpeg

/// Why a video could not be read or written. Like `ImageError`, every case carries what a user
/// needs to understand it; the reader never crashes or aborts on bad input, it throws one of these.
public enum VideoError: Error, Equatable, Sendable {
    /// The input has zero bytes.
    case emptyFile
    /// No demuxer recognises the data, or what it recognises is not a video (text, audio only).
    case notVideo(String)
    /// The data ends before the video does: the container's index is missing (an MP4 cut before
    /// its `moov` box) or it declares more frames than the file holds.
    case truncated(decodedFrames: Int, declaredFrames: Int?)
    /// The data is damaged (invalid stream, decoder errors on most of it).
    case corrupt(String)
    /// The frame size is over the limit (checked before any frame is decoded).
    case tooLarge(width: Int, height: Int, maxPixels: Int)
    /// The video is longer than the limit (checked from the container's duration before decoding).
    case tooLong(seconds: Double, maxSeconds: Double)
    /// The system's libavcodec has no decoder (or encoder) for this codec.
    case codecUnavailable(String)
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The encoder or muxer reported a failure, or was given frames it cannot take.
    case encodeFailed(String)
}

extension VideoError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case .emptyFile:
            return "The file is empty (0 bytes)."
        case .notVideo(let detail):
            return "The file is not a video Likeness can read (\(detail))."
        case let .truncated(decoded, declared):
            let of = declared.map { " of the \($0) it declares" } ?? ""
            return "The video is incomplete: the data ends after \(decoded) frames\(of) (partial download or copy?)."
        case .corrupt(let detail):
            return "The video is damaged: \(detail)."
        case let .tooLarge(width, height, maxPixels):
            return "The video's frames are \(width)×\(height) pixels, more than the limit of \(maxPixels) pixels; refusing to decode it."
        case let .tooLong(seconds, maxSeconds):
            return String(format: "The video lasts %.0f s, more than the limit of %.0f s; refusing to decode it.", seconds, maxSeconds)
        case .codecUnavailable(let what):
            return "No codec is available for \(what) in this system's libavcodec."
        case let .io(path, reason):
            return "Cannot access \(path): \(reason)."
        case .encodeFailed(let detail):
            return "Video encoding failed: \(detail)."
        }
    }

    public var errorDescription: String? { description }
}

/// libav's message for an error code (`av_strerror`).
func avMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    _ = av_strerror(code, &buffer, buffer.count)
    return String(cString: buffer)
}
