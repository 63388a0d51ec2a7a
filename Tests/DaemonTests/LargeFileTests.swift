import Foundation
import Logging
import XCTest
@testable import Daemon
@testable import Library

/// Issue 18 item 5: a large file neither stalls the daemon's loop nor is hashed twice, and a file
/// over the size limit is refused from its size alone, visibly.
final class LargeFileTests: InboxTestCase {
    override var personFolders: [String] { ["alice", "bob"] }
    let alice = try! PersonName("alice")
    let bob = try! PersonName("bob")

    func configuration() -> DaemonConfiguration {
        var configuration = quickConfiguration()
        configuration.shutdownGraceSeconds = 5
        return configuration
    }

    /// A sparse file of `bytes` that starts like a test photo (reading it costs no disk, hashing it CPU).
    func sparsePhoto(_ url: URL, bytes: Int64) throws {
        try Fixture.photo("big").write(to: url)
        XCTAssertEqual(truncate(url.path, off_t(bytes)), 0)
    }

    func service(_ configuration: DaemonConfiguration, stage: BundleStage = TestStage()) throws -> WatchService {
        try WatchService(configuration: configuration, executor: InProcessExecutor(stage: stage, logger: WatchServiceTests.quietLogger),
                         logger: WatchServiceTests.quietLogger, useInotify: false)
    }

    func testFileOverTheSizeLimitIsRefusedUnreadAndShownInStatus() throws {
        var configuration = configuration()
        configuration.maxPhotoMB = 1
        try sparsePhoto(inbox.appendingPathComponent("alice/huge.jpg"), bytes: 3 << 20)
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        XCTAssertTrue(try service(configuration).runUntilIdle(timeout: 20))

        let ledger = try Ledger(url: LibraryLayout(root: library).ledgerURL, readOnly: true)
        XCTAssertEqual(try ledger.files(of: alice).map(\.name), ["a.jpg"], "the huge file is never hashed")
        let refusals = try ledger.refusals(of: alice)
        XCTAssertEqual(refusals.map(\.entry), ["alice/huge.jpg"])
        XCTAssertTrue(refusals[0].reason.hasPrefix("too-large: the file is 3.0 MiB, more than the 1 MiB limit"), refusals[0].reason)
        let status = try JSONDecoder().decode(PersonStatus.self, from: Data(contentsOf: LibraryLayout(root: library).statusFile(alice)))
        XCTAssertEqual(status.latestVersion, 1)
        XCTAssertEqual(status.refused.map(\.entry), ["alice/huge.jpg"])
        XCTAssertEqual(try ledger.versions(of: alice).count, 1)
    }

    func testA4GiBFileIsRefusedFromItsSizeByDefault() throws {
        try sparsePhoto(inbox.appendingPathComponent("alice/video.jpg"), bytes: 4 << 30)
        let started = Date()
        let scan = InboxScanner(root: inbox).scanPerson(alice)
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "refused from stat, not read")
        XCTAssertEqual(scan.files, [])
        XCTAssertEqual(scan.skipped.map(\.reason), ["too-large: the file is 4096.0 MiB, more than the 200 MiB limit (not read)"])
    }

    func testHashingABigFileDoesNotStallTheLoopOrOtherPersons() throws {
        var configuration = configuration()
        configuration.maxPhotoMB = 1024
        try sparsePhoto(inbox.appendingPathComponent("alice/big.jpg"), bytes: 256 << 20)
        try Fixture.photo("b").write(to: inbox.appendingPathComponent("bob/b.jpg"))
        let service = try service(configuration)
        try service.open()
        defer { service.close() }
        var slowest = 0.0
        let opened = Date()
        let deadline = opened.addingTimeInterval(120)
        var bobPublishedAt: Date?, bigHashedAt: Date?
        while Date() < deadline && (bobPublishedAt == nil || bigHashedAt == nil) {
            let started = Date()
            service.step(now: started)
            slowest = max(slowest, Date().timeIntervalSince(started))
            if bobPublishedAt == nil && LibraryLayout(root: library).latestOnDisk(bob) == 1 {
                bobPublishedAt = Date()
                XCTAssertEqual(service.hasher.pendingCount, 1, "alice's 256 MiB file is still being hashed")
            }
            if bigHashedAt == nil, try service.ledger.files(of: alice).contains(where: { $0.name == "big.jpg" }) { bigHashedAt = Date() }
            usleep(20_000)
        }
        let published = try XCTUnwrap(bobPublishedAt, "bob's photo is published")
        let hashed = try XCTUnwrap(bigHashedAt, "the big file is hashed in the end")
        XCTAssertLessThan(published, hashed, "bob did not wait for alice's big file")
        // Before, the tick that hashed the file took the whole hash time.
        XCTAssertLessThan(slowest, hashed.timeIntervalSince(opened) / 4, "no tick waits for the hash")
        print("large file: 256 MiB hashed in the background in \(String(format: "%.2f", hashed.timeIntervalSince(opened))) s; "
              + "bob published after \(String(format: "%.2f", published.timeIntervalSince(opened))) s; slowest tick \(Int(slowest * 1000)) ms")
    }

    func testTheJobChecksPhotosByTheirSignatureNotByHashingAgain() throws {
        let url = inbox.appendingPathComponent("alice/a.jpg")
        try Fixture.photo("a").write(to: url)
        let build = root.appendingPathComponent("build")
        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        let signature = try XCTUnwrap(FileSignature.of(url.path))
        // A recorded digest the content would not give: only a re-hash could notice it.
        let photo = StagePhoto(name: "a.jpg", path: url.path, sha256: String(repeating: "0", count: 64), signature: signature)
        let spec = JobSpec(jobID: 1, person: alice, photos: [photo], buildDirectory: build.path, resultPath: root.appendingPathComponent("r.json").path,
                           memoryLimitBytes: 0, parentPID: 0)
        let report = JobWork.perform(spec, stage: TestStage(), logger: WatchServiceTests.quietLogger)
        XCTAssertNil(report.error)
        XCTAssertEqual(report.output?.accepted, [photo.sha256])

        // The file changed after the daemon hashed it: its signature tells, without reading it.
        try Fixture.photo("a, edited").write(to: url)
        let changed = JobWork.perform(spec, stage: TestStage(), logger: WatchServiceTests.quietLogger)
        XCTAssertEqual(changed.error, "a.jpg changed after it was hashed")
    }
}
