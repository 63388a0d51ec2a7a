import Foundation
import XCTest
@testable import FaceDetect

final class GeometryTests: XCTestCase {
    func testSimilarityFitRecoversAKnownTransform() {
        let angle: Float = 0.3, scale: Float = 1.2
        let truth = Similarity2D(a: scale * cos(angle), b: scale * sin(angle), tx: 5, ty: -7)
        let from: [Point2] = (0..<20).map { (i: Int) -> Point2 in Point2(Float((i * 7) % 13), Float((i * 5) % 11)) }
        let fit = Similarity2D.fit(from: from, to: from.map(truth.apply))
        XCTAssertEqual(fit.a, truth.a, accuracy: 1e-5)
        XCTAssertEqual(fit.b, truth.b, accuracy: 1e-5)
        XCTAssertEqual(fit.tx, truth.tx, accuracy: 1e-4)
        XCTAssertEqual(fit.ty, truth.ty, accuracy: 1e-4)
        let p = Point2(3, 4)
        let back = truth.inverse.apply(truth.apply(p))
        XCTAssertEqual(back.x, p.x, accuracy: 1e-5)
        XCTAssertEqual(back.y, p.y, accuracy: 1e-5)
        let composed = truth.composed(after: truth.inverse).apply(p)
        XCTAssertEqual(composed.x, p.x, accuracy: 1e-5)
        XCTAssertEqual(composed.y, p.y, accuracy: 1e-5)
    }

    func testBoxesAndMapping() {
        let a = FaceBox(x: 0, y: 0, width: 10, height: 10), b = FaceBox(x: 5, y: 0, width: 10, height: 10)
        XCTAssertEqual(a.width, 10)
        XCTAssertEqual(a.iou(b), 50 / 150, accuracy: 1e-6)
        XCTAssertEqual(a.iou(FaceBox(x: 20, y: 20, width: 5, height: 5)), 0)
        let m = BoxMapping(dx: 0.1, dy: -0.05, scaleWidth: 0.8, scaleHeight: 0.9)
        let boxes = [a, b, FaceBox(x: 30, y: 40, width: 50, height: 60)]
        let fit = BoxMapping.fit(from: boxes, to: boxes.map(m.apply))
        XCTAssertEqual(fit.dx, m.dx, accuracy: 1e-5)
        XCTAssertEqual(fit.dy, m.dy, accuracy: 1e-5)
        XCTAssertEqual(fit.scaleWidth, m.scaleWidth, accuracy: 1e-5)
        XCTAssertEqual(fit.scaleHeight, m.scaleHeight, accuracy: 1e-5)
        XCTAssertEqual(BoxMapping.identity.apply(a), a)
    }
}
