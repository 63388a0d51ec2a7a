import CFFmpeg
import Foundation
import Imaging

/// Encodes RGB frames to an MP4 in process: H.264 through libavcodec's libx264 wrapper (Debian's
/// libavcodec links libx264; preset `veryfast`, CRF 23) or, when a build lacks it, MPEG-4 part 2
/// (`codecName` says which). Frames carry their own timestamps (millisecond time base), so a
/// variable-rate source keeps its timing; `frameRate` is the nominal rate written to the stream.
/// The encoder runs on one thread (Likeness's thread budget is `Compute`'s). YUV 4:2:0 needs even
/// sides, so the output is `width & ~1` × `height & ~1` and libswscale resamples each frame to it.
public final class VideoWriter {
    public let url: URL
    public private(set) var width = 0
    public private(set) var height = 0
    public private(set) var codecName = ""

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var stream: UnsafeMutablePointer<AVStream>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer?
    private var lastPTS: Int64 = -1
    /// One frame at the nominal rate, in the codec's millisecond time base.
    private var frameDuration: Int64 = 40
    private var finished = false
    /// Frames written so far.
    public private(set) var frameCount = 0

    public init(url: URL, width: Int, height: Int, frameRate: Double) throws {
        self.url = url
        self.width = width & ~1
        self.height = height & ~1
        guard self.width >= 2, self.height >= 2 else { throw VideoError.encodeFailed("a \(width)×\(height) frame is too small") }
        VideoReader.quietLibav
        var context: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&context, nil, "mp4", url.path) >= 0, let context else {
            throw VideoError.encodeFailed("libavformat has no MP4 muxer")
        }
        format = context
        let encoder = avcodec_find_encoder_by_name("libx264") ?? avcodec_find_encoder(AV_CODEC_ID_MPEG4)
        do {
            guard let encoder else { throw VideoError.codecUnavailable("H.264 or MPEG-4 encoding") }
            codecName = String(cString: encoder.pointee.name)
            guard let s = avformat_new_stream(context, nil), let c = avcodec_alloc_context3(encoder) else {
                throw VideoError.encodeFailed("out of memory")
            }
            stream = s
            codec = c
            c.pointee.width = Int32(self.width)
            c.pointee.height = Int32(self.height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: 1, den: 1000)
            let rate = max(frameRate, 1)
            frameDuration = max(1, Int64((1000 / rate).rounded()))
            c.pointee.framerate = AVRational(num: Int32((rate * 1000).rounded()), den: 1000)
            c.pointee.gop_size = Int32(max(1, Int(rate.rounded())))
            c.pointee.thread_count = 1
            if codecName == "libx264" {
                av_opt_set(c.pointee.priv_data, "preset", "veryfast", 0)
                av_opt_set(c.pointee.priv_data, "crf", "23", 0)
            } else {
                c.pointee.bit_rate = Int64(self.width * self.height) * 8
            }
            if context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
                c.pointee.flags |= likeness_codec_flag_global_header()
            }
            let opened = avcodec_open2(c, encoder, nil)
            guard opened >= 0 else { throw VideoError.encodeFailed("cannot open \(codecName): \(avMessage(opened))") }
            guard avcodec_parameters_from_context(s.pointee.codecpar, c) >= 0 else { throw VideoError.encodeFailed("codec parameters") }
            s.pointee.time_base = c.pointee.time_base
            let io = avio_open(&context.pointee.pb, url.path, AVIO_FLAG_WRITE)
            guard io >= 0 else { throw VideoError.io(path: url.path, reason: avMessage(io)) }
            // faststart: the index goes before the frames, so a browser plays the preview while it loads.
            var options: OpaquePointer?
            av_dict_set(&options, "movflags", "+faststart", 0)
            let header = avformat_write_header(context, &options)
            av_dict_free(&options)
            guard header >= 0 else { throw VideoError.encodeFailed("cannot write the MP4 header: \(avMessage(header))") }
            guard let f = av_frame_alloc(), let p = av_packet_alloc() else { throw VideoError.encodeFailed("out of memory") }
            frame = f
            packet = p
            f.pointee.format = AV_PIX_FMT_YUV420P.rawValue
            f.pointee.width = Int32(self.width)
            f.pointee.height = Int32(self.height)
            guard av_frame_get_buffer(f, 0) >= 0 else { throw VideoError.encodeFailed("out of memory") }
        } catch {
            release()
            throw error
        }
    }

    deinit {
        if !finished, format != nil { try? finish() }
        release()
    }

    private func release() {
        if scaler != nil { sws_freeContext(scaler); scaler = nil }
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codec != nil { avcodec_free_context(&codec) }
        if let format {
            if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
        }
    }

    /// Appends `image` (RGB or grey; any size, resampled to the stream's) shown at `timestamp`
    /// seconds. Timestamps must increase; one that does not is moved 1 ms after the previous.
    public func write(_ image: Image, timestamp: Double) throws {
        guard !finished, let codec, let frame else { throw VideoError.encodeFailed("the writer is finished") }
        let rgb = image.converted(channels: 3)
        scaler = sws_getCachedContext(scaler, Int32(rgb.width), Int32(rgb.height), AV_PIX_FMT_RGB24,
                                      Int32(width), Int32(height), AV_PIX_FMT_YUV420P, SWS_BILINEAR, nil, nil, nil)
        guard let scaler else { throw VideoError.encodeFailed("cannot convert \(rgb.width)×\(rgb.height) RGB") }
        guard av_frame_make_writable(frame) >= 0 else { throw VideoError.encodeFailed("out of memory") }
        rgb.pixels.withUnsafeBufferPointer { pixels in
            let source: [UnsafePointer<UInt8>?] = [pixels.baseAddress, nil, nil, nil]
            let sourceStrides: [Int32] = [Int32(3 * rgb.width), 0, 0, 0]
            let destination: [UnsafeMutablePointer<UInt8>?] = [frame.pointee.data.0, frame.pointee.data.1, frame.pointee.data.2, nil]
            let strides: [Int32] = [frame.pointee.linesize.0, frame.pointee.linesize.1, frame.pointee.linesize.2, 0]
            _ = sws_scale(scaler, source, sourceStrides, 0, Int32(rgb.height), destination, strides)
        }
        lastPTS = max(lastPTS + 1, Int64((timestamp * 1000).rounded()))
        frame.pointee.pts = lastPTS
        try send(frame, codec)
        frameCount += 1
    }

    /// Flushes the encoder and writes the MP4 index. The writer takes no frames after this.
    public func finish() throws {
        guard !finished, let codec, let format else { return }
        finished = true
        try send(nil, codec)
        let trailer = av_write_trailer(format)
        guard trailer >= 0 else { throw VideoError.encodeFailed("cannot write the MP4 index: \(avMessage(trailer))") }
        avio_closep(&format.pointee.pb)
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>?, _ codec: UnsafeMutablePointer<AVCodecContext>) throws {
        guard let packet, let stream, let format else { return }
        let sent = avcodec_send_frame(codec, frame)
        guard sent >= 0 else { throw VideoError.encodeFailed("\(codecName) refused a frame: \(avMessage(sent))") }
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == likeness_averror_eagain() || received == likeness_averror_eof() { return }
            guard received >= 0 else { throw VideoError.encodeFailed("\(codecName): \(avMessage(received))") }
            // Without a duration the MP4's edit list ends where the last frame starts, and players
            // (ffmpeg's own decoder among them) drop that frame.
            if packet.pointee.duration <= 0 { packet.pointee.duration = frameDuration }
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(format, packet)
            av_packet_unref(packet)
            guard written >= 0 else { throw VideoError.io(path: url.path, reason: avMessage(written)) }
        }
    }
}
