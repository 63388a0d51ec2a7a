import XCTest
@testable import Imaging

/// A corpus of malformed files, generated here from valid encoder output, each with the specific
/// error it must produce. Nothing may crash, abort or allocate a bomb-sized buffer.
final class MalformedInputTests: XCTestCase {
    struct Case {
        let name: String
        let data: Data
        var limits: DecodeLimits = .default
        /// The exact error; for `.corrupt` the detail text is not compared (it is libraries' prose).
        let expected: ImageError
    }

    static let anyDetail = "*"

    func testCorpusGivesSpecificErrors() throws {
        let cases = try Self.corpus()
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for c in cases {
            XCTAssertThrowsError(try ImageDecoder.decode(c.data, limits: c.limits), c.name) { error in
                guard let e = error as? ImageError else { return XCTFail("\(c.name): not an ImageError: \(error)") }
                XCTAssertTrue(Self.matches(e, c.expected), "\(c.name): got \(e), expected \(c.expected)")
                XCTAssertFalse(e.description.isEmpty)
            }
        }
    }

    /// Header-only probing reports the same class of problem for the header-level cases.
    func testProbeRejectsBadHeadersWithoutDecoding() throws {
        XCTAssertEqual(Self.error { try ImageDecoder.probe(Data()) }, .emptyFile)
        XCTAssertEqual(Self.error { try ImageDecoder.probe(Data("GIF89a\u{1}\u{0}".utf8)) }, .unsupportedFormat("GIF"))
        var chunks = PNGChunks(try PNGEncoder.encode(TestImages.noise(width: 4, height: 4, channels: 3)))
        chunks.setSize(width: 100_000, height: 100_000)
        XCTAssertEqual(try ImageDecoder.probe(chunks.data), ImageInfo(format: .png, width: 100_000, height: 100_000))
    }

    /// With `tolerateJPEGWarnings`, recoverable damage yields the image libjpeg reconstructs;
    /// truncation stays an error either way.
    func testJPEGWarningTolerance() throws {
        let cases = try Self.jpeg()
        let tolerant = DecodeLimits(tolerateJPEGWarnings: true)
        let corrupt = try XCTUnwrap(cases.first { $0.name == "JPEG corrupt scan data" })
        let image = try ImageDecoder.decode(corrupt.data, limits: tolerant)
        XCTAssertEqual(image.width, 64)
        XCTAssertEqual(image.height, 48)
        let cut = try XCTUnwrap(cases.first { $0.name == "JPEG cut mid-scan" })
        XCTAssertEqual(Self.error { try ImageDecoder.decode(cut.data, limits: tolerant) }, .truncated(.jpeg))
    }

    /// 12-bit JPEGs are valid but outside turbojpeg's 8-bit API: "unsupported", not "damaged".
    func testTwelveBitJPEGIsUnsupported() throws {
        var b = [UInt8](try JPEGEncoder.encode(TestImages.smooth(width: 16, height: 16, channels: 1), quality: 90))
        let sof = try XCTUnwrap((0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xC0 })
        b[sof + 1] = 0xC1 // extended sequential, which allows 12-bit precision
        b[sof + 4] = 12
        let error = Self.error { try ImageDecoder.decode(Data(b)) }
        guard case .unsupportedFormat(let what)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(what.contains("JPEG"), what)
    }

    func testMessagesAreReadable() {
        XCTAssertEqual(ImageError.emptyFile.description, "The file is empty (0 bytes).")
        XCTAssertTrue(ImageError.unsupportedFormat("GIF").description.contains("GIF images are not supported"))
        XCTAssertTrue(ImageError.tooLarge(.png, width: 100_000, height: 100_000, maxPixels: 50_000_000)
            .description.contains("100000×100000"))
        XCTAssertTrue(ImageError.truncated(.jpeg).description.contains("JPEG file is incomplete"))
    }

    static func error(_ body: () throws -> Any) -> ImageError? {
        do { _ = try body(); return nil } catch { return error as? ImageError }
    }

    static func matches(_ e: ImageError, _ expected: ImageError) -> Bool {
        if case .corrupt(let f, let d) = expected, d == anyDetail {
            if case .corrupt(let g, _) = e { return f == g }
            return false
        }
        return e == expected
    }

    // MARK: corpus

    static func corpus() throws -> [Case] {
        try generic() + png() + jpeg() + webp() + heif()
    }

