import Foundation
import XCTest

/// Issue 18 item 7: typos fail with an error naming the option and the subcommand's usage,
/// instead of succeeding (a created inbox, an ignored key, "latest none").
final class TypoTests: XCTestCase {
    var root: URL!
    override func setUpWithError() throws { root = try DaemonCLISupport.temporaryFolder("cli-typos") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func assertUsageError(_ result: CommandResult, _ fragments: [String], usage: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        for fragment in fragments + ["Usage: likeness \(usage)"] {
            XCTAssertTrue(result.stderr.contains(fragment), "missing \(fragment) in: \(result.stderr)", file: file, line: line)
        }
        XCTAssertFalse(result.stderr.contains("Usage: likeness <subcommand>"), result.stderr, file: file, line: line)
    }

    func testWatchRefusesAMissingInboxUnlessAskedToCreateIt() throws {
        let missing = root.appendingPathComponent("No/Inbox").path
        let result = try LikenessBinary.run(["watch", "--inbox", missing, "--library", root.appendingPathComponent("Library").path])
        assertUsageError(result, ["--inbox \(missing) does not exist", "--create-inbox"], usage: "watch")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("No").path), "nothing is created")

        let orphan = try LikenessBinary.run(["watch", "--create-inbox", "--inbox", missing, "--library", root.appendingPathComponent("Library").path])
        assertUsageError(orphan, ["--inbox \(missing) cannot be created: its parent folder does not exist"], usage: "watch")

        // With the flag and an existing parent, the inbox is made and watched.
        let inbox = root.appendingPathComponent("Inbox")
        let process = Process()
        process.executableURL = LikenessBinary.url
        process.arguments = ["watch", "--create-inbox", "--inbox", inbox.path, "--library", root.appendingPathComponent("Library").path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        XCTAssertTrue(DaemonCLISupport.wait(20) { FileManager.default.fileExists(atPath: inbox.path) })
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testUnknownConfigKeyAndBadValuesNameWhatWasTyped() throws {
        let inbox = root.appendingPathComponent("Inbox")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let config = root.appendingPathComponent("config.json")
        try Data(#"{"settleSecondz": 5}"#.utf8).write(to: config)
        let typo = try LikenessBinary.run(["watch", "--config", config.path, "--inbox", inbox.path, "--library", root.path + "/Library"])
        assertUsageError(typo, ["settleSecondz is not a setting", #"did you mean "settleSeconds"?"#], usage: "watch")

        let flag = try LikenessBinary.run(["watch", "--settle=-1", "--inbox", inbox.path, "--library", root.path + "/Library"])
        assertUsageError(flag, ["--settle must be positive"], usage: "watch")
    }

    func testBuildOfAMissingFolderFailsAndTheLibraryIsCheckedAgainstThePersonFolderOnly() throws {
        let x = root.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: x.appendingPathComponent("p"), withIntermediateDirectories: true)
        let missing = try LikenessBinary.run(["build", x.appendingPathComponent("nonexistent").path, "--library", x.appendingPathComponent("Library").path])
        assertUsageError(missing, ["nonexistent: no such folder"], usage: "build")
        XCTAssertFalse(missing.stdout.contains("latest none"), missing.stdout)

        // A Library beside the person folder is fine: `build` reads only that folder.
        let beside = try LikenessBinary.run(["build", x.appendingPathComponent("p").path, "--library", x.appendingPathComponent("Library").path])
        XCTAssertEqual(beside.status, 0, beside.stderr)
        XCTAssertFalse(beside.stderr.contains("inbox"), beside.stderr)

        let inside = try LikenessBinary.run(["build", x.appendingPathComponent("p").path, "--library", x.appendingPathComponent("p/Library").path])
        assertUsageError(inside, ["--library", "the person folder", "must not contain each other"], usage: "build")
        let negative = try LikenessBinary.run(["build", x.appendingPathComponent("p").path, "--memory-limit-mb=-5"])
        assertUsageError(negative, ["--memory-limit-mb must be non-negative"], usage: "build")
    }
}
