import Foundation
import XCTest
@testable import Imaging

/// Issue 18 item 6: photos beyond the decode limit are decoded downscaled by the codec where it can
/// (libjpeg-turbo's scaled IDCT, libwebp's rescaler) instead of being refused; PNG and HEIF, which
/// cannot, and headers beyond `maxSourcePixels` are still refused from the header.
final class ScaledDecodingTests: XCTestCase {
    /// The mean of each `factor × factor` block: what a downscaled decode should look like.
    static func boxDownscaled(_ image: Image, by factor: Int) -> Image {
        var out = Image(width: image.width / factor, height: image.height / factor, channels: image.channels)
        for y in 0..<out.height {
            for x in 0..<out.width {
                for c in 0..<image.channels {
                    var sum = 0
                    for dy in 0..<factor { for dx in 0..<factor { sum += Int(image[x * factor + dx, y * factor + dy, c]) } }
                    out[x, y, c] = UInt8((sum + factor * factor / 2) / (factor * factor))
                }
            }
        }
        return out
    }

    func testA12000By12000JPEGDecodesAtHalfScaleInsteadOfBeingRefused() throws {
        // 144 Mpixel (gray, so the test stays light): beyond the 50-Mpixel decode limit.
        let (width, height) = (12_000, 12_000)
        let column: [Double] = (0..<width).map { 70 + 50 * sin(Double($0) / 900) }
        let row: [Double] = (0..<height).map { 60 * cos(Double($0) / 1300) }
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height { for x in 0..<width { pixels[y * width + x] = UInt8(column[x] + row[y] + 60) } }
        let jpeg = try JPEGEncoder.encode(Image(width: width, height: height, channels: 1, pixels: pixels), quality: 92)
        pixels = []

        XCTAssertEqual(try ImageDecoder.probe(jpeg), ImageInfo(format: .jpeg, width: 12_000, height: 12_000))
        let (w, h) = try DecodeLimits.default.decodedSize(of: ImageDecoder.probe(jpeg))
        XCTAssertEqual([w, h], [6000, 6000], "the largest libjpeg-turbo scale within 50 Mpixel is 1/2")
        let started = Date()
        let image = try ImageDecoder.decode(jpeg)
        print("scaled decoding: 12000×12000 JPEG (\(jpeg.count >> 10) KiB) decoded as \(image.width)×\(image.height) "
              + "in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        XCTAssertEqual([image.width, image.height, image.channels], [6000, 6000, 1])
        // Each output pixel is the 2×2 block it stands for.
        var worst = 0.0
        for (x, y) in [(0, 0), (1234, 4321), (2999, 3000), (5999, 5999), (4500, 100)] {
            var sum = 0.0
            for dy in 0..<2 {
                for dx in 0..<2 {
                    let value: Double = column[2 * x + dx] + row[2 * y + dy] + 60
                    sum += Double(UInt8(value))
                }
            }
            worst = max(worst, abs(Double(image[x, y, 0]) - sum / 4))
        }
        XCTAssertLessThanOrEqual(worst, 3, "a downscaled decode, not a crop or garbage")
    }

    func testJPEGScalePicksTheLargestFactorThatFits() throws {
        let source = TestImages.smooth(width: 64, height: 48, channels: 3)
        let jpeg = try JPEGEncoder.encode(source, quality: 95, subsampling: .s444)
        // 7/8 → 56×42 = 2352, 3/4 → 1728, 5/8 → 40×30 = 1200, 1/2 → 32×24 = 768.
        let limits = DecodeLimits(maxPixels: 1000)
        let image = try ImageDecoder.decode(jpeg, limits: limits)
        XCTAssertEqual([image.width, image.height], [32, 24])
        let difference = TestImages.difference(image, Self.boxDownscaled(try ImageDecoder.decode(jpeg), by: 2))
        XCTAssertLessThan(difference.mean, 1.5)
        XCTAssertLessThanOrEqual(difference.max, 8)
        XCTAssertEqual(try limits.decodedSize(.jpeg, width: 64, height: 48).width, 32)
        XCTAssertEqual(try DecodeLimits(maxPixels: 48).decodedSize(.jpeg, width: 64, height: 48).width, 8, "1/8 is the smallest")
    }

    func testWebPDecodesThroughTheRescaler() throws {
        let source = TestImages.smooth(width: 400, height: 300, channels: 3)
        let webp = try WebPEncoder.encode(source, lossless: true)
        let image = try ImageDecoder.decode(webp, limits: DecodeLimits(maxPixels: 30_000))
        XCTAssertEqual([image.width, image.height, image.channels], [200, 150, 3])
        let difference = TestImages.difference(image, Self.boxDownscaled(source, by: 2))
        XCTAssertLessThan(difference.mean, 1.0)
        XCTAssertLessThanOrEqual(difference.max, 3)
    }

    func testCodecsThatCannotScaleAndBombsAreStillRefusedFromTheHeader() throws {
        let png = try PNGEncoder.encode(TestImages.smooth(width: 40, height: 30, channels: 3))
        XCTAssertThrowsError(try ImageDecoder.decode(png, limits: DecodeLimits(maxPixels: 1000))) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(.png, width: 40, height: 30, maxPixels: 1000))
            XCTAssertTrue("\(error)".contains("PNG cannot be decoded downscaled"), "\(error)")
        }
        // 20000×15000 = 300 Mpixel: more than even a downscaled decode may take on.
        XCTAssertThrowsError(try DecodeLimits.default.decodedSize(.jpeg, width: 20_000, height: 15_000)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(.jpeg, width: 20_000, height: 15_000, maxPixels: 250_000_000))
            XCTAssertTrue("\(error)".contains("even for a downscaled decode"), "\(error)")
        }
        // A 200-Mpixel phone photo is within reach: at 1/2 it is 49.9 Mpixel.
        let phone = try DecodeLimits.default.decodedSize(.jpeg, width: 16_320, height: 12_240)
        XCTAssertEqual([phone.width, phone.height], [8160, 6120])
    }
}
