import Foundation
import XCTest
@testable import FaceDetect
import Imaging

/// Locates `../shared` (or `$LIKENESS_SHARED`) and the models the FaceDetect tests need, and loads
/// the 100 MB landmark model once per test run.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The shared reference data, or `XCTSkip` when it is absent.
    static func shared() throws -> URL {
        let env = ProcessInfo.processInfo.environment["LIKENESS_SHARED"]
        let url = env.map { URL(fileURLWithPath: $0) } ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("data").path) else {
            throw XCTSkip("../shared (or LIKENESS_SHARED) is absent: skipping tests on the reference photos")
        }
        return url
    }

    private static let loaded: Result<ShapePredictor, Error> = Result { try ShapePredictor() }

    /// dlib's 68-point model, loaded once; `XCTSkip` when libdlib-data is not installed.
    static func predictor() throws -> ShapePredictor {
        guard FileManager.default.fileExists(atPath: ShapePredictor.defaultModelPath) else {
            throw XCTSkip("\(ShapePredictor.defaultModelPath) is absent (apt-get install libdlib-data)")
        }
        return try loaded.get()
    }
}

extension TestSupport {
    /// Decodes an image of the shared data given its path relative to `../shared`.
    static func sharedImage(_ relative: String) throws -> Image {
        try ImageDecoder.decode(contentsOf: try shared().appendingPathComponent(relative))
    }

    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }
}
