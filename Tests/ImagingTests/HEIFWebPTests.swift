import CHeif
import CTurboJPEG
import XCTest
@testable import Imaging

/// Builds HEIF files with libheif's own encoder (x265 on Debian), so the decoder is checked against
/// the reference library rather than a committed blob.
enum HEIFFixture {
    static var hasEncoder: Bool { heif_have_encoder_for_format(heif_compression_HEVC) != 0 }

    /// An RGB image encoded as HEIC with `orientation` recorded as irot/imir boxes.
    static func encode(_ image: Image, quality: Int32 = 90, orientation: heif_orientation = heif_orientation_normal) throws -> Data {
        let rgb = image.converted(channels: 3)
        let ctx = heif_context_alloc()!
        defer { heif_context_free(ctx) }
        var encoder: OpaquePointer? = nil
        try check(heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &encoder))
        defer { heif_encoder_release(encoder) }
        try check(heif_encoder_set_lossy_quality(encoder, quality))
        var img: OpaquePointer? = nil
        try check(heif_image_create(Int32(rgb.width), Int32(rgb.height), heif_colorspace_RGB, heif_chroma_interleaved_RGB, &img))
        defer { heif_image_release(img) }
        try check(heif_image_add_plane(img, heif_channel_interleaved, Int32(rgb.width), Int32(rgb.height), 8))
        var stride: Int32 = 0
        let plane = heif_image_get_plane(img, heif_channel_interleaved, &stride)!
        for y in 0..<rgb.height {
            for x in 0..<(rgb.width * 3) { plane[y * Int(stride) + x] = rgb.pixels[y * rgb.width * 3 + x] }
        }
        let options = heif_encoding_options_alloc()!
        defer { heif_encoding_options_free(options) }
        options.pointee.image_orientation = orientation
        try check(heif_context_encode_image(ctx, img, encoder, options, nil))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-\(UUID()).heic")
        defer { try? FileManager.default.removeItem(at: url) }
        try check(heif_context_write_to_file(ctx, url.path))
        return try Data(contentsOf: url)
    }

    struct Failure: Error { let message: String }

    static func check(_ e: heif_error) throws {
        if e.code != heif_error_Ok { throw Failure(message: e.message.map { String(cString: $0) } ?? "?") }
    }
}

final class HEIFWebPTests: XCTestCase {
    func testWebPLosslessRoundTripIsExact() throws {
        for channels in [3, 4] {
            let image = TestImages.noise(width: 33, height: 21, channels: channels)
            let data = try WebPEncoder.encode(image, lossless: true)
            XCTAssertEqual(try ImageDecoder.probe(data), ImageInfo(format: .webp, width: 33, height: 21))
            TestImages.assertIdentical(try ImageDecoder.decode(data), image, "channels \(channels)")
        }
    }

    func testWebPLossyDecodesWithinTolerance() throws {
        let image = TestImages.smooth(width: 64, height: 40, channels: 3)
        let decoded = try ImageDecoder.decode(try WebPEncoder.encode(image, quality: 95))
        XCTAssertEqual(decoded.channels, 3)
        let diff = TestImages.difference(decoded, image)
        XCTAssertLessThan(diff.mean, 3)
        XCTAssertLessThanOrEqual(diff.max, 40)
    }

    func testHEIFDecodeMatchesSource() throws {
        guard HEIFFixture.hasEncoder else { throw XCTSkip("libheif has no HEVC encoder on this system") }
        let image = TestImages.smooth(width: 64, height: 48, channels: 3)
        let data = try HEIFFixture.encode(image, quality: 95)
        XCTAssertEqual(try ImageDecoder.format(of: data), .heif)
        XCTAssertEqual(try ImageDecoder.probe(data), ImageInfo(format: .heif, width: 64, height: 48))
        let decoded = try ImageDecoder.decode(data)
        XCTAssertEqual(decoded.width, 64)
        XCTAssertEqual(decoded.height, 48)
        let diff = TestImages.difference(decoded, image)
        XCTAssertLessThan(diff.mean, 4, "HEVC at quality 95 on a smooth image")
    }

