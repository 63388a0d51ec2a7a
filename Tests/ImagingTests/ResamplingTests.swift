import XCTest
@testable import Imaging

final class ResamplingTests: XCTestCase {
    func testChannelConversions() {
        let rgba = Image(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 10, 10, 200, 30, 255])
        // BT.601: 0.299·255 = 76.2 → 76; 0.299·10 + 0.587·200 + 0.114·30 = 123.81 → 124.
        XCTAssertEqual(rgba.converted(channels: 1).pixels, [76, 124])
        XCTAssertEqual(rgba.converted(channels: 2).pixels, [76, 10, 124, 255])
        XCTAssertEqual(rgba.converted(channels: 3).pixels, [255, 0, 0, 10, 200, 30])
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [7, 250])
        XCTAssertEqual(gray.converted(channels: 3).pixels, [7, 7, 7, 250, 250, 250])
        XCTAssertEqual(gray.converted(channels: 4).pixels, [7, 7, 7, 255, 250, 250, 250, 255])
        XCTAssertEqual(gray.converted(channels: 1), gray)
    }

    func testFloatViewsRoundTrip() {
        let image = TestImages.noise(width: 5, height: 3, channels: 3)
        let interleaved = image.floatPixels()
        XCTAssertEqual(interleaved[4], Float(image.pixels[4]) / 255, accuracy: 1e-7)
        XCTAssertEqual(Image(width: 5, height: 3, channels: 3, floats: interleaved), image)
        let planar = image.planarFloats()
        // planar[k, y, x] = interleaved[y, x, k]
        XCTAssertEqual(planar[2 * 15 + 1 * 5 + 4], Float(image[4, 1, 2]) / 255, accuracy: 1e-7)
        XCTAssertEqual(Image(width: 5, height: 3, channels: 3, planarFloats: planar), image)
        XCTAssertEqual(Image(width: 3, height: 1, channels: 1, floats: [-1, .nan, 2]).pixels, [0, 0, 255])
    }

    func testBilinearSampling() {
        // Linear ramp p(x, y) = 10x + 20y: bilinear interpolation reproduces it exactly inside.
        var ramp = Image(width: 6, height: 5, channels: 1)
        for y in 0..<5 { for x in 0..<6 { ramp[x, y, 0] = UInt8(10 * x + 20 * y) } }
        XCTAssertEqual(ramp.sample(x: 2, y: 3)[0], 80)
        XCTAssertEqual(ramp.sample(x: 2.25, y: 3.5)[0], 92.5, accuracy: 1e-4)
        XCTAssertEqual(ramp.sample(x: 4.9, y: 0.1)[0], 51, accuracy: 1e-4)
        // Outside: clamp repeats the edge; constant blends towards the fill.
        XCTAssertEqual(ramp.sample(x: -3, y: 0, border: .clamp)[0], 0)
        XCTAssertEqual(ramp.sample(x: 7, y: 4, border: .clamp)[0], 130)
        XCTAssertEqual(ramp.sample(x: -0.5, y: 0, border: .constant(100))[0], 50, accuracy: 1e-4)
        XCTAssertEqual(ramp.sample(x: 100, y: 100, border: .constant(9))[0], 9)
        XCTAssertEqual(ramp.sample(x: .nan, y: 1, border: .constant(9))[0], 9)
    }

    func testDownscaleByTwoIsBlockAverage() {
        let image = TestImages.noise(width: 8, height: 6, channels: 3)
        let half = image.resized(width: 4, height: 3)
        for y in 0..<3 {
            for x in 0..<4 {
                for k in 0..<3 {
                    let sum = [(0, 0), (1, 0), (0, 1), (1, 1)].reduce(0) { $0 + Int(image[2 * x + $1.0, 2 * y + $1.1, k]) }
                    XCTAssertLessThanOrEqual(abs(Int(half[x, y, k]) - Int((Double(sum) / 4).rounded())), 1)
                }
            }
        }
    }

    func testNonIntegerDownscalePreservesMeanAndConstants() {
        let constant = Image(width: 17, height: 13, channels: 2, pixels: [UInt8](repeating: 77, count: 17 * 13 * 2))
        XCTAssertTrue(constant.resized(width: 5, height: 4).pixels.allSatisfy { $0 == 77 })
        XCTAssertTrue(constant.resized(width: 40, height: 31).pixels.allSatisfy { $0 == 77 })
        let image = TestImages.noise(width: 30, height: 21, channels: 1)
        let small = image.resized(width: 7, height: 5)
        let mean = { (i: Image) in Double(i.pixels.reduce(0) { $0 + Int($1) }) / Double(i.pixels.count) }
        XCTAssertEqual(mean(small), mean(image), accuracy: 0.6, "area averaging conserves the mean")
        XCTAssertEqual(image.resized(width: 30, height: 21), image)
    }

    func testUpscaleInterpolatesLinearly() {
        let two = Image(width: 2, height: 1, channels: 1, pixels: [0, 200])
        // Output centres map to source x = -0.25, 0.25, 0.75, 1.25 → clamped/interpolated.
        XCTAssertEqual(two.resized(width: 4, height: 1).pixels, [0, 50, 150, 200])
    }

    func testWarpIdentityAndTranslation() throws {
        let image = TestImages.noise(width: 12, height: 9, channels: 3)
        XCTAssertEqual(try warpAffine(image, matrix: .identity, width: 12, height: 9), image)
        let shifted = try warpAffine(image, matrix: .translation(x: 3, y: 2), width: 12, height: 9, border: .constant(5))
        for y in 0..<9 {
            for x in 0..<12 {
                for k in 0..<3 {
                    let expected = (x >= 3 && y >= 2) ? image[x - 3, y - 2, k] : 5
                    XCTAssertEqual(shifted[x, y, k], expected, "(\(x),\(y),\(k))")
                }
            }
        }
    }

    /// A 90° rotation about the image centre matches the exact EXIF rotation.
    func testWarpRotationMatchesOrientation() throws {
        let image = TestImages.noise(width: 10, height: 6, channels: 1)
        // Display (x', y') of a clockwise turn: x' = (h−1) − y, y' = x.
        let clockwise = AffineTransform(a: 0, b: -1, tx: Float(image.height - 1), c: 1, d: 0, ty: 0)
        let warped = try warpAffine(image, matrix: clockwise, width: 6, height: 10)
        XCTAssertEqual(warped, image.oriented(.right))
    }

    func testWarpRoundTripAndSingular() throws {
        let image = TestImages.smooth(width: 64, height: 64, channels: 3)
        let m = AffineTransform.similarity(scale: 1.3, angle: 0.4, tx: 5, ty: -8)
        let there = try warpAffine(image, matrix: m, width: 120, height: 120, border: .clamp)
        let back = try warpAffine(there, matrix: m.inverted()!, width: 64, height: 64, border: .clamp)
        // Interior only: two bilinear passes blur slightly.
        var worst = 0
        for y in 16..<48 { for x in 16..<48 { for k in 0..<3 { worst = max(worst, abs(Int(back[x, y, k]) - Int(image[x, y, k]))) } } }
        XCTAssertLessThanOrEqual(worst, 3)
        let singular = AffineTransform(a: 1, b: 2, tx: 0, c: 2, d: 4, ty: 0)
        XCTAssertNil(singular.inverted())
        XCTAssertThrowsError(try warpAffine(image, matrix: singular, width: 4, height: 4)) {
            XCTAssertEqual($0 as? ImageError, .singularTransform)
        }
    }

    func testSimilarityFromPointsRecoversTransform() throws {
        let truth = AffineTransform.similarity(scale: 0.8, angle: -0.3, tx: 12, ty: 40)
        let source: [(x: Float, y: Float)] = [(10, 20), (200, 35), (90, 180), (150, 150), (30, 120)]
        let target = source.map { truth.apply(x: $0.x, y: $0.y) }
        let fit = try XCTUnwrap(AffineTransform.similarity(from: source, to: target))
        for (got, want) in zip([fit.a, fit.b, fit.tx, fit.c, fit.d, fit.ty], [truth.a, truth.b, truth.tx, truth.c, truth.d, truth.ty]) {
            XCTAssertEqual(got, want, accuracy: 1e-3)
        }
        let composed = truth.concatenating(truth.inverted()!)
        XCTAssertEqual(composed.a, 1, accuracy: 1e-5)
        XCTAssertEqual(composed.tx, 0, accuracy: 1e-4)
        XCTAssertNil(AffineTransform.similarity(from: [(1, 1), (1, 1)], to: [(0, 0), (2, 2)]))
    }
}
