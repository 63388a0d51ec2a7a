import Foundation
import XCTest

/// A test case with a fresh temporary folder `dir` per test, removed afterwards.
class TemporaryFolderTestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        let stem = String(describing: type(of: self)).lowercased()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-\(stem)-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
}
