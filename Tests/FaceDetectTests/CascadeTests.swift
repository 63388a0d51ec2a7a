import Foundation
import XCTest
@testable import FaceDetect
import Imaging

/// The cascade detector against OpenCV's own `detectMultiScale` (Scripts/make_opencv_reference.py).
final class CascadeTests: XCTestCase {
    struct Reference: Decodable {
        let cascades: [String: [String: [[Int]]]]
    }

    func testMatchesOpenCV() throws {
        _ = try TestSupport.shared()
        let reference = try TestSupport.fixture("opencv_cascade_reference.json", as: Reference.self)
        var compared = 0, matched = 0, extra = 0
        for (file, images) in reference.cascades {
            let directory = file.hasPrefix("haar") ? CascadeModel.haarDirectory : CascadeModel.lbpDirectory
            let path = directory + "/" + file
            guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) absent (apt-get install opencv-data)") }
            let detector = CascadeDetector(model: try CascadeModel(contentsOf: URL(fileURLWithPath: path)))
            for (image, expected) in images {
                let found = detector.detect(gray: try TestSupport.sharedImage(image).faceDetectGray())
                for e in expected {
                    compared += 1
                    let box = FaceBox(x: Float(e[0]), y: Float(e[1]), width: Float(e[2]), height: Float(e[3]))
                    if found.contains(where: { $0.box.iou(box) >= 0.9 && abs($0.neighbours - e[4]) <= 2 }) { matched += 1 }
                }
                extra += max(0, found.count - expected.count)
            }
        }
        XCTAssertGreaterThan(compared, 20)
        // OpenCV's fixed-point resize differs from ours by rounding; allow one group in 20 to differ.
        XCTAssertGreaterThanOrEqual(Float(matched), 0.95 * Float(compared), "\(matched)/\(compared)")
        XCTAssertLessThanOrEqual(extra, 1)
    }

    func testMalformedCascadesAreTypedErrors() {
        XCTAssertThrowsError(try CascadeModel(xml: Array("<opencv_storage><cascade>".utf8))) { error in
            guard case CascadeError.malformed? = error as? CascadeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try CascadeModel(xml: Array("<opencv_storage></opencv_storage>".utf8))) { error in
            guard case CascadeError.unsupported? = error as? CascadeError else { return XCTFail("\(error)") }
        }
        let badFeature = """
            <opencv_storage><cascade><stageType>BOOST</stageType><featureType>HAAR</featureType>
            <height>4</height><width>4</width><stages><_><stageThreshold>0</stageThreshold><weakClassifiers>
            <_><internalNodes>0 -1 7 0.5</internalNodes><leafValues>1 -1</leafValues></_></weakClassifiers></_></stages>
            <features><_><rects><_>0 0 2 2 1.</_></rects></_></features></cascade></opencv_storage>
            """
        XCTAssertThrowsError(try CascadeModel(xml: Array(badFeature.utf8))) { error in
            XCTAssertEqual(error as? CascadeError, .malformed("feature index out of range"))
        }
        XCTAssertThrowsError(try CascadeModel(contentsOf: URL(fileURLWithPath: "/nonexistent.xml")))
    }

    /// Box sums from the summed-area tables against direct sums.
    func testIntegralImageSums() {
        let pixels = (0..<20).map { UInt8($0 * 3) }
        let integral = IntegralImage(gray: Image(width: 5, height: 4, channels: 1, pixels: pixels), withSquares: true)
        // Box (1,1)-(3,2): pixels 6,7,8,11,12,13 (indices) × 3.
        let s = integral.sum, st = integral.stride
        let a: Int32 = s[st + 1], b: Int32 = s[st + 4], c: Int32 = s[3 * st + 1], d: Int32 = s[3 * st + 4]
        let inside: [Int] = [6, 7, 8, 11, 12, 13]
        XCTAssertEqual(a - b - c + d, Int32(inside.reduce(0, +) * 3))
        let q = integral.squares
        let qa: Double = q[st + 1], qb: Double = q[st + 4], qc: Double = q[3 * st + 1], qd: Double = q[3 * st + 4]
        let squares: [Double] = inside.map { Double(9 * $0 * $0) }
        XCTAssertEqual(qa - qb - qc + qd, squares.reduce(0, +))
    }
}
