import CWebP
import Foundation

/// WebP decoding and encoding through libwebp. The header (`WebPGetFeatures`) is read first so the
/// size limit is enforced before the output buffer exists; pixels are decoded straight into it,
/// through libwebp's rescaler when the image is beyond `DecodeLimits.maxPixels`.
enum WebPDecoder {
    static func features(_ data: Data) throws -> WebPBitstreamFeatures {
        var f = WebPBitstreamFeatures()
        let status = data.withUnsafeBytes { raw in
            WebPGetFeatures(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &f)
        }
        guard status == VP8_STATUS_OK else { throw classify(status) }
        if f.has_animation != 0 { throw ImageError.unsupportedFormat("Animated WebP") }
        return f
    }

    static func info(_ data: Data) throws -> ImageInfo {
        let f = try features(data)
        return ImageInfo(format: .webp, width: Int(f.width), height: Int(f.height))
    }

    static func decode(_ data: Data, limits: DecodeLimits) throws -> Image {
        let f = try features(data)
        let (w, h) = try limits.decodedSize(.webp, width: Int(f.width), height: Int(f.height))
        let scaled = w != Int(f.width) || h != Int(f.height)
        let channels = f.has_alpha != 0 ? 4 : 3
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else {
            throw ImageError.codecUnavailable("WebP (libwebp version mismatch)")
        }
        let status = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { dst -> VP8StatusCode in
                config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB
                config.output.is_external_memory = 1
                config.output.u.RGBA.rgba = dst.baseAddress
                config.output.u.RGBA.stride = Int32(w * channels)
                config.output.u.RGBA.size = dst.count
                if scaled {
                    // libwebp's rescaler works row by row as it decodes: no full-size buffer.
                    config.options.use_scaling = 1
                    config.options.scaled_width = Int32(w)
                    config.options.scaled_height = Int32(h)
                }
                defer { WebPFreeDecBuffer(&config.output) }
                return WebPDecode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &config)
            }
        }
        guard status == VP8_STATUS_OK else { throw classify(status) }
        return Image(width: w, height: h, channels: channels, pixels: pixels)
    }

    /// The largest size of (about) the same aspect within `maxPixels`, for libwebp's rescaler.
    static func scaledSize(width: Int, height: Int, maxPixels: Int) -> (width: Int, height: Int)? {
        let scale = (Double(maxPixels) / (Double(width) * Double(height))).squareRoot()
        let scaledHeight = max(1, Int(Double(height) * scale))
        let scaledWidth = min(max(1, Int(Double(width) * scale)), maxPixels / scaledHeight)
        return scaledWidth >= 1 ? (scaledWidth, scaledHeight) : nil
    }

    static func classify(_ status: VP8StatusCode) -> ImageError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA: return .truncated(.webp)
        case VP8_STATUS_UNSUPPORTED_FEATURE: return .unsupportedFormat("This WebP variant")
        case VP8_STATUS_OUT_OF_MEMORY: return .corrupt(.webp, "libwebp ran out of memory")
        case VP8_STATUS_INVALID_PARAM: return .corrupt(.webp, "invalid parameters")
        default: return .corrupt(.webp, "invalid bitstream (libwebp status \(status.rawValue))")
        }
    }
}

/// WebP encoding (RGB or RGBA; gray is expanded to RGB), lossy at `quality` 0...100 or lossless.
public enum WebPEncoder {
    public static func encode(_ image: Image, quality: Float = 90, lossless: Bool = false) throws -> Data {
        guard image.width > 0, image.height > 0, image.width <= 16_383, image.height <= 16_383 else {
            throw ImageError.unsupportedEncoding("a WebP must be 1...16383 pixels on each side, got \(image.width)×\(image.height)")
        }
        guard (0...100).contains(quality) else {
            throw ImageError.unsupportedEncoding("WebP quality must be 0...100, got \(quality)")
        }
        let hasAlpha = image.channels == 2 || image.channels == 4
        let source = image.converted(channels: hasAlpha ? 4 : 3)
        var config = WebPConfig()
        var picture = WebPPicture()
        guard WebPConfigInit(&config) != 0, WebPPictureInit(&picture) != 0 else {
            throw ImageError.codecUnavailable("WebP encoding (libwebp version mismatch)")
        }
        config.lossless = lossless ? 1 : 0
        config.exact = 1 // keep the RGB under fully transparent pixels: lossless means lossless
        config.quality = quality
        picture.use_argb = lossless ? 1 : 0
        picture.width = Int32(source.width)
        picture.height = Int32(source.height)
        defer { WebPPictureFree(&picture) }
        let stride = Int32(source.width * source.channels)
        let imported = source.pixels.withUnsafeBufferPointer { p in
            hasAlpha ? WebPPictureImportRGBA(&picture, p.baseAddress, stride)
                     : WebPPictureImportRGB(&picture, p.baseAddress, stride)
        }
        guard imported != 0 else { throw ImageError.encodeFailed(.webp, "libwebp could not import the pixels") }
        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let ok = withUnsafeMutablePointer(to: &writer) { w -> Int32 in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(w)
            return WebPEncode(&config, &picture)
        }
        guard ok != 0, let mem = writer.mem, writer.size > 0 else {
            throw ImageError.encodeFailed(.webp, "libwebp error code \(picture.error_code.rawValue)")
        }
        return Data(bytes: mem, count: writer.size)
    }
}