    func testHEIFOrientationIsApplied() throws {
        guard HEIFFixture.hasEncoder else { throw XCTSkip("libheif has no HEVC encoder on this system") }
        // Left half red, right half blue; rotated 90° clockwise the top half must be red.
        var image = Image(width: 64, height: 32, channels: 3)
        for y in 0..<32 {
            for x in 0..<64 { image[x, y, x < 32 ? 0 : 2] = 230 }
        }
        let decoded = try ImageDecoder.decode(try HEIFFixture.encode(image, orientation: heif_orientation_rotate_90_cw))
        XCTAssertEqual(decoded.width, 32)
        XCTAssertEqual(decoded.height, 64)
        XCTAssertGreaterThan(Int(decoded[16, 16, 0]), 180)
        XCTAssertLessThan(Int(decoded[16, 16, 2]), 60)
        XCTAssertGreaterThan(Int(decoded[16, 48, 2]), 180)
        XCTAssertLessThan(Int(decoded[16, 48, 0]), 60)
    }

    /// A CMYK (Adobe, inverted) JPEG made by turbojpeg decodes to the RGB it came from.
    func testCMYKJPEGDecodesToRGB() throws {
        let rgb = TestImages.smooth(width: 32, height: 24, channels: 3)
        var cmyk = [UInt8](repeating: 0, count: 32 * 24 * 4)
        for i in 0..<(32 * 24) {
            // libjpeg-turbo's reversible convention: K' = max(R,G,B), C' = R·255/K' (inverted CMYK).
            let r = Double(rgb.pixels[3 * i]), g = Double(rgb.pixels[3 * i + 1]), b = Double(rgb.pixels[3 * i + 2])
            let k = max(r, g, b)
            cmyk[4 * i] = UInt8((r * 255 / k).rounded()); cmyk[4 * i + 1] = UInt8((g * 255 / k).rounded())
            cmyk[4 * i + 2] = UInt8((b * 255 / k).rounded()); cmyk[4 * i + 3] = UInt8(k)
        }
        let handle = tjInitCompress()!
        defer { tjDestroy(handle) }
        var buf: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        XCTAssertEqual(tjCompress2(handle, cmyk, 32, 0, 24, Int32(TJPF_CMYK.rawValue), &buf, &size,
                                   Int32(TJSAMP_444.rawValue), 98, 0), 0)
        let data = Data(bytes: buf!, count: Int(size))
        tjFree(buf)
        let decoded = try ImageDecoder.decode(data)
        XCTAssertEqual(decoded.channels, 3)
        let diff = TestImages.difference(decoded, rgb)
        XCTAssertLessThan(diff.mean, 3)
        XCTAssertLessThanOrEqual(diff.max, 24)
    }

    /// Palette and gray+alpha PNGs (written by libpng through its colormap/GA formats) decode to
    /// RGB(A) and GA respectively.
    func testPNGPaletteAndGrayAlpha() throws {
        let ga = TestImages.noise(width: 9, height: 7, channels: 2)
        XCTAssertEqual(try ImageDecoder.decode(try PNGEncoder.encode(ga)), ga)
        // Two-colour RGBA: build a palette PNG by hand (PLTE + tRNS + 8-bit indices).
        let png = try PNGEncoder.encode(Image(width: 2, height: 1, channels: 1, pixels: [0, 1]))
        var chunks = PNGChunks(png)
        let ihdr = chunks.index(of: "IHDR")!
        chunks.chunks[ihdr].data[9] = 3 // colour type: palette
        chunks.chunks.removeAll { ["gAMA", "sRGB", "cHRM"].contains($0.type) }
        chunks.chunks.insert(.init(type: "PLTE", data: [255, 0, 0, 0, 0, 255]), at: ihdr + 1)
        chunks.chunks.insert(.init(type: "tRNS", data: [255, 128]), at: ihdr + 2)
        let decoded = try ImageDecoder.decode(chunks.data)
        XCTAssertEqual(decoded, Image(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 255, 0, 0, 255, 128]))
    }
}
