import CPNG
import XCTest
@testable import Imaging

final class PNGJPEGTests: XCTestCase {
    func testPNGRoundTripIsExactForAllChannelCounts() throws {
        for channels in 1...4 {
            let image = TestImages.noise(width: 37, height: 23, channels: channels)
            let data = try PNGEncoder.encode(image)
            XCTAssertEqual(try ImageDecoder.format(of: data), .png)
            XCTAssertEqual(try ImageDecoder.probe(data), ImageInfo(format: .png, width: 37, height: 23))
            TestImages.assertIdentical(try ImageDecoder.decode(data), image, "channels \(channels)")
        }
    }

    func testPNG16BitGrayRoundTripIsExact() throws {
        var image = Image16(width: 29, height: 17)
        for i in image.pixels.indices { image.pixels[i] = UInt16(truncatingIfNeeded: i &* 2654435761 >> 7) }
        image.pixels[0] = 0
        image.pixels[1] = 65535
        image.pixels[2] = 1
        let data = try PNGEncoder.encode(image)
        let decoded = try ImageDecoder.decodeGray16(data)
        XCTAssertEqual(decoded, image)
        // The encoder tags 16-bit data as linear (gAMA 1.0), so the 8-bit view is gamma-encoded (1/2.2, libpng's sRGB model).
        let eight = try ImageDecoder.decode(data)
        XCTAssertEqual(eight.channels, 1)
        for i in 0..<image.pixels.count {
            let v = Double(image.pixels[i]) / 65535
            let srgb = pow(v, 1 / 2.2) // libpng approximates sRGB encoding by a 1/2.2 power
            XCTAssertLessThanOrEqual(abs(Double(eight.pixels[i]) - srgb * 255), 3, "pixel \(i)")
        }
        // Untagged 16-bit data (no gAMA chunk) reads back exactly and scales plainly to 8 bits.
        var chunks = PNGChunks(data)
        chunks.chunks.removeAll { $0.type == "gAMA" || $0.type == "sRGB" }
        XCTAssertEqual(try ImageDecoder.decodeGray16(chunks.data), image)
        let plain = try ImageDecoder.decode(chunks.data)
        for i in 0..<image.pixels.count {
            let expected = (Int(image.pixels[i]) * 255 + 32767) / 65535
            XCTAssertLessThanOrEqual(abs(Int(plain.pixels[i]) - expected), 1, "pixel \(i)")
        }
    }

    func testJPEGRoundTripWithinTolerance() throws {
        // Tolerance stated: quality 95, 4:4:4 → mean |Δ| < 1.5, max |Δ| ≤ 12 on a smooth image.
        for channels in [1, 3] {
            let image = TestImages.smooth(width: 64, height: 48, channels: channels)
            let data = try JPEGEncoder.encode(image, quality: 95, subsampling: .s444)
            XCTAssertEqual(try ImageDecoder.probe(data), ImageInfo(format: .jpeg, width: 64, height: 48))
            let decoded = try ImageDecoder.decode(data)
            XCTAssertEqual(decoded.channels, channels)
            let diff = TestImages.difference(decoded, image)
            XCTAssertLessThan(diff.mean, 1.5, "channels \(channels)")
            XCTAssertLessThanOrEqual(diff.max, 12, "channels \(channels)")
        }
    }

    func testProgressiveAnd420JPEGDecode() throws {
        let image = TestImages.smooth(width: 80, height: 60, channels: 3)
        for progressive in [false, true] {
            let data = try JPEGEncoder.encode(image, quality: 90, subsampling: .s420, progressive: progressive)
            let decoded = try ImageDecoder.decode(data)
            let diff = TestImages.difference(decoded, image)
            XCTAssertLessThan(diff.mean, 3, "progressive \(progressive)")
            XCTAssertLessThanOrEqual(diff.max, 30, "progressive \(progressive)")
        }
    }

    func testRGBAEncodesAsJPEGWithoutAlpha() throws {
        let image = TestImages.smooth(width: 16, height: 16, channels: 4)
        let decoded = try ImageDecoder.decode(try JPEGEncoder.encode(image, quality: 95, subsampling: .s444))
        XCTAssertEqual(decoded.channels, 3)
        XCTAssertLessThan(TestImages.difference(decoded, image.converted(channels: 3)).mean, 1.5)
    }

