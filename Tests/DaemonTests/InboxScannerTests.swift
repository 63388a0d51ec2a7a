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
        for name in ["alice", "bad name", "semi;colon", "a..b", ".hidden"] {
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Fixture.photo("secret").write(to: outside.appendingPathComponent("secret.jpg"))
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        try Fixture.photo("p").write(to: inbox.appendingPathComponent("alice/.a.jpg.part"))
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("alice/sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("alice/leak.jpg").path,
                                                   withDestinationPath: outside.appendingPathComponent("secret.jpg").path)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("alice/inside.jpg").path,
                                                   withDestinationPath: "a.jpg")
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("mallory").path,
                                                   withDestinationPath: outside.path)

        let scan = InboxScanner(root: inbox).scanAll()
        XCTAssertEqual(scan.persons.keys.map(\.value), ["alice"])
        XCTAssertEqual(Set(scan.invalidFolders.map(\.name)), ["bad name", "semi;colon", "a..b", "mallory"])
        XCTAssertTrue(scan.invalidFolders.first { $0.name == "mallory" }!.reason.contains("outside the inbox"))
        let alice = try XCTUnwrap(scan.persons[try PersonName("alice")])
        XCTAssertEqual(alice.files.map(\.name), ["a.jpg", "inside.jpg"])
        XCTAssertEqual(alice.files[1].path, inbox.appendingPathComponent("alice/a.jpg").path)
        XCTAssertEqual(Set(alice.skipped.map(\.name)), ["leak.jpg", "sub"])
    }
}
