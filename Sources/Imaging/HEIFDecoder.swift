import CHeif
import Foundation

/// HEIC/HEIF (and AVIF) decoding through libheif. libheif applies the file's transformations
/// (irot rotation, imir mirroring, clap crop) during decoding, which is how HEIF records orientation.
enum HEIFDecoder {
    static func info(_ data: Data) throws -> ImageInfo {
        try withPrimaryHandle(data) { handle in
            ImageInfo(format: .heif, width: Int(heif_image_handle_get_width(handle)),
                      height: Int(heif_image_handle_get_height(handle)))
        }
    }

    static func decode(_ data: Data, limits: DecodeLimits) throws -> Image {
        try withPrimaryHandle(data) { handle in
            _ = try limits.decodedSize(.heif, width: Int(heif_image_handle_get_width(handle)),
                                       height: Int(heif_image_handle_get_height(handle)))
            let alpha = heif_image_handle_has_alpha_channel(handle) != 0
            var img: OpaquePointer? = nil
            try check(heif_decode_image(handle, &img, heif_colorspace_RGB,
                                        alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, nil))
            guard let decoded = img else { throw ImageError.corrupt(.heif, "libheif returned no image") }
            defer { heif_image_release(decoded) }
            let w = Int(heif_image_get_width(decoded, heif_channel_interleaved))
            let h = Int(heif_image_get_height(decoded, heif_channel_interleaved))
            _ = try limits.decodedSize(.heif, width: w, height: h)
            guard heif_image_get_bits_per_pixel_range(decoded, heif_channel_interleaved) == 8 else {
                throw ImageError.unsupportedFormat("HEIF with more than 8 bits per sample")
            }
            var stride: Int32 = 0
            guard let plane = heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride) else {
                throw ImageError.corrupt(.heif, "decoded image has no pixel plane")
            }
            let channels = alpha ? 4 : 3
            let rowBytes = w * channels
            var pixels = [UInt8](repeating: 0, count: w * h * channels)
            pixels.withUnsafeMutableBytes { dst in
                for y in 0..<h {
                    (dst.baseAddress! + y * rowBytes).copyMemory(from: plane + y * Int(stride), byteCount: rowBytes)
                }
            }
            return Image(width: w, height: h, channels: channels, pixels: pixels)
        }
    }

    private static func withPrimaryHandle<T>(_ data: Data, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let ctx = heif_context_alloc() else { throw ImageError.codecUnavailable("HEIF (libheif failed to initialise)") }
        defer { heif_context_free(ctx) }
        // libheif reads from the buffer without copying, so everything happens inside withUnsafeBytes.
        return try data.withUnsafeBytes { raw in
            try check(heif_context_read_from_memory_without_copy(ctx, raw.baseAddress, raw.count, nil))
            var handle: OpaquePointer? = nil
            try check(heif_context_get_primary_image_handle(ctx, &handle))
            guard let h = handle else { throw ImageError.corrupt(.heif, "no primary image") }
            defer { heif_image_handle_release(h) }
            return try body(h)
        }
    }

    private static func check(_ error: heif_error) throws {
        guard error.code != heif_error_Ok else { return }
        let message = error.message.map { String(cString: $0) } ?? "unknown libheif error"
        switch (error.code, error.subcode) {
        case (_, heif_suberror_End_of_data):
            throw ImageError.truncated(.heif)
        case (_, heif_suberror_Security_limit_exceeded):
            throw ImageError.corrupt(.heif, "libheif's security limits were exceeded (\(message))")
        case (heif_error_Unsupported_filetype, _):
            throw ImageError.unsupportedFormat("This HEIF variant")
        case (heif_error_Unsupported_feature, heif_suberror_Unsupported_codec):
            throw ImageError.codecUnavailable("this HEIF compression format (\(message))")
        case (heif_error_Unsupported_feature, _):
            throw ImageError.unsupportedFormat("HEIF with this feature (\(message))")
        default:
            throw ImageError.corrupt(.heif, message)
        }
    }
}
