import CTurboJPEG
import Foundation

/// JPEG decoding through turbojpeg 2.1 (`tjDecompressHeader3` / `tjDecompress2`, scaled when the
/// image is beyond `DecodeLimits.maxPixels`, see `scaledSize`). libjpeg's
/// longjmp error path stays inside turbojpeg's C frames; failures come back as -1 plus a message.
/// turbojpeg ignores EXIF, so the orientation is read by `ExifReader` and applied afterwards.
enum JPEGDecoder {
    struct Header {
        var width: Int
        var height: Int
        var colorspace: Int32
    }

    static func header(_ data: Data) throws -> Header {
        let handle = try makeHandle(decompress: true)
        defer { tjDestroy(handle) }
        return try header(data, handle)
    }

    private static func header(_ data: Data, _ handle: tjhandle) throws -> Header {
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let rc = data.withUnsafeBytes { raw in
            tjDecompressHeader3(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count),
                                &w, &h, &subsamp, &colorspace)
        }
        guard rc == 0 else {
            // libjpeg fakes an EOI at the end of the data and then complains about whatever that
            // breaks ("Bogus marker length"); the marker walk tells the truth: the file was cut off.
            if JPEGMarkers.headerIsCutOff(data) { throw ImageError.truncated(.jpeg) }
            let error = classify(handle)
            // libjpeg reports a zero size as "Empty JPEG image"; name the size the file declares.
            if case .invalidDimensions = error, let size = JPEGMarkers.frameSize(data) {
                throw ImageError.invalidDimensions(.jpeg, width: size.width, height: size.height)
            }
            throw error
        }
        return Header(width: Int(w), height: Int(h), colorspace: colorspace)
    }

    /// Displayed size (EXIF orientation applied) for `probe`.
    static func info(_ data: Data) throws -> ImageInfo {
        let h = try header(data)
        let swaps = ExifReader.jpegOrientation(data)?.swapsAxes ?? false
        return ImageInfo(format: .jpeg, width: swaps ? h.height : h.width, height: swaps ? h.width : h.height)
    }

    static func decode(_ data: Data, limits: DecodeLimits) throws -> Image {
        let handle = try makeHandle(decompress: true)
        defer { tjDestroy(handle) }
        let head = try header(data, handle)
        // Beyond the limit, libjpeg-turbo decodes at a smaller scale itself (scaled IDCT): tjDecompress2
        // picks the scaling factor whose size fits the width and height asked for.
        let (w, h) = try limits.decodedSize(.jpeg, width: head.width, height: head.height)
        let cs = head.colorspace
        let isGray = cs == Int32(TJCS_GRAY.rawValue)
        let isCMYK = cs == Int32(TJCS_CMYK.rawValue) || cs == Int32(TJCS_YCCK.rawValue)
        let (pf, channels): (TJPF, Int) = isGray ? (TJPF_GRAY, 1) : isCMYK ? (TJPF_CMYK, 4) : (TJPF_RGB, 3)
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        // LIMITSCANS refuses progressive files with absurd scan counts (a CPU-exhaustion attack).
        var flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
        if !limits.tolerateJPEGWarnings { flags |= TJFLAG_STOPONWARNING }
        let rc = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count),
                              dst.baseAddress, Int32(w), Int32(w * channels), Int32(h),
                              Int32(pf.rawValue), flags)
            }
        }
        if rc != 0 {
            let error = classify(handle)
            // A warning with tolerance on still leaves a complete image in `pixels`.
            let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            if !(isWarning && limits.tolerateJPEGWarnings) || error == .truncated(.jpeg) { throw error }
        }
        var image = Image(width: w, height: h, channels: isCMYK ? 3 : channels,
                          pixels: isCMYK ? cmykToRGB(pixels) : pixels)
        if let orientation = ExifReader.jpegOrientation(data) { image = image.oriented(orientation) }
        return image
    }

    /// The largest of libjpeg-turbo's scaling factors up to 1 (7/8, 3/4, … 1/8) whose size
    /// (`TJSCALED`: rounded up) is within `maxPixels`, as that size; nil if even the smallest is not.
    static func scaledSize(width: Int, height: Int, maxPixels: Int) -> (width: Int, height: Int)? {
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return nil }
        var best: (width: Int, height: Int, scale: Double)?
        for index in 0..<Int(count) {
            let num = Int(factors[index].num), denom = Int(factors[index].denom)
            guard num <= denom else { continue }
            let size = (width: (width * num + denom - 1) / denom, height: (height * num + denom - 1) / denom)
            let scale = Double(num) / Double(denom)
            if size.width * size.height <= maxPixels && scale > (best?.scale ?? 0) { best = (size.width, size.height, scale) }
        }
        return best.map { (width: $0.width, height: $0.height) }
    }

    /// Adobe-style (inverted) CMYK as libjpeg delivers it: R = C·K/255, etc.
    static func cmykToRGB(_ cmyk: [UInt8]) -> [UInt8] {
        let n = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: n * 3)
        cmyk.withUnsafeBufferPointer { s in
            rgb.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    let k = UInt32(s[4 * i + 3])
                    for j in 0..<3 { d[3 * i + j] = UInt8((UInt32(s[4 * i + j]) * k + 127) / 255) }
                }
            }
        }
        return rgb
    }

    static func makeHandle(decompress: Bool) throws -> tjhandle {
        guard let h = decompress ? tjInitDecompress() : tjInitCompress() else {
            throw ImageError.codecUnavailable("JPEG (turbojpeg failed to initialise)")
        }
        return h
    }

    /// Maps turbojpeg/libjpeg message text to a typed error.
    static func classify(_ handle: tjhandle) -> ImageError {
        let message = String(cString: tjGetErrorStr2(handle))
        let m = message.lowercased()
        // "Corrupt JPEG data: premature end of data segment" is damage, not truncation.
        if !m.contains("corrupt") && (m.contains("premature end of") || m.contains("insufficient data")) {
            return .truncated(.jpeg)
        }
        if m.contains("unsupported jpeg") || m.contains("unsupported color conversion") {
            // 12-bit or lossless (SOF3) JPEGs: valid files that libjpeg-turbo's 8-bit API cannot decode.
            return .unsupportedFormat("This JPEG variant (\(message))")
        }
        if m.contains("empty jpeg image") {
            return .invalidDimensions(.jpeg, width: 0, height: 0)
        }
        return .corrupt(.jpeg, message.isEmpty ? "libjpeg rejected the data" : message)
    }
}