    static func generic() -> [Case] {
        func bytes(_ s: String) -> Data { Data(s.utf8) }
        return [
            Case(name: "zero bytes", data: Data(), expected: .emptyFile),
            Case(name: "text file", data: bytes("hello, this is not an image\n"), expected: .unknownFormat),
            Case(name: "one byte", data: Data([0x42]), expected: .unknownFormat),
            Case(name: "GIF87a", data: bytes("GIF87a") + Data([1, 0, 1, 0, 0, 0, 0]), expected: .unsupportedFormat("GIF")),
            Case(name: "GIF89a", data: bytes("GIF89a") + Data(count: 20), expected: .unsupportedFormat("GIF")),
            Case(name: "TIFF little-endian", data: Data([0x49, 0x49, 0x2A, 0, 8, 0, 0, 0]), expected: .unsupportedFormat("TIFF")),
            Case(name: "TIFF big-endian", data: Data([0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8]), expected: .unsupportedFormat("TIFF")),
            Case(name: "BMP", data: bytes("BM") + Data(count: 52), expected: .unsupportedFormat("BMP")),
            Case(name: "RIFF WAVE", data: bytes("RIFF\u{24}\u{0}\u{0}\u{0}WAVEfmt "), expected: .unknownFormat),
        ]
    }

    static func png() throws -> [Case] {
        let good = try PNGEncoder.encode(TestImages.noise(width: 40, height: 30, channels: 3))
        let chunks = PNGChunks(good)
        let idat = chunks.index(of: "IDAT")!
        // Byte offset of the IDAT payload in `good`.
        let idatStart = 8 + chunks.chunks[..<idat].reduce(0) { $0 + 12 + $1.data.count } + 8
        let idatLength = chunks.chunks[idat].data.count

        var badCRC = [UInt8](good)
        badCRC[idatStart + idatLength] ^= 0xFF // first CRC byte of IDAT

        var badZlib = chunks
        for i in 10..<min(60, idatLength) { badZlib.chunks[idat].data[i] ^= 0x5A } // CRC recomputed: zlib damage only

        var badHeader = chunks
        badHeader.chunks[idat].data[0] = 0x00 // invalid zlib header (CM ≠ 8)

        var zero = chunks; zero.setSize(width: 0, height: 30)
        var huge = chunks; huge.setSize(width: 100_000, height: 100_000)
        var beyondSpec = chunks; beyondSpec.setSize(width: 0x8000_0000, height: 16)
        var noIHDR = chunks; noIHDR.chunks.swapAt(0, 1)
        var badDepth = chunks; badDepth.chunks[0].data[8] = 7 // bit depth 7 does not exist

        return [
            Case(name: "PNG signature cut at 5 bytes", data: good.prefix(5), expected: .truncated(.png)),
            Case(name: "PNG cut inside IHDR", data: good.prefix(20), expected: .truncated(.png)),
            Case(name: "PNG cut after IHDR", data: good.prefix(33), expected: .truncated(.png)),
            Case(name: "PNG cut inside IDAT", data: good.prefix(idatStart + idatLength / 2), expected: .truncated(.png)),
            Case(name: "PNG cut after the IDAT length", data: good.prefix(idatStart - 4), expected: .truncated(.png)),
            Case(name: "PNG IDAT CRC mismatch", data: Data(badCRC), expected: .corrupt(.png, anyDetail)),
            Case(name: "PNG corrupt deflate stream", data: badZlib.data, expected: .corrupt(.png, anyDetail)),
            Case(name: "PNG invalid zlib header", data: badHeader.data, expected: .corrupt(.png, anyDetail)),
            Case(name: "PNG first chunk not IHDR", data: noIHDR.data, expected: .corrupt(.png, anyDetail)),
            Case(name: "PNG invalid bit depth", data: badDepth.data, expected: .corrupt(.png, anyDetail)),
            Case(name: "PNG zero width", data: zero.data, expected: .invalidDimensions(.png, width: 0, height: 30)),
            Case(name: "PNG IHDR 100000×100000 (bomb)", data: huge.data,
                 expected: .tooLarge(.png, width: 100_000, height: 100_000, maxPixels: 50_000_000)),
            Case(name: "PNG width beyond 2^31-1", data: beyondSpec.data,
                 expected: .invalidDimensions(.png, width: 0x8000_0000, height: 16)),
            Case(name: "PNG over a configured limit", data: good, limits: DecodeLimits(maxPixels: 1000),
                 expected: .tooLarge(.png, width: 40, height: 30, maxPixels: 1000)),
        ]
    }

