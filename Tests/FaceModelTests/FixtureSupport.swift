import Foundation
import XCTest

/// Test data: committed fixtures next to this file, and `../shared` (or LIKENESS_SHARED) for data
/// that may never be committed.
enum TestData {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// `../shared/<relative>` from the package root, or `$LIKENESS_SHARED/<relative>`; skips when absent.
    static func shared(_ relative: String) throws -> URL {
        let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(relative) not found under \(root.path) (set LIKENESS_SHARED); skipping")
        }
        return url
    }
}
