import Foundation
import XCTest
@testable import FaceDetect

final class PtsTests: XCTestCase {
    func testHeaderIsOneBased() throws {
        let text = "version: 1\nn_points:  3\n{\n1 1\n10.5 20.25\n100 200\n}\n"
        let p = try PtsFormat.parse(text)
        XCTAssertEqual(p, [Point2(0, 0), Point2(9.5, 19.25), Point2(99, 199)])
    }

    func testRoundTripWithAndWithoutHeader() throws {
        let points = (0..<68).map { Point2(Float($0) * 1.5 + 0.125, 300 - Float($0) * 0.75) }
        for header in [true, false] {
            let text = PtsFormat.format(points, header: header)
            XCTAssertEqual(text.hasPrefix("version: 1"), header)
            let back = try PtsFormat.parse(text)
            XCTAssertEqual(back.count, 68)
            for (a, b) in zip(points, back) {
                XCTAssertEqual(a.x, b.x, accuracy: 1e-5)
                XCTAssertEqual(a.y, b.y, accuracy: 1e-5)
            }
        }
    }

    func testMalformedFilesAreTypedErrors() {
        XCTAssertThrowsError(try PtsFormat.parse("version: 1\nn_points: 2\n{\n1 2\n}\n", path: "a.pts")) { error in
            XCTAssertEqual(error as? PtsError, .wrongPointCount(path: "a.pts", declared: 2, found: 1))
        }
        XCTAssertThrowsError(try PtsFormat.parse("1 2\nthree 4\n", path: "b.pts")) { error in
            guard case PtsError.malformed(_, 2, _)? = error as? PtsError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try PtsFormat.read(contentsOf: URL(fileURLWithPath: "/nonexistent.pts"))) { error in
            guard case PtsError.unreadable? = error as? PtsError else { return XCTFail("\(error)") }
        }
    }

    func testFolderReaderPairsImagesAndPts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let points = [Point2(1, 2), Point2(3, 4)]
        try PtsFormat.write(points, to: dir.appendingPathComponent("b.pts"))
        try PtsFormat.write(points, to: dir.appendingPathComponent("a.pts"), header: false)
        try PtsFormat.write(points, to: dir.appendingPathComponent("orphan.pts"))
        try Data([0xFF, 0xD8]).write(to: dir.appendingPathComponent("a.png"))
        try Data([0xFF, 0xD8]).write(to: dir.appendingPathComponent("b.jpg"))
        let items = try AnnotatedFolder.read(dir)
        XCTAssertEqual(items.map(\.name), ["a", "b"])
        XCTAssertEqual(items.map { $0.imageURL.pathExtension }, ["png", "jpg"])
        XCTAssertEqual(items[0].landmarks, points)
        XCTAssertEqual(items[0].landmarkBox, FaceBox(left: 1, top: 2, right: 3, bottom: 4))
    }

    func testReadsThe300WFolder() throws {
        let afw = try TestSupport.shared().appendingPathComponent("data/faces-300w/afw")
        let items = try AnnotatedFolder.read(afw)
        XCTAssertEqual(items.count, 337)
        XCTAssertTrue(items.allSatisfy { $0.landmarks.count == 68 })
    }
}
