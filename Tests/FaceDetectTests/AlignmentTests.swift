import Foundation
import XCTest
@testable import FaceDetect
import Imaging

final class AlignmentTests: XCTestCase {
    func testLandmarkCropMapsOntoTheTemplateAndBack() throws {
        let sp = try TestSupport.predictor()
        let aligner = FaceAligner(meanShape: sp.meanShape)
        XCTAssertEqual(aligner.template.count, 68)
        // The template's bounding square fills 1/1.25 of the crop, centred.
        let tb = FaceBox(enclosing: aligner.template)
        XCTAssertEqual(max(tb.right - tb.left, tb.bottom - tb.top), 256 / 1.25, accuracy: 1e-3)
        XCTAssertEqual(tb.center.x, 127.5, accuracy: 1e-3)
        // Landmarks that are the template rotated, scaled and moved come back onto the template.
        let angle: Float = 0.4, scale: Float = 0.6
        let pose = Similarity2D(a: scale * cos(angle), b: scale * sin(angle), tx: 300, ty: 120)
        let landmarks = aligner.template.map { pose.inverse.apply($0) }
        let photo = Image(width: 640, height: 480, channels: 3, pixels: (0..<(640 * 480 * 3)).map { UInt8($0 % 251) })
        let crop = try aligner.crop(photo, landmarks: landmarks)
        XCTAssertEqual(crop.image.width, 256)
        XCTAssertEqual(crop.image.channels, 3)
        for (p, t) in zip(crop.landmarks!, aligner.template) {
            XCTAssertEqual(p.x, t.x, accuracy: 1e-2)
            XCTAssertEqual(p.y, t.y, accuracy: 1e-2)
        }
        let q = Point2(33, 71)
        XCTAssertEqual(crop.toCrop(crop.toPhoto(q)).x, q.x, accuracy: 1e-3)
        XCTAssertEqual(crop.toCrop(crop.toPhoto(q)).y, q.y, accuracy: 1e-3)
        // A crop pixel is the photo's bilinear sample at its pre-image.
        let src = crop.toPhoto(Point2(100, 140))
        let expected = photo.sample(x: src.x, y: src.y, border: .constant(0))
        for c in 0..<3 { XCTAssertEqual(Float(crop.image[100, 140, c]), expected[c], accuracy: 1.0) }
    }

    /// The box crop places the model's unit box where the template's unit box is: the mean shape
    /// predicted in a box lands on the template.
    func testBoxCropAgreesWithTemplate() throws {
        let sp = try TestSupport.predictor()
        let aligner = FaceAligner(meanShape: sp.meanShape)
        let box = FaceBox(left: 100, top: 50, right: 300, bottom: 250)
        let t = aligner.transform(box: box)
        XCTAssertThrowsError(try aligner.transform(landmarks: Array(aligner.template.prefix(5)))) {
            XCTAssertEqual($0 as? AlignmentError, .wrongPointCount(expected: 68, found: 5))
        }
        XCTAssertThrowsError(try SkinMask().mask(landmarks: [], width: 8, height: 8))
        for i in 0..<68 {
            let u = Point2(sp.meanShape[2 * i], sp.meanShape[2 * i + 1])
            let photo = Point2(box.left + u.x * (box.right - box.left), box.top + u.y * (box.bottom - box.top))
            let inCrop = t.apply(photo)
            XCTAssertEqual(inCrop.x, aligner.template[i].x, accuracy: 1e-2)
            XCTAssertEqual(inCrop.y, aligner.template[i].y, accuracy: 1e-2)
        }
    }

    func testSkinMaskExcludesEyesBrowsAndMouthInterior() throws {
        let sp = try TestSupport.predictor()
        let aligner = FaceAligner(meanShape: sp.meanShape)
        var p = aligner.template
        // Open the mouth so the inner-lip polygon has an interior.
        for i in 65...67 { p[i].y += 12 }
        let mask = try SkinMask().mask(landmarks: p, width: 256, height: 256)
        func at(_ q: Point2) -> UInt8 { mask[Int(q.x.rounded()), Int(q.y.rounded()), 0] }
        func centre(_ r: ClosedRange<Int>) -> Point2 {
            let n = Float(r.count)
            return Point2(r.map { p[$0].x }.reduce(0, +) / n, r.map { p[$0].y }.reduce(0, +) / n)
        }
        XCTAssertEqual(at(p[30]), 255, "nose tip is skin")
        XCTAssertEqual(at(Point2((p[2].x + p[31].x) / 2, p[31].y)), 255, "cheek is skin")
        XCTAssertEqual(at(centre(36...41)), 0, "eye")
        XCTAssertEqual(at(centre(42...47)), 0, "eye")
        XCTAssertEqual(at(p[19]), 0, "brow")
        XCTAssertEqual(at(centre(60...67)), 0, "mouth interior")
        XCTAssertEqual(at(Point2(2, 2)), 0, "outside the face")
        let skin = mask.pixels.filter { $0 == 255 }.count
        XCTAssertGreaterThan(skin, 256 * 256 / 5)
        XCTAssertLessThan(skin, 256 * 256 * 3 / 4)
    }
}
