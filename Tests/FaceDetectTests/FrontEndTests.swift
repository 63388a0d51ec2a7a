import Foundation
import XCTest
@testable import FaceDetect
import Imaging

final class FrontEndTests: XCTestCase {
    private func face(_ x: Float, _ y: Float, _ w: Float) -> DetectedFace {
        let box = FaceBox(x: x, y: y, width: w, height: w)
        return DetectedFace(box: box, detectorBox: box, neighbours: 10, score: 0)
    }

    func testRankingAndRejectionRules() throws {
        XCTAssertThrowsError(try FaceFrontEnd.choose([])) { XCTAssertEqual($0 as? FaceRejection, .noFace) }
        // Two faces side by side near the centre: the more central ranks first, but neither
        // dominates, and the rejection names both boxes; a third face at the corner, cut by the
        // border, is not one of them.
        let central = face(280, 190, 100), beside = face(140, 170, 100), corner = face(-20, -20, 100)
        XCTAssertEqual(corner.box.fractionInside(FaceBox(x: 0, y: 0, width: 640, height: 480)), 0.64, accuracy: 1e-6)
        let ranked = FaceDetector.rank([corner, beside, central], imageWidth: 640, imageHeight: 480)
        XCTAssertEqual(ranked.map(\.box), [central.box, beside.box, corner.box])
        XCTAssertThrowsError(try FaceFrontEnd.choose(ranked)) { error in
            XCTAssertEqual(error as? FaceRejection, .severalFaces(boxes: [central.box, beside.box]))
            XCTAssertEqual("\(error)", "2 faces of comparable size and centrality at [x 280, y 190, 100×100], [x 140, y 170, 100×100]: cannot tell whose photo it is")
        }
        // The same corner face beside the central one alone: the central face dominates.
        let dominant = FaceDetector.rank([corner, central], imageWidth: 640, imageHeight: 480)
        XCTAssertEqual(try FaceFrontEnd.choose(dominant).box, central.box)
        // A face 3× wider dominates a small one.
        let big = FaceDetector.rank([face(200, 100, 240), face(20, 20, 80)], imageWidth: 640, imageHeight: 480)
        XCTAssertEqual(try FaceFrontEnd.choose(big).box.width, 240)
        let small = FaceDetector.rank([face(300, 200, 50)], imageWidth: 640, imageHeight: 480)
        XCTAssertThrowsError(try FaceFrontEnd.choose(small)) {
            XCTAssertEqual($0 as? FaceRejection, .faceTooSmall(width: 50, minimum: 64))
        }
        XCTAssertEqual(FaceFrontEnd.pointsOutside([Point2(-3, 5), Point2(5, 5), Point2(9.5, 9)], width: 10, height: 10, tolerance: 1), 1)
        XCTAssertEqual(FaceRejection.severalFaces(boxes: []).code, "several-faces")
    }

    /// End to end on a real 300-W crop: the face is found with landmarks close to the annotation;
    /// the same photo with its lower half cut off is rejected; a blank photo has no face.
    func testLocateOnAPhoto() throws {
        let shared = try TestSupport.shared()
        let predictor = try TestSupport.predictor()
        let frontEnd = FaceFrontEnd(detector: try FaceDetector.standard(), predictor: predictor)
        let item = try AnnotatedFolder.read(shared.appendingPathComponent("data/faces-300w/afw")).first { $0.name == "1051618982_1" }!
        let photo = try ImageDecoder.decode(contentsOf: item.imageURL)
        let prepared = try frontEnd.prepare(photo)
        let located = prepared.located
        XCTAssertEqual(prepared.crop.image.width, 256)
        XCTAssertEqual(prepared.skinMask.channels, 1)
        XCTAssertGreaterThan(located.face.box.iou(item.landmarkBox), 0.5)
        XCTAssertLessThan(try LandmarkMetrics.nme(predicted: located.landmarks, truth: item.landmarks).all, 0.05)

        let chin = Int(item.landmarks[8].y)
        let keep = chin - Int(0.3 * located.face.box.height)
        let cut = Image(width: photo.width, height: keep, channels: photo.channels,
                        pixels: Array(photo.pixels[0..<(keep * photo.width * photo.channels)]))
        XCTAssertThrowsError(try frontEnd.locate(in: cut)) { error in
            let reason = error as? FaceRejection
            XCTAssertTrue(reason == .noFace || { if case .faceCutByBorder? = reason { return true } else { return false } }(), "\(error)")
        }
        XCTAssertThrowsError(try frontEnd.locate(in: Image(width: 320, height: 240, channels: 3))) {
            XCTAssertEqual($0 as? FaceRejection, .noFace)
        }
    }

    /// The second stage answers only when the first finds nothing.
    func testFallbackStage() throws {
        let shared = try TestSupport.shared()
        let standard = try FaceDetector.haar()
        XCTAssertEqual(standard.stages.count, 2)
        let photo = try ImageDecoder.decode(contentsOf: shared.appendingPathComponent("data/faces-300w/afw/1051618982_1.jpg"))
        var blind = standard.stages[0]
        guard case var .cascade(cascade) = blind.finder else { return XCTFail("the Haar detector's first stage is a cascade") }
        cascade.minFaceSize = 10_000          // finds nothing
        blind.finder = .cascade(cascade)
        let second = FaceDetector(stages: [standard.stages[1]]).detect(photo)
        XCTAssertFalse(second.isEmpty)
        XCTAssertEqual(FaceDetector(stages: [blind, standard.stages[1]]).detect(photo), second)
        XCTAssertEqual(FaceDetector(stages: [standard.stages[0], blind]).detect(photo), FaceDetector(stages: [standard.stages[0]]).detect(photo))
        XCTAssertEqual(standard.withoutBoxMapping().detect(photo).map(\.box), standard.detect(photo).map(\.detectorBox))
    }
}
