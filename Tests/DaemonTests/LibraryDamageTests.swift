import Foundation
import Logging
import XCTest
@testable import Daemon
@testable import Library

/// Issue 18 item 8: a version deleted or altered from outside is noticed (at start-up by sizes,
/// by `verify --repair` by hashes), taken out of use and shown, `latest` falls back, and the
/// photos are built again under a new number.
final class LibraryDamageTests: InboxTestCase {
    override var personFolders: [String] { ["bob"] }
    let bob = try! PersonName("bob")

    func service() throws -> WatchService {
        try WatchService(configuration: quickConfiguration(),
                         executor: InProcessExecutor(stage: TestStage(), logger: WatchServiceTests.quietLogger),
                         logger: WatchServiceTests.quietLogger, useInotify: false)
    }

    /// bob/v0001 = {a}, bob/v0002 = {a, b}.
    func publishTwoVersions() throws {
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("bob/a.jpg"))
        XCTAssertTrue(try service().runUntilIdle(timeout: 20))
        try Fixture.photo("b").write(to: inbox.appendingPathComponent("bob/b.jpg"))
        XCTAssertTrue(try service().runUntilIdle(timeout: 20))
        XCTAssertEqual(layout.versionsOnDisk(bob), [1, 2])
        XCTAssertEqual(layout.latestOnDisk(bob), 2)
    }

    func testADeletedVersionIsNoticedAtStartUpAndBuiltAgain() throws {
        try publishTwoVersions()
        try FileManager.default.removeItem(at: layout.versionDirectory(bob, 2))  // rm -rf Library/bob/v0002

        let restarted = try service()
        try restarted.open()
        XCTAssertEqual(try restarted.ledger.latest()[bob], 1, "latest falls back to the newest intact version at once")
        XCTAssertEqual(layout.latestOnDisk(bob), 1)
        XCTAssertEqual(try restarted.ledger.lostVersions(of: bob).map(\.version), [2])
        XCTAssertEqual(try restarted.ledger.lostVersions(of: bob).map(\.reason), ["the folder is gone"])
        restarted.close()

        XCTAssertTrue(try service().runUntilIdle(timeout: 20))
        XCTAssertEqual(layout.versionsOnDisk(bob), [1, 3], "rebuilt under a new number, v0002 is never given again")
        XCTAssertEqual(layout.latestOnDisk(bob), 3)
        let manifest = try BundleManifest.decode(Data(contentsOf: layout.versionDirectory(bob, 3).appendingPathComponent("manifest.json")))
        XCTAssertEqual(Set(manifest.accepted), [SHA256.hex(Fixture.photo("a")), SHA256.hex(Fixture.photo("b"))])
        let status = try JSONDecoder().decode(PersonStatus.self, from: Data(contentsOf: layout.statusFile(bob)))
        XCTAssertEqual(status.latestVersion, 3)
        XCTAssertEqual(status.lostVersions.map(\.version), [2])
        XCTAssertEqual(BundleVerifier(layout: layout).verifyAll().problems, [])
    }

    func testRepairFindsAnAlteredFileByItsHashRequeuesAndReportsTheFolder() throws {
        try publishTwoVersions()
        let head = layout.versionDirectory(bob, 2).appendingPathComponent("mesh/head.bin")
        var bytes = [UInt8](try Data(contentsOf: head))
        bytes[0] ^= 0xFF  // same size: only a hash tells
        try Data(bytes).write(to: head)
        try Data("stray".utf8).write(to: layout.versionDirectory(bob, 1).appendingPathComponent("notes.txt"))

        // The start-up check (sizes only) cannot see it …
        let ledger = try Ledger(url: layout.ledgerURL)
        let quick = try LibraryRepair(layout: layout, ledger: ledger).run(thorough: false, requeue: false, now: Date())
        XCTAssertEqual(quick, LibraryRepair.Report())
        // … `verify --repair` does.
        let report = try LibraryRepair(layout: layout, ledger: ledger).run(thorough: true, requeue: true, now: Date())
        XCTAssertEqual(report.fixed.count, 3, "\(report.fixed)")
        XCTAssertTrue(report.fixed[0].hasPrefix("bob/v0002: damaged: sha256 differs from the manifest"), report.fixed[0])
        XCTAssertTrue(report.fixed[1].hasPrefix("bob/v0002: job 3 queued to build its 2 photos again"), report.fixed[1])
        XCTAssertEqual(report.fixed[2], "bob/latest: points at v0001 again")
        XCTAssertEqual(report.left.count, 2, "\(report.left)")
        XCTAssertTrue(report.left.contains { $0.hasPrefix("bob/v0001: ") && $0.hasSuffix("notes.txt: not listed in the manifest") })
        XCTAssertTrue(report.left.contains { $0.contains("the damaged folder") && $0.contains("v0002 is left in place") })
        XCTAssertEqual(try ledger.latest()[bob], 1)
        XCTAssertEqual(layout.latestOnDisk(bob), 1)
        XCTAssertEqual(try ledger.jobs(in: [.queued]).map(\.inputs.count), [2])

        XCTAssertTrue(try service().runUntilIdle(timeout: 20))
        XCTAssertEqual(layout.versionsOnDisk(bob), [1, 2, 3], "the damaged folder is kept for the user")
        XCTAssertEqual(layout.latestOnDisk(bob), 3)
        XCTAssertEqual(try Ledger(url: layout.ledgerURL, readOnly: true).versions(of: bob).map(\.number), [1, 3])
        // A second repair finds nothing new to fix.
        let again = try LibraryRepair(layout: layout, ledger: try Ledger(url: layout.ledgerURL)).run(thorough: true, requeue: true, now: Date())
        XCTAssertEqual(again.fixed, [])
    }
}
