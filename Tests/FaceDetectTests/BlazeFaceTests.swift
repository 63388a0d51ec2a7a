import Foundation
import XCTest
@testable import FaceDetect
import Imaging
import Tensor

/// BlazeFace against MediaPipe (golden fixtures from `Scripts/make_blazeface_reference.py`).
final class BlazeFaceTests: XCTestCase {
    struct Reference: Decodable {
        struct Network: Decodable {
            var logits: [Float]
            var regressorStride: Int
            var regressors: [[Float]]
        }
        struct Face: Decodable {
            var box: [Float]
            var score: Float
            var keypoints: [[Float]]
        }
        struct Case: Decodable {
            var image: String
            var width: Int
            var height: Int
            var faces: [Face]
        }
        var network: Network
        var detections: [Case]
    }

    static let reference: Result<Reference, Error> = Result {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: TestSupport.fixtures.appendingPathComponent("blazeface_reference.json")))
    }
    static let model: Result<BlazeFace, Error> = Result { try BlazeFace() }

    /// The synthetic input of the fixture: NCHW `0.9·sin(0.071·x + 0.113·y + 1.7·c)`.
    static func syntheticInput() -> Tensor {
        let n = BlazeFace.inputSize
        var v = [Float](repeating: 0, count: 3 * n * n)
        for c in 0..<3 { for y in 0..<n { for x in 0..<n {
            v[(c * n + y) * n + x] = 0.9 * sin(0.071 * Float(x) + 0.113 * Float(y) + 1.7 * Float(c))
        } } }
        return Tensor(v, shape: [1, 3, n, n])
    }

    /// Raw network outputs against TFLite's interpreter on the same input: all 896 logits and
    /// every 37th anchor's 16 regressed values.
    func testNetworkMatchesTFLite() throws {
        let ref = try Self.reference.get().network
        let (regressors, logits) = try Self.model.get().network.forward(Self.syntheticInput())
        XCTAssertEqual(regressors.shape, [896, 16])
        XCTAssertEqual(logits.shape, [896])
        var worstLogit: Float = 0, worstRegressor: Float = 0
        for (a, b) in zip(logits.values, ref.logits) { worstLogit = max(worstLogit, abs(a - b) / max(1, abs(b))) }
        for (k, row) in ref.regressors.enumerated() {
            let i = k * ref.regressorStride
            for (j, b) in row.enumerated() { worstRegressor = max(worstRegressor, abs(regressors.data[i * 16 + j] - b) / max(1, abs(b))) }
        }
        XCTAssertEqual(ref.logits.count, 896)
        XCTAssertLessThan(worstLogit, 1e-3, "largest logit difference (relative) from TFLite")
        XCTAssertLessThan(worstRegressor, 1e-3, "largest regressor difference (relative) from TFLite")
    }

    /// End to end (letterbox, network, anchors, decoding, weighted NMS) against MediaPipe's
    /// FaceDetection solution on the sample photos: the same faces, boxes and keypoints within
    /// 1 % of the box width, scores within 0.01.
    func testDetectionsMatchMediaPipe() throws {
        let shared = try TestSupport.shared()
        let model = try Self.model.get()
        for c in try Self.reference.get().detections {
            let photo = try ImageDecoder.decode(contentsOf: shared.appendingPathComponent(c.image))
            XCTAssertEqual([photo.width, photo.height], [c.width, c.height], c.image)
            let found = model.detect(photo)
            XCTAssertEqual(found.count, c.faces.count, c.image)
            for face in c.faces {
                let w = face.box[2]
                guard let d = found.min(by: { abs($0.xmin - face.box[0]) + abs($0.ymin - face.box[1]) < abs($1.xmin - face.box[0]) + abs($1.ymin - face.box[1]) }) else { continue }
                for (a, b) in zip([d.xmin, d.ymin, d.width, d.height], face.box) {
                    XCTAssertEqual(a, b, accuracy: 0.01 * w, "\(c.image) box")
                }
                XCTAssertEqual(d.score, face.score, accuracy: 0.01, "\(c.image) score")
                for (p, q) in zip(d.keypoints, face.keypoints) {
                    XCTAssertEqual(p.x, q[0], accuracy: 0.01 * w, "\(c.image) keypoint")
                    XCTAssertEqual(p.y, q[1], accuracy: 0.01 * w, "\(c.image) keypoint")
                }
            }
        }
    }

    /// The keypoint map: with all keypoints at the box centre only the constant column acts; a
    /// keypoint shifted by a tenth of the width moves the box by its coefficient.
    func testKeypointBoxMapping() {
        var rows = [[Float]](repeating: [Float](repeating: 0, count: 5), count: 4)
        rows[0][0] = 0.1; rows[1][0] = -0.2; rows[2][0] = 0.9; rows[3][0] = 1.1
        rows[0][1] = 0.5                                       // dx += 0.5 · k₀ₓ
        let map = KeypointBoxMapping(coefficients: rows)
        let box = FaceBox(x: 100, y: 50, width: 201, height: 201)   // centre (200, 150)
        let centred = map.apply(box, keypoints: [Point2(200, 150), Point2(200, 150)])
        XCTAssertEqual(centred.center.x, 200 + 0.1 * 201, accuracy: 1e-3)
        XCTAssertEqual(centred.center.y, 150 - 0.2 * 201, accuracy: 1e-3)
        XCTAssertEqual(centred.width, 0.9 * 201, accuracy: 1e-3)
        XCTAssertEqual(centred.height, 1.1 * 201, accuracy: 1e-3)
        let shifted = map.apply(box, keypoints: [Point2(200 + 20.1, 150), Point2(200, 150)])
        XCTAssertEqual(shifted.center.x - centred.center.x, 0.5 * 20.1, accuracy: 1e-3)
    }

    /// The standard front end on all of afw: every face found (IoU ≥ 0.3 with the annotation) and
    /// the all-points NME of dlib's 68-point model in the mapped boxes ≤ 0.035 (dlib's own HOG
    /// boxes: 0.0350 on the 305 faces they find); `likeness eval landmarks` gives 0.0332.
    func testAFWLandmarksWithBlazeFaceBoxes() throws {
        let shared = try TestSupport.shared()
        let dataset = try AnnotatedFolder.read(shared.appendingPathComponent("data/faces-300w/afw"))
        XCTAssertEqual(dataset.count, 337)
        let source = DetectorLandmarkSource(detector: try FaceDetector.standard(), predictor: try TestSupport.predictor())
        let report = try LandmarkEvaluation.run(dataset, source: source, load: { try ImageDecoder.decode(contentsOf: $0) })
        let all = report.summary(.all)
        XCTAssertEqual(all.evaluated, 337)
        XCTAssertLessThanOrEqual(all.mean, 0.035)
        XCTAssertEqual(all.mean, 0.0332, accuracy: 0.001)
    }

    /// 512 anchors on the 16×16 grid (2 per cell), then 384 on the 8×8 grid (6 per cell).
    func testAnchors() {
        let a = BlazeFace.anchors
        XCTAssertEqual(a.count, 896)
        XCTAssertEqual(a[0], Point2(1 / 32, 1 / 32))
        XCTAssertEqual(a[1], a[0])
        XCTAssertEqual(a[2], Point2(3 / 32, 1 / 32))
        XCTAssertEqual(a[32], Point2(1 / 32, 3 / 32))
        XCTAssertEqual(a[512], Point2(1 / 16, 1 / 16))
        XCTAssertEqual(a[517], a[512])
        XCTAssertEqual(a[518], Point2(3 / 16, 1 / 16))
        XCTAssertEqual(a[895], Point2(15 / 16, 15 / 16))
    }

    /// Two overlapping boxes merge into their score-weighted mean with the better score; a
    /// distant one stays.
    func testWeightedNonMaxSuppression() {
        func det(_ x: Float, _ y: Float, _ s: Float, _ score: Float) -> BlazeFace.Detection {
            .init(xmin: x, ymin: y, width: s, height: s, score: score, keypoints: [Point2(x, y)], merged: 1)
        }
        let out = BlazeFace.weightedNonMaxSuppression([det(0.1, 0.1, 0.4, 0.6), det(0.12, 0.1, 0.4, 0.9), det(0.7, 0.7, 0.2, 0.8)],
                                                      threshold: 0.3)
        XCTAssertEqual(out.count, 2)
        XCTAssertEqual(out[0].score, 0.9)
        XCTAssertEqual(out[0].merged, 2)
        XCTAssertEqual(out[0].xmin, (0.9 * 0.12 + 0.6 * 0.1) / 1.5, accuracy: 1e-6)
        XCTAssertEqual(out[0].width, 0.4, accuracy: 1e-6)
        XCTAssertEqual(out[0].keypoints[0].x, (0.9 * 0.12 + 0.6 * 0.1) / 1.5, accuracy: 1e-6)
        XCTAssertEqual(out[1].merged, 1)
        XCTAssertEqual(out[1].score, 0.8)
        XCTAssertEqual(out[1].xmin, 0.7, accuracy: 1e-6)
        XCTAssertEqual(out[1].width, 0.2, accuracy: 1e-6)
    }

    /// The letterbox maps corner to corner: a 256×128 photo fills the middle half of the input
    /// rows, black (−1) above and below; a uniform gray photo gives a uniform input inside.
    func testLetterbox() {
        let photo = Image(width: 256, height: 128, channels: 3, pixels: [UInt8](repeating: 51, count: 256 * 128 * 3))
        let (input, frame) = BlazeFace.letterbox(photo)
        XCTAssertEqual(frame.step, 2)
        XCTAssertEqual(frame.y0, -64)
        XCTAssertEqual(input[0, 0, 0, 64], -1)
        XCTAssertEqual(input[0, 1, 40, 64], 51 / 127.5 - 1, accuracy: 1e-6)
        XCTAssertEqual(input[0, 2, 100, 10], -1)
    }
}
