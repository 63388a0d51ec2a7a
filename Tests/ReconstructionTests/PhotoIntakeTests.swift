import XCTest
import Foundation
import FaceDetect
import Imaging
@testable import Reconstruction

final class PhotoIntakeTests: XCTestCase {
    /// Photos without a usable face are skipped with typed reasons; the run goes on.
    func testBadPhotosAreSkippedWithTypedReasons() throws {
        guard FileManager.default.fileExists(atPath: ShapePredictor.defaultModelPath) else {
            throw XCTSkip("dlib's 68-point model (libdlib-data) is not installed")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("a-text.jpg"))
        let blank = Image(width: 200, height: 160, channels: 3, pixels: [UInt8](repeating: 128, count: 200 * 160 * 3))
        try PNGEncoder.encode(blank).write(to: folder.appendingPathComponent("b-blank.png"))
        try Data("ignored".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        var paths = [folder.path]
        let sample = sharedData("data/faces-300w/afw/1051618982_1.jpg")
        if let sample { paths.append(sample.path) }

        let urls = try PhotoIntake.photoURLs(paths)
        XCTAssertEqual(urls.map(\.lastPathComponent).prefix(2), ["a-text.jpg", "b-blank.png"], "notes.txt is not a photo")
        let (located, skipped) = PhotoIntake.locate(urls, frontEnd: try FaceFrontEnd.standard())
        XCTAssertEqual(skipped.map(\.name).sorted(), ["a-text", "b-blank"])
        XCTAssertEqual(skipped.first { $0.name == "a-text" }?.code, "unreadable-image")
        XCTAssertEqual(skipped.first { $0.name == "b-blank" }?.code, FaceRejection.noFace.code)
        XCTAssertTrue(skipped.allSatisfy { !$0.reason.isEmpty })
        if sample != nil {
            XCTAssertEqual(located.count, 1)
            XCTAssertEqual(located.first?.landmarks.count, 68)
        }
        XCTAssertThrowsError(try PhotoIntake.photoURLs([folder.appendingPathComponent("missing").path])) {
            XCTAssertEqual($0 as? FitError, .missingInput(folder.appendingPathComponent("missing").path))
        }
    }

    /// A photo of two people side by side is skipped as several faces, and the reason (which the
    /// daemon writes to status.json) says where both faces are.
    func testSeveralFacesReasonNamesTheBoxes() throws {
        guard FileManager.default.fileExists(atPath: ShapePredictor.defaultModelPath) else {
            throw XCTSkip("dlib's 68-point model (libdlib-data) is not installed")
        }
        guard let photo = sharedData("data/samples/breakingbad.jpg") else { throw XCTSkip("../shared is absent") }
        let (located, skipped) = PhotoIntake.locate([photo], frontEnd: try FaceFrontEnd.standard())
        XCTAssertTrue(located.isEmpty)
        XCTAssertEqual(skipped.map(\.code), ["several-faces"])
        XCTAssertEqual(skipped.first?.reason,
                       "2 faces of comparable size and centrality at [x 606, y 199, 266×266], [x 1253, y 148, 349×349]: cannot tell whose photo it is")
    }
}

/// A file under ../shared (or $LIKENESS_SHARED), nil when absent.
func sharedData(_ relative: String) -> URL? {
    let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    let url = root.appendingPathComponent(relative)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}