    static func jpeg() throws -> [Case] {
        let good = try JPEGEncoder.encode(TestImages.smooth(width: 64, height: 48, channels: 3), quality: 90)
        let b = [UInt8](good)
        let sos = (0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xDA }!
        let sof = (0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xC0 }!
        let scanStart = sos + 2 + (Int(b[sos + 2]) << 8 | Int(b[sos + 3]))

        func withSize(_ w: Int, _ h: Int) -> Data {
            var c = b
            c[sof + 5] = UInt8(h >> 8); c[sof + 6] = UInt8(h & 0xFF)
            c[sof + 7] = UInt8(w >> 8); c[sof + 8] = UInt8(w & 0xFF)
            return Data(c)
        }
        // A restart marker in the middle of the entropy-coded data where none is expected.
        var strayMarker = b
        let mid = scanStart + (b.count - scanStart) / 3
        strayMarker.replaceSubrange(mid..<(mid + 4), with: [0xFF, 0xD3, 0xFF, 0xD5])
        // Garbage in front of the frame header.
        var badMarker = b
        badMarker.replaceSubrange(2..<6, with: [0xFF, 0x4F, 0x00, 0x00])

        return [
            Case(name: "JPEG signature cut at 2 bytes", data: good.prefix(2), expected: .truncated(.jpeg)),
            Case(name: "JPEG cut in the header", data: good.prefix(sof + 4), expected: .truncated(.jpeg)),
            Case(name: "JPEG cut right after SOS", data: good.prefix(scanStart), expected: .truncated(.jpeg)),
            Case(name: "JPEG cut mid-scan", data: good.prefix(scanStart + (b.count - scanStart) / 2), expected: .truncated(.jpeg)),
            Case(name: "JPEG without EOI", data: good.prefix(b.count - 2), expected: .truncated(.jpeg)),
            Case(name: "JPEG corrupt scan data", data: Data(strayMarker), expected: .corrupt(.jpeg, anyDetail)),
            Case(name: "JPEG bad marker after SOI", data: Data(badMarker), expected: .corrupt(.jpeg, anyDetail)),
            Case(name: "JPEG SOF height 0", data: withSize(64, 0), expected: .invalidDimensions(.jpeg, width: 64, height: 0)),
            Case(name: "JPEG SOF 65500×65500 (bomb)", data: withSize(65_500, 65_500),
                 expected: .tooLarge(.jpeg, width: 65_500, height: 65_500, maxPixels: 250_000_000)),
            Case(name: "JPEG over a configured limit, even downscaled", data: good, limits: DecodeLimits(maxPixels: 10, maxSourcePixels: 1000),
                 expected: .tooLarge(.jpeg, width: 64, height: 48, maxPixels: 1000)),
            Case(name: "JPEG whose 1/8 scale is still over the limit", data: good, limits: DecodeLimits(maxPixels: 40),
                 expected: .tooLarge(.jpeg, width: 64, height: 48, maxPixels: 40)),
        ]
    }

    static func webp() throws -> [Case] {
        let lossless = [UInt8](try WebPEncoder.encode(TestImages.noise(width: 24, height: 16, channels: 3), lossless: true))
        let lossy = [UInt8](try WebPEncoder.encode(TestImages.smooth(width: 64, height: 48, channels: 3), quality: 80))
        // VP8L header: byte 20 is the 0x2F signature, then 14 bits width-1, 14 bits height-1.
        var huge = lossless
        precondition(String(decoding: huge[12..<16], as: UTF8.self) == "VP8L" && huge[20] == 0x2F)
        let rest = UInt32(huge[24]) >> 4 // alpha hint + version bits
        let bits = UInt32(16383) | UInt32(16383) << 14 | rest << 28
        for i in 0..<4 { huge[21 + i] = UInt8((bits >> (8 * UInt32(i))) & 0xFF) }
        var garbage = lossy
        for i in 40..<garbage.count { garbage[i] = UInt8(truncatingIfNeeded: i &* 131) }
        return [
            Case(name: "WebP cut in the RIFF header", data: Data(lossy.prefix(10)), expected: .truncated(.webp)),
            Case(name: "WebP cut mid-bitstream", data: Data(lossy.prefix(lossy.count / 2)), expected: .truncated(.webp)),
            Case(name: "WebP lossless cut mid-bitstream", data: Data(lossless.prefix(lossless.count * 2 / 3)), expected: .truncated(.webp)),
            Case(name: "WebP garbage bitstream", data: Data(garbage), expected: .corrupt(.webp, anyDetail)),
            Case(name: "WebP 16384×16384 header (bomb)", data: Data(huge),
                 expected: .tooLarge(.webp, width: 16384, height: 16384, maxPixels: 250_000_000)),
        ]
    }

    static func heif() throws -> [Case] {
        var cases = [
            Case(name: "HEIF ftyp only", data: Data([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8)),
                 expected: .corrupt(.heif, anyDetail)),
        ]
        guard HEIFFixture.hasEncoder else { return cases }
        let good = [UInt8](try HEIFFixture.encode(TestImages.smooth(width: 64, height: 48, channels: 3)))
        cases.append(Case(name: "HEIF cut in half", data: Data(good.prefix(good.count / 2)), expected: .truncated(.heif)))
        cases.append(Case(name: "HEIF over a configured limit", data: Data(good), limits: DecodeLimits(maxPixels: 100),
                          expected: .tooLarge(.heif, width: 64, height: 48, maxPixels: 100)))
        return cases
    }
}
