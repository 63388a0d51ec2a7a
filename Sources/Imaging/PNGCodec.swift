import CPNG
import Foundation

/// PNG decoding and encoding through libpng's simplified `png_image_*` API. That API runs libpng's
/// setjmp/longjmp error handling entirely inside C (`png_safe_execute`), so an error never tries to
/// unwind Swift frames; it reports failure through a return value and `png_image.message`.
enum PNGDecoder {
    /// Width and height straight from the IHDR chunk (bytes 16..<24), without libpng.
    static func header(_ data: Data) throws -> (width: Int, height: Int) {
        let b = [UInt8](data.prefix(33))
        guard b.count >= 24 else { throw ImageError.truncated(.png) }
        guard Array(b[12..<16]) == Array("IHDR".utf8) else {
            throw ImageError.corrupt(.png, "the first chunk is not IHDR")
        }
        let be32 = { (o: Int) in Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        let width = be32(16), height = be32(20)
        // The spec caps both at 2^31 - 1; anything above is not a PNG any decoder accepts.
        if width > Int(Int32.max) || height > Int(Int32.max) {
            throw ImageError.invalidDimensions(.png, width: width, height: height)
        }
        return (width, height)
    }

    /// Decodes to 8-bit samples with the file's natural channel count (palette expands to RGB or
    /// RGBA). 16-bit files are scaled to 8 bits without a gamma change.
    static func decode(_ data: Data, limits: DecodeLimits) throws -> Image {
        let (w, h) = try header(data)
        _ = try limits.decodedSize(.png, width: w, height: h)
        return try withPNGImage(data) { img in
            // Without this flag libpng treats untagged 16-bit files as linear and gamma-encodes
            // them on the way down to 8 bits; the flag keeps the plain value scaling users expect.
            img.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            let natural = img.format & (UInt32(PNG_FORMAT_FLAG_COLOR) | UInt32(PNG_FORMAT_FLAG_ALPHA))
            img.format = natural
            let channels = Int(natural) + 1 // GRAY=0, GA=1, RGB=2, RGBA=3
            var pixels = [UInt8](repeating: 0, count: w * h * channels)
            try pixels.withUnsafeMutableBytes { buf in
                try finish(&img, buf.baseAddress!, rowStride: Int32(w * channels))
            }
            return Image(width: w, height: h, channels: channels, pixels: pixels)
        }
    }

    /// Decodes any PNG to 16-bit gray, exactly when the file is untagged (or linear) 16-bit gray.
    static func decodeGray16(_ data: Data, limits: DecodeLimits) throws -> Image16 {
        let (w, h) = try header(data)
        _ = try limits.decodedSize(.png, width: w, height: h)
        return try withPNGImage(data) { img in
            img.format = UInt32(PNG_FORMAT_LINEAR_Y)
            var pixels = [UInt16](repeating: 0, count: w * h)
            try pixels.withUnsafeMutableBytes { buf in
                try finish(&img, buf.baseAddress!, rowStride: Int32(w))
            }
            return Image16(width: w, height: h, pixels: pixels)
        }
    }

    private static func withPNGImage<T>(_ data: Data, _ body: (inout png_image) throws -> T) throws -> T {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&img) }
        // libpng keeps a pointer into the buffer until png_image_free, so the whole decode runs
        // inside withUnsafeBytes.
        return try data.withUnsafeBytes { raw -> T in
            guard png_image_begin_read_from_memory(&img, raw.baseAddress, raw.count) != 0 else {
                throw classify(message(img))
            }
            if Int(img.width) * Int(img.height) == 0 {
                throw ImageError.invalidDimensions(.png, width: Int(img.width), height: Int(img.height))
            }
            return try body(&img)
        }
    }

    private static func finish(_ img: inout png_image, _ buffer: UnsafeMutableRawPointer, rowStride: Int32) throws {
        guard png_image_finish_read(&img, nil, buffer, rowStride, nil) != 0 else {
            throw classify(message(img))
        }
    }

    static func message(_ img: png_image) -> String {
        withUnsafeBytes(of: img.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Maps libpng's error text to a typed error.
    static func classify(_ message: String) -> ImageError {
        let m = message.lowercased()
        if m.contains("read beyond end") || m.contains("not enough image data") || m.contains("truncated")
            || m.contains("unexpected end") {
            return .truncated(.png)
        }
        if m.contains("exceeds user limit") || m.contains("too large") {
            return .corrupt(.png, "the declared image size is beyond libpng's limits (\(message))")
        }
        return .corrupt(.png, message.isEmpty ? "libpng rejected the data" : message)
    }
}

/// PNG encoding (8-bit gray, gray+alpha, RGB, RGBA; 16-bit gray).
public enum PNGEncoder {
    /// Encodes an 8-bit image; all of 1–4 channels are accepted.
    public static func encode(_ image: Image) throws -> Data {
        let format = UInt32(image.channels - 1) // GRAY, GA, RGB, RGBA
        return try image.pixels.withUnsafeBytes { raw in
            try write(width: image.width, height: image.height, format: format, pixels: raw.baseAddress!,
                      rowStride: Int32(image.width * image.channels))
        }
    }

    /// Encodes 16-bit gray; `ImageDecoder.decodeGray16` reads it back exactly.
    public static func encode(_ image: Image16) throws -> Data {
        try image.pixels.withUnsafeBytes { raw in
            try write(width: image.width, height: image.height, format: UInt32(PNG_FORMAT_LINEAR_Y),
                      pixels: raw.baseAddress!, rowStride: Int32(image.width))
        }
    }

    private static func write(width: Int, height: Int, format: UInt32, pixels: UnsafeRawPointer,
                              rowStride: Int32) throws -> Data {
        guard width > 0, height > 0, width <= Int(Int32.max) / 8, height <= Int(Int32.max) else {
            throw ImageError.unsupportedEncoding("a PNG needs a positive size, got \(width)×\(height)")
        }
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(width)
        img.height = UInt32(height)
        img.format = format
        defer { png_image_free(&img) }
        var size = 0
        // First pass asks for the size, second writes.
        guard png_image_write_to_memory(&img, nil, &size, 0, pixels, rowStride, nil) != 0 else {
            throw ImageError.encodeFailed(.png, PNGDecoder.message(img))
        }
        var out = Data(count: size)
        let ok = out.withUnsafeMutableBytes { buf in
            png_image_write_to_memory(&img, buf.baseAddress, &size, 0, pixels, rowStride, nil)
        }
        guard ok != 0 else { throw ImageError.encodeFailed(.png, PNGDecoder.message(img)) }
        return out.prefix(size)
    }
}
