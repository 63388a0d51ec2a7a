import CFFmpeg
import Foundation
import Imaging

/// One decoded frame: RGB pixels and when it is shown.
public struct VideoFrame: Sendable {
    /// 0-based index in decode-output (presentation) order.
    public var index: Int
    /// Presentation time in seconds, as ffprobe's `best_effort_timestamp_time` reports it
    /// (pts × the stream's time base; not shifted to start at 0).
    public var timestamp: Double
    /// width × height × 3, top row first.
    public var image: Image

    /// The frame as a photo of `clip`: `<clip>-frame-00001` for index 0 (sorts in frame order).
    public func name(inClip clip: String) -> String { String(format: "%@-frame-%05d", clip, index + 1) }
}

/// Limits checked from the container's header before any frame is decoded (a decompression-bomb
/// guard, as `ImageDecoder.maxPixels` is for photos).
public struct VideoLimits: Sendable, Equatable {
    public var maxPixels: Int
    public var maxSeconds: Double
    public init(maxPixels: Int = 4096 * 4096, maxSeconds: Double = 3600) {
        self.maxPixels = maxPixels
        self.maxSeconds = maxSeconds
    }
}

/// Decodes the best video stream of any file ffmpeg's libavformat reads, in process, to RGB
/// frames with their timestamps (`next()` until nil). libavcodec decodes on one thread: every
/// parallel loop in Likeness runs on `Compute`'s budget, and a 512² H.264 frame decodes in a few
/// milliseconds anyway. Pixels are converted by libswscale (YUV → RGB24, bilinear, BT.601 as
/// the stream signals).
///
/// Errors are typed (`VideoError`): an empty file, data no demuxer takes, a text file that
/// ffmpeg's `tty` demuxer would play as ANSI art, an MP4 cut before its index, a stream that ends
/// before the frames its container declares, frames over `limits.maxPixels`, a duration over
/// `limits.maxSeconds`, a missing decoder.
public final class VideoReader {
    /// File extensions read as video (by `likeness dataset build`, `adapt`, `eval transfer`).
    public static let fileExtensions: Set<String> = ["mp4", "mov", "mkv", "avi", "webm", "m4v"]

