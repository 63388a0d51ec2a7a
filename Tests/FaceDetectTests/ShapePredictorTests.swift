import Foundation
import XCTest
@testable import FaceDetect
import Imaging

/// The 68-point cascade against dlib's own predictions (Scripts/make_dlib_reference.py).
final class ShapePredictorTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable { let image: String; let box: [Float]; let points: [[Float]] }
        let cases: [Case]
    }

    func testModelLayout() throws {
        let sp = try TestSupport.predictor()
        XCTAssertEqual(sp.pointCount, 68)
        XCTAssertEqual(sp.levelCount, 15)
        XCTAssertEqual(sp.treesPerLevel, 500)
        XCTAssertEqual(sp.splitsPerTree, 15)
        XCTAssertEqual(sp.featuresPerLevel, 500)
        // The mean shape lives in the box's unit frame.
        XCTAssertTrue(sp.meanShape.allSatisfy { $0 > -0.2 && $0 < 1.2 })
    }

    /// Same box, same gray image: our points rounded as dlib rounds them agree within 0.5 px mean
    /// (in practice they are identical).
    func testAgreesWithDlibOnSamplesAndAFW() throws {
        let sp = try TestSupport.predictor()
        _ = try TestSupport.shared()
        let reference = try TestSupport.fixture("dlib_shape_reference.json", as: Reference.self)
        XCTAssertEqual(reference.cases.count, 35)
        var total: Float = 0, count = 0
        for c in reference.cases {
            let gray = try TestSupport.sharedImage(c.image).faceDetectGray()
            let box = FaceBox(left: c.box[0], top: c.box[1], right: c.box[2], bottom: c.box[3])
            let points = sp.predict(gray: gray, box: box)
            XCTAssertEqual(points.count, 68)
            var caseError: Float = 0
            for (p, r) in zip(points, c.points) {
                caseError += (Point2((p.x + 0.5).rounded(.down), (p.y + 0.5).rounded(.down)) - Point2(r[0], r[1])).length
            }
            XCTAssertLessThan(caseError / 68, 1.0, c.image)
            total += caseError
            count += 68
        }
        XCTAssertLessThan(total / Float(count), 0.5)
    }

    func testTruncatedModelIsATypedError() throws {
        _ = try TestSupport.predictor()
        let url = URL(fileURLWithPath: ShapePredictor.defaultModelPath)
        let handle = try FileHandle(forReadingFrom: url)
        let head = try handle.read(upToCount: 200_000) ?? Data()
        try handle.close()
        XCTAssertThrowsError(try ShapePredictor(data: head)) { error in
            guard case DlibModelError.truncated = error else { return XCTFail("\(error)") }
        }
        var wrongVersion = head
        wrongVersion[1] = 2
        XCTAssertThrowsError(try ShapePredictor(data: wrongVersion)) { error in
            XCTAssertEqual(error as? DlibModelError, .unsupportedVersion(2))
        }
        XCTAssertThrowsError(try ShapePredictor(contentsOf: URL(fileURLWithPath: "/nonexistent/model.dat"))) { error in
            guard case DlibModelError.unreadable = error else { return XCTFail("\(error)") }
        }
    }
}

extension ShapePredictorTests {
    /// A degenerate or non-finite box gives points (or NaNs), never a trap.
    func testDegenerateBoxesDoNotTrap() throws {
        let sp = try TestSupport.predictor()
        let gray = Image(width: 32, height: 32, channels: 1)
        XCTAssertEqual(sp.predict(gray: gray, box: FaceBox(left: 5, top: 5, right: 5, bottom: 5)).count, 68)
        XCTAssertEqual(sp.predict(gray: gray, box: FaceBox(left: .nan, top: 0, right: 10, bottom: 10)).count, 68)
        XCTAssertEqual(sp.predict(gray: gray, box: FaceBox(left: -1e30, top: 0, right: 1e30, bottom: 10)).count, 68)
    }
}