/// Chroma subsampling for JPEG encoding.
public enum JPEGSubsampling: Sendable {
    case s444, s422, s420

    var tj: Int32 {
        switch self {
        case .s444: return Int32(TJSAMP_444.rawValue)
        case .s422: return Int32(TJSAMP_422.rawValue)
        case .s420: return Int32(TJSAMP_420.rawValue)
        }
    }
}

/// JPEG encoding via `tjCompress2`. Gray images (1 channel, or 2 with alpha dropped) encode as
/// grayscale JPEGs; RGB and RGBA (alpha dropped) as YCbCr.
public enum JPEGEncoder {
    public static func encode(_ image: Image, quality: Int = 90, subsampling: JPEGSubsampling = .s420,
                              progressive: Bool = false) throws -> Data {
        guard (1...100).contains(quality) else {
            throw ImageError.unsupportedEncoding("JPEG quality must be 1...100, got \(quality)")
        }
        guard image.width > 0, image.height > 0, image.width <= 65_535, image.height <= 65_535 else {
            throw ImageError.unsupportedEncoding("a JPEG must be 1...65535 pixels on each side, got \(image.width)×\(image.height)")
        }
        let source = image.channels == 2 ? image.converted(channels: 1) : image
        let pf: TJPF
        switch source.channels {
        case 1: pf = TJPF_GRAY
        case 3: pf = TJPF_RGB
        default: pf = TJPF_RGBX
        }
        let subsamp = source.channels == 1 ? Int32(TJSAMP_GRAY.rawValue) : subsampling.tj
        let handle = try JPEGDecoder.makeHandle(decompress: false)
        defer { tjDestroy(handle) }
        var jpegBuf: UnsafeMutablePointer<UInt8>? = nil
        var jpegSize: UInt = 0
        defer { if jpegBuf != nil { tjFree(jpegBuf) } }
        let flags = TJFLAG_ACCURATEDCT | (progressive ? TJFLAG_PROGRESSIVE : 0)
        let rc = source.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(source.width), Int32(source.width * source.channels),
                        Int32(source.height), Int32(pf.rawValue), &jpegBuf, &jpegSize, subsamp,
                        Int32(quality), flags)
        }
        guard rc == 0, let buf = jpegBuf else {
            throw ImageError.encodeFailed(.jpeg, String(cString: tjGetErrorStr2(handle)))
        }
        return Data(bytes: buf, count: Int(jpegSize))
    }
}