    /// True when `path`'s extension is one of `fileExtensions`.
    public static func isVideo(_ path: String) -> Bool {
        fileExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    public let url: URL
    public private(set) var width = 0
    public private(set) var height = 0
    /// Average frame rate (frames / duration; `avg_frame_rate`), the rate of a variable-rate stream.
    public private(set) var frameRate = 0.0
    /// The stream's nominal rate (`r_frame_rate`, the lowest rate that represents every timestamp).
    public private(set) var nominalFrameRate = 0.0
    /// Frames the container declares (`nb_frames`), when it does.
    public private(set) var declaredFrameCount: Int?
    /// Duration in seconds from the container, when known.
    public private(set) var duration: Double?
    /// The decoder's name (`h264`, `mpeg4`, …).
    public private(set) var codecName = ""
    /// The demuxer's name (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, …).
    public private(set) var containerName = ""

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var scaler: OpaquePointer?
    private var streamIndex: Int32 = -1
    private var timeBase = 0.0
    private var decoded = 0
    private var flushing = false
    private var finished = false
    private var lastTimestamp: Double?
    private var readError: Int32 = 0

    public init(contentsOf url: URL, limits: VideoLimits = VideoLimits()) throws {
        self.url = url
        let path = url.path
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw VideoError.io(path: path, reason: "no such file or not readable")
        }
        if (attributes[.size] as? NSNumber)?.intValue == 0 { throw VideoError.emptyFile }
        VideoReader.quietLibav
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, path, nil, nil)
        guard opened >= 0, let context else {
            if VideoReader.isISOMedia(path) { throw VideoError.truncated(decodedFrames: 0, declaredFrames: nil) }
            if opened == likeness_averror_invaliddata() { throw VideoError.notVideo("no demuxer recognises the data") }
            throw VideoError.io(path: path, reason: avMessage(opened))
        }
        format = context
        containerName = String(cString: context.pointee.iformat.pointee.name)
        do {
            let info = avformat_find_stream_info(context, nil)
            guard info >= 0 else {
                if VideoReader.isISOMedia(path) { throw VideoError.truncated(decodedFrames: 0, declaredFrames: nil) }
                throw VideoError.corrupt("cannot read the stream headers: \(avMessage(info))")
            }
            if containerName == "tty" { throw VideoError.notVideo("text, which ffmpeg would only play as ANSI art") }
            var decoder: UnsafePointer<AVCodec>?
            let best = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
            if best == likeness_averror_decoder_not_found() {
                throw VideoError.codecUnavailable("the video stream of \(url.lastPathComponent)")
            }
            guard best >= 0, let decoder, let stream = context.pointee.streams[Int(best)] else {
                throw VideoError.notVideo("no video stream (\(containerName))")
            }
            streamIndex = best
            let parameters = stream.pointee.codecpar!
            if parameters.pointee.codec_id == AV_CODEC_ID_ANSI || parameters.pointee.codec_id == AV_CODEC_ID_TEXT {
                throw VideoError.notVideo("text")
            }
            width = Int(parameters.pointee.width)
            height = Int(parameters.pointee.height)
            guard width > 0, height > 0 else { throw VideoError.corrupt("the stream declares a \(width)×\(height) frame") }
            guard width * height <= limits.maxPixels else {
                throw VideoError.tooLarge(width: width, height: height, maxPixels: limits.maxPixels)
            }
            func seconds(_ r: AVRational) -> Double { r.den == 0 || r.num <= 0 ? 0 : Double(r.num) / Double(r.den) }
            timeBase = seconds(stream.pointee.time_base)
            let streamDuration = stream.pointee.duration
            if streamDuration > 0, streamDuration != likeness_av_nopts_value() {
                duration = Double(streamDuration) * timeBase
            } else if context.pointee.duration > 0 {
                duration = Double(context.pointee.duration) / Double(AV_TIME_BASE)
            } else {
                duration = nil
            }
            if let duration, duration > limits.maxSeconds { throw VideoError.tooLong(seconds: duration, maxSeconds: limits.maxSeconds) }
            nominalFrameRate = seconds(stream.pointee.r_frame_rate)
            let average = seconds(stream.pointee.avg_frame_rate)
            frameRate = average > 0 ? average : nominalFrameRate
            declaredFrameCount = stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil
            codecName = String(cString: decoder.pointee.name)
            guard let codecContext = avcodec_alloc_context3(decoder) else { throw VideoError.corrupt("out of memory") }
            codec = codecContext
            guard avcodec_parameters_to_context(codecContext, parameters) >= 0 else {
                throw VideoError.corrupt("the stream's codec parameters are invalid")
            }
            codecContext.pointee.thread_count = 1
            let openedCodec = avcodec_open2(codecContext, decoder, nil)
            guard openedCodec >= 0 else { throw VideoError.codecUnavailable("\(codecName): \(avMessage(openedCodec))") }
            packet = av_packet_alloc()
            frame = av_frame_alloc()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// libav logs to standard error; its warnings (and libx264's statistics) are noise for a
    /// command-line tool whose errors are typed. Set once per process.
    static let quietLibav: Void = av_log_set_level(AV_LOG_ERROR)

    /// An ISO base-media file (MP4/MOV) has `ftyp` at byte 4; one that no longer opens lost its
    /// `moov` index at the end — what an interrupted copy or recording leaves.
    static func isISOMedia(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 8)
        return head.count == 8 && head[head.startIndex + 4..<head.startIndex + 8] == Data("ftyp".utf8)
    }

    private func close() {
        if scaler != nil { sws_freeContext(scaler); scaler = nil }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codec != nil { avcodec_free_context(&codec) }
        if format != nil { avformat_close_input(&format) }
    }

