import Foundation
import XCTest
@testable import Library

final class LedgerTests: XCTestCase {
    var folder: URL!
    var ledger: Ledger!
    let alice = try! PersonName("alice")
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("ledger")
        ledger = try Ledger(url: folder.appendingPathComponent("ledger.sqlite"))
    }

    override func tearDownWithError() throws {
        ledger = nil
        try? FileManager.default.removeItem(at: folder)
    }

    func testDurabilitySettings() throws {
        XCTAssertEqual(try ledger.database.query("PRAGMA journal_mode").first?.first?.string, "wal")
        XCTAssertEqual(try ledger.database.query("PRAGMA synchronous").first?.first?.int, 2)  // FULL
        XCTAssertEqual(try ledger.integrityCheck(), "ok")
    }

    func testIdenticalPhotosAreOnePhoto() throws {
        let signature = FileSignature(size: 3, modifiedNanoseconds: 1, inode: 7)
        try ledger.recordFile(FileRecord(person: alice, name: "a.jpg", signature: signature, sha256: hash("A")), now: now)
        try ledger.recordFile(FileRecord(person: alice, name: "copy of a.jpg", signature: signature, sha256: hash("A")), now: now)
        try ledger.recordFile(FileRecord(person: alice, name: "b.jpg", signature: signature, sha256: hash("B")), now: now)
        XCTAssertEqual(try ledger.files(of: alice).count, 3)
        XCTAssertEqual(try ledger.photos(of: alice).map(\.sha256).sorted(), [hash("A"), hash("B")].sorted())
        XCTAssertTrue(try ledger.photos(of: alice).allSatisfy { $0.state == .new })
        try ledger.forgetFile(person: alice, name: "b.jpg")
        XCTAssertEqual(try ledger.files(of: alice).map(\.name), ["a.jpg", "copy of a.jpg"])
        XCTAssertEqual(try ledger.photos(of: alice).count, 2, "a photo stays in the history")
    }

    func testNewJobSupersedesQueuedOne() throws {
        let first = try ledger.enqueueJob(person: alice, inputs: [hash("B"), hash("A")], now: now)
        XCTAssertEqual(first.inputs, [hash("A"), hash("B")].sorted())
        XCTAssertEqual(first.inputKey, PhotoSet.key([hash("B"), hash("A")]))
        let second = try ledger.enqueueJob(person: alice, inputs: [hash("A")], now: now)
        XCTAssertEqual(try ledger.job(first.id)?.state, .superseded)
        XCTAssertEqual(try ledger.jobs(in: [.queued]).map(\.id), [second.id])
    }

    func testRetryThenGiveUp() throws {
        let job = try ledger.enqueueJob(person: alice, inputs: [hash("A")], now: now)
        try ledger.startJob(job.id, now: now)
        try ledger.failJob(job.id, error: "boom", retryAt: now.addingTimeInterval(30), now: now)
        var record = try XCTUnwrap(ledger.job(job.id))
        XCTAssertEqual(record.state, .queued)
        XCTAssertEqual(record.attempts, 1)
        XCTAssertEqual(record.nextAttemptAt, now.addingTimeInterval(30))
        try ledger.startJob(job.id, now: now)
        try ledger.failJob(job.id, error: "boom again", retryAt: nil, now: now)
        record = try XCTUnwrap(ledger.job(job.id))
        XCTAssertEqual(record.state, .failed)
        XCTAssertEqual(record.attempts, 2)
        XCTAssertEqual(record.error, "boom again")
    }

    func testInterruptedJobIsRequeuedWithoutCountingTheAttempt() throws {
        let job = try ledger.enqueueJob(person: alice, inputs: [hash("A")], now: now)
        try ledger.startJob(job.id, now: now)
        XCTAssertEqual(try ledger.requeueAllInterrupted(now: now), 1)
        let record = try XCTUnwrap(ledger.job(job.id))
        XCTAssertEqual(record.state, .queued)
        XCTAssertEqual(record.attempts, 0)
    }

    func testPublicationRecordsPhotosVersionAndLatest() throws {
        let signature = FileSignature(size: 3, modifiedNanoseconds: 1, inode: 7)
        for name in ["A", "B"] {
            try ledger.recordFile(FileRecord(person: alice, name: name, signature: signature, sha256: hash(name)), now: now)
        }
        let job = try ledger.enqueueJob(person: alice, inputs: [hash("A"), hash("B")], now: now)
        let rejected = RejectedPhoto(sha256: hash("B"), name: "B", reason: Rejection(.noFace, "no face found"))
        let manifest = BundleManifest(format: 1, person: "alice", version: 1, createdAt: "now", jobID: job.id,
                                      inputs: [hash("A"), hash("B")], accepted: [hash("A")], rejected: [rejected],
                                      stage: "test", models: [], statistics: [:], files: [])
        try ledger.recordPublication(manifest, now: now)
        try ledger.recordPublication(manifest, now: now)  // idempotent (adoption after a crash)
        XCTAssertEqual(try ledger.versions(of: alice).map(\.number), [1])
        XCTAssertEqual(try ledger.versions(of: alice).first?.acceptedKey, PhotoSet.key([hash("A")]))
        XCTAssertEqual(try ledger.latest()[alice], 1)
        XCTAssertEqual(try ledger.job(job.id)?.state, .succeeded)
        let photos = Dictionary(uniqueKeysWithValues: try ledger.photos(of: alice).map { ($0.sha256, $0) })
        XCTAssertEqual(photos[hash("A")]?.state, .ingested)
        XCTAssertEqual(photos[hash("A")]?.version, 1)
        XCTAssertEqual(photos[hash("B")]?.state, .rejected)
        XCTAssertEqual(photos[hash("B")]?.rejection, Rejection(.noFace, "no face found"))
        let status = try PersonStatus.build(alice, ledger: ledger, now: now)
        XCTAssertEqual(status.latestVersion, 1)
        XCTAssertEqual(status.ingestedPhotos, 1)
        XCTAssertEqual(status.rejected.map(\.file), ["B"])
        XCTAssertEqual(status.rejected.map(\.reason), ["no-face"])
    }

    func testLedgerSurvivesReopen() throws {
        _ = try ledger.enqueueJob(person: alice, inputs: [hash("A")], now: now)
        ledger = nil
        let reopened = try Ledger(url: folder.appendingPathComponent("ledger.sqlite"))
        XCTAssertEqual(try reopened.jobs(in: [.queued]).count, 1)
        let readOnly = try Ledger(url: folder.appendingPathComponent("ledger.sqlite"), readOnly: true)
        XCTAssertEqual(try readOnly.jobs(in: [.queued]).count, 1)
    }
}