    /// Stored grid of 3×2 cells (A B C / D E F); for each EXIF orientation the expected displayed grid.
    func testAllEightExifOrientations() throws {
        let colors: [[UInt8]] = [[230, 20, 20], [20, 230, 20], [20, 20, 230],     // A B C
                                 [240, 240, 240], [10, 10, 10], [230, 230, 20]]   // D E F
        let cell = 16
        var stored = Image(width: 3 * cell, height: 2 * cell, channels: 3)
        for y in 0..<stored.height {
            for x in 0..<stored.width {
                let color = colors[(y / cell) * 3 + x / cell]
                for c in 0..<3 { stored[x, y, c] = color[c] }
            }
        }
        let jpeg = try JPEGEncoder.encode(stored, quality: 95, subsampling: .s444)
        // Expected layouts as rows of cell indices (0 = A ... 5 = F).
        let expected: [Int: [[Int]]] = [
            1: [[0, 1, 2], [3, 4, 5]],
            2: [[2, 1, 0], [5, 4, 3]],
            3: [[5, 4, 3], [2, 1, 0]],
            4: [[3, 4, 5], [0, 1, 2]],
            5: [[0, 3], [1, 4], [2, 5]],
            6: [[3, 0], [4, 1], [5, 2]],
            7: [[5, 2], [4, 1], [3, 0]],
            8: [[2, 5], [1, 4], [0, 3]],
        ]
        for orientation in 1...8 {
            for bigEndian in [true, false] {
                let data = TestImages.inserting(TestImages.exifSegment(orientation: orientation, bigEndian: bigEndian),
                                                intoJPEG: jpeg)
                let layout = expected[orientation]!
                let decoded = try ImageDecoder.decode(data)
                XCTAssertEqual(decoded.width, layout[0].count * cell, "orientation \(orientation)")
                XCTAssertEqual(decoded.height, layout.count * cell, "orientation \(orientation)")
                let info = try ImageDecoder.probe(data)
                XCTAssertEqual(info.width, decoded.width)
                XCTAssertEqual(info.height, decoded.height)
                for (row, cells) in layout.enumerated() {
                    for (col, index) in cells.enumerated() {
                        // Check the interior of each cell (away from JPEG ringing at the edges).
                        for (dx, dy) in [(4, 4), (11, 4), (4, 11), (11, 11)] {
                            let x = col * cell + dx, y = row * cell + dy
                            for c in 0..<3 {
                                XCTAssertLessThan(abs(Int(decoded[x, y, c]) - Int(colors[index][c])), 30,
                                                  "orientation \(orientation) cell (\(col),\(row)) pixel (\(x),\(y))")
                            }
                        }
                    }
                }
            }
        }
    }

    func testDamagedExifIsIgnored() throws {
        let jpeg = try JPEGEncoder.encode(TestImages.smooth(width: 8, height: 4, channels: 3), quality: 90)
        var segment = TestImages.exifSegment(orientation: 6, bigEndian: true)
        segment[10] = 0x58 // break the byte-order mark "MM"
        let decoded = try ImageDecoder.decode(TestImages.inserting(segment, intoJPEG: jpeg))
        XCTAssertEqual(decoded.width, 8)
        XCTAssertEqual(decoded.height, 4)
    }

    func testWriteChoosesEncoderByExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-imaging-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = TestImages.smooth(width: 20, height: 10, channels: 3)
        for (name, format) in [("a.png", ImageFormat.png), ("b.JPG", .jpeg), ("c.webp", .webp)] {
            let url = dir.appendingPathComponent(name)
            try image.write(to: url)
            XCTAssertEqual(try ImageDecoder.probe(contentsOf: url), ImageInfo(format: format, width: 20, height: 10))
        }
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: dir.appendingPathComponent("a.png")), image)
        XCTAssertThrowsError(try image.write(to: dir.appendingPathComponent("d.gif"))) { error in
            guard case ImageError.unsupportedEncoding = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: dir.appendingPathComponent("missing.png"))) { error in
            XCTAssertEqual(error as? ImageError, .io(path: dir.appendingPathComponent("missing.png").path, reason: "no such file"))
        }
    }
}

/// 16-bit colour PNGs (written through libpng's own linear-RGB path) decode to 8-bit RGB by plain
/// scaling when untagged.
final class PNG16BitColourTests: XCTestCase {
    func testSixteenBitRGBDecodesByScaling() throws {
        let (w, h) = (7, 5)
        var samples = [UInt16](repeating: 0, count: w * h * 3)
        for i in samples.indices { samples[i] = UInt16(truncatingIfNeeded: i &* 40503 &+ 17) }
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        img.width = UInt32(w)
        img.height = UInt32(h)
        img.format = UInt32(PNG_FORMAT_LINEAR_RGB)
        var size = 0
        XCTAssertNotEqual(png_image_write_to_memory(&img, nil, &size, 0, samples, 0, nil), 0)
        var out = [UInt8](repeating: 0, count: size)
        XCTAssertNotEqual(png_image_write_to_memory(&img, &out, &size, 0, samples, 0, nil), 0)
        png_image_free(&img)
        var chunks = PNGChunks(Data(out.prefix(size)))
        XCTAssertEqual(chunks.chunks[0].data[8], 16, "bit depth")
        chunks.chunks.removeAll { $0.type == "gAMA" || $0.type == "sRGB" }
        let decoded = try ImageDecoder.decode(chunks.data)
        XCTAssertEqual(decoded.channels, 3)
        for i in samples.indices {
            let expected = (Int(samples[i]) * 255 + 32767) / 65535
            XCTAssertLessThanOrEqual(abs(Int(decoded.pixels[i]) - expected), 1, "sample \(i)")
        }
    }
}