    /// The next frame in presentation order, or nil after the last. Throws `.truncated` at the end
    /// of a stream that delivered fewer frames than its container declares.
    public func next() throws -> VideoFrame? {
        guard !finished, let codec, let frame, let packet, let format else { return nil }
        while true {
            let received = avcodec_receive_frame(codec, frame)
            if received >= 0 {
                defer { av_frame_unref(frame) }
                return try convert(frame)
            }
            if received == likeness_averror_eof() {
                finished = true
                if let declared = declaredFrameCount, decoded < declared, readError != 0 || decoded < declared - 1 {
                    throw VideoError.truncated(decodedFrames: decoded, declaredFrames: declared)
                }
                return nil
            }
            guard received == likeness_averror_eagain() else {
                finished = true
                throw VideoError.corrupt("the decoder failed after \(decoded) frames: \(avMessage(received))")
            }
            if flushing {
                finished = true
                return nil
            }
            let read = av_read_frame(format, packet)
            if read < 0 {
                if read != likeness_averror_eof() { readError = read }
                flushing = true
                _ = avcodec_send_packet(codec, nil)
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, packet)
            // A damaged packet is dropped (as ffmpeg's tools do); the stream goes on.
            if sent < 0, sent != likeness_averror_eagain(), sent != likeness_averror_invaliddata() {
                finished = true
                throw VideoError.corrupt("the decoder refused a packet after \(decoded) frames: \(avMessage(sent))")
            }
        }
    }

    /// Every remaining frame (for short clips; long videos should be read frame by frame).
    public func readAll() throws -> [VideoFrame] {
        var frames: [VideoFrame] = []
        while let f = try next() { frames.append(f) }
        return frames
    }

    private func convert(_ f: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        let w = Int(f.pointee.width), h = Int(f.pointee.height)
        guard w > 0, h > 0, w * h <= width * height * 4 else { throw VideoError.corrupt("a frame of \(w)×\(h) in a \(width)×\(height) stream") }
        scaler = sws_getCachedContext(scaler, Int32(w), Int32(h), AVPixelFormat(rawValue: f.pointee.format),
                                      Int32(w), Int32(h), AV_PIX_FMT_RGB24, SWS_BILINEAR, nil, nil, nil)
        guard let scaler else { throw VideoError.corrupt("cannot convert pixel format \(f.pointee.format) to RGB") }
        let stride = 3 * w
        // libswscale's SIMD paths may write a little past the last row: convert into a padded buffer.
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: stride * h + 64)
        defer { buffer.deallocate() }
        let source: [UnsafePointer<UInt8>?] = [UnsafePointer(f.pointee.data.0), UnsafePointer(f.pointee.data.1),
                                              UnsafePointer(f.pointee.data.2), UnsafePointer(f.pointee.data.3)]
        let sourceStrides: [Int32] = [f.pointee.linesize.0, f.pointee.linesize.1, f.pointee.linesize.2, f.pointee.linesize.3]
        let destination: [UnsafeMutablePointer<UInt8>?] = [buffer, nil, nil, nil]
        let destinationStrides: [Int32] = [Int32(stride), 0, 0, 0]
        sws_scale(scaler, source, sourceStrides, 0, Int32(h), destination, destinationStrides)
        let pixels = [UInt8](UnsafeBufferPointer(start: buffer, count: stride * h))
        let pts = f.pointee.best_effort_timestamp
        let timestamp: Double
        if pts != likeness_av_nopts_value() {
            timestamp = Double(pts) * timeBase
        } else {
            timestamp = (lastTimestamp.map { $0 + 1 / max(frameRate, 1) }) ?? 0
        }
        lastTimestamp = timestamp
        defer { decoded += 1 }
        return VideoFrame(index: decoded, timestamp: timestamp, image: Image(width: w, height: h, channels: 3, pixels: pixels))
    }
}
