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

    func testFailedJobIsRetriedInANewRoundAndALaterPublicationSupersedesIt() throws {
        let job = try ledger.enqueueJob(person: alice, inputs: [hash("A")], now: now)
        try ledger.startJob(job.id, now: now)
        try ledger.failJob(job.id, error: "killed by signal 9", retryAt: nil, now: now)
        let retried = try ledger.retryFailedJobs(of: alice, now: now.addingTimeInterval(5))
        XCTAssertEqual(retried.map(\.id), [job.id])
        XCTAssertEqual(retried.first?.state, .queued)
        XCTAssertEqual(retried.first?.attempts, 0)
        XCTAssertEqual(retried.first?.rounds, 1)
        XCTAssertEqual(retried.first?.nextAttemptAt, now.addingTimeInterval(5))
        XCTAssertEqual(retried.first?.error, "killed by signal 9", "the last error stays until the next attempt ends")
        XCTAssertEqual(try ledger.retryFailedJobs(of: alice, now: now), [], "nothing failed any more")

        try ledger.startJob(job.id, now: now)
        try ledger.failJob(job.id, error: "killed again", retryAt: nil, now: now)
        let later = try ledger.enqueueJob(person: alice, inputs: [hash("A"), hash("B")], now: now)
        let manifest = BundleManifest(format: 1, person: "alice", version: 1, createdAt: "now", jobID: later.id,
                                      inputs: later.inputs, accepted: later.inputs, rejected: [],
                                      stage: "test", models: [], statistics: [:], files: [])
        try ledger.recordPublication(manifest, now: now)
        XCTAssertEqual(try ledger.job(job.id)?.state, .superseded)
        XCTAssertEqual(try PersonStatus.build(alice, ledger: ledger, now: now).jobs, [], "no failed job next to v0001")
    }

    /// A ledger made before the `rounds` column gets it on open.
    func testLedgerWithoutRoundsColumnIsMigrated() throws {
        let url = folder.appendingPathComponent("old.sqlite")
        let old = try SQLiteDatabase(path: url.path, readOnly: false)
        try old.execute(Ledger.schema.replacingOccurrences(of: "rounds INTEGER NOT NULL DEFAULT 0", with: "spare INTEGER"))
        try old.execute("INSERT INTO jobs(person, inputs, input_key, state, next_attempt_at, created_at, updated_at) VALUES('alice','x','k','failed',0,0,0)")
        XCTAssertFalse(try old.query("PRAGMA table_info(jobs)").contains { $0[1].string == "rounds" })
        let migrated = try Ledger(url: url)
        XCTAssertEqual(try migrated.jobs(in: [.failed]).map(\.rounds), [0])
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
