import Foundation
import XCTest
@testable import Daemon
@testable import Library

final class InboxScannerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try Fixture.folder("scan") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testIgnoredNames() {
        for name in [".DS_Store", ".a.jpg.part", "a.tmp", "a.JPG.part", "b.crdownload", "c.TMP"] {
            XCTAssertTrue(InboxScanner.isIgnored(name), name)
        }
        for name in ["a.jpg", "tmp.jpg", "part", "x.heic"] { XCTAssertFalse(InboxScanner.isIgnored(name), name) }
    }

    func testHostileFolderNamesAreRefusedAndSymlinksStayInside() throws {
        let inbox = root.appendingPathComponent("Inbox"), outside = root.appendingPathComponent("outside")
        let long = String(repeating: "n", count: 65)
        for name in ["alice", "José", "with space", "semi;colon", "a..b", ".hidden", "🎉", long] {
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Fixture.photo("secret").write(to: outside.appendingPathComponent("secret.jpg"))
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        try Fixture.photo("loose").write(to: inbox.appendingPathComponent("loose.jpg"))
        try Fixture.photo("loose").write(to: inbox.appendingPathComponent("loose.jpg.part"))
        try Fixture.photo("p").write(to: inbox.appendingPathComponent("alice/.a.jpg.part"))
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("alice/sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("alice/leak.jpg").path,
                                                   withDestinationPath: outside.appendingPathComponent("secret.jpg").path)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("alice/inside.jpg").path,
                                                   withDestinationPath: "a.jpg")
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("mallory").path,
                                                   withDestinationPath: outside.path)

        let scan = InboxScanner(root: inbox).scanAll()
        XCTAssertEqual(Set(scan.persons.keys.map(\.value)), ["alice", "José", "with space"])
        XCTAssertEqual(Set(scan.invalidFolders.map(\.name)), ["semi;colon", "a..b", "mallory", "🎉", long, "loose.jpg"])
        XCTAssertTrue(scan.invalidFolders.first { $0.name == "mallory" }!.reason.contains("outside the inbox"))
        XCTAssertTrue(scan.invalidFolders.first { $0.name == "loose.jpg" }!.advice.contains("move it into a person folder"))
        XCTAssertTrue(scan.invalidFolders.first { $0.name == long }!.reason.contains("longer than 64"))
        XCTAssertTrue(scan.invalidFolders.first { $0.name == "🎉" }!.advice.contains("rename the folder"))
        let alice = try XCTUnwrap(scan.persons[try PersonName("alice")])
        XCTAssertEqual(alice.files.map(\.name), ["a.jpg", "inside.jpg"])
        XCTAssertEqual(alice.files[1].path, inbox.appendingPathComponent("alice/a.jpg").path)
        XCTAssertEqual(Set(alice.skipped.map(\.name)), ["leak.jpg", "sub"])
        XCTAssertEqual(alice.skipped.first { $0.name == "sub" }?.refusal(in: alice.person).entry, "alice/sub")
        XCTAssertTrue(alice.skipped.allSatisfy { !$0.advice.isEmpty })
    }
}
