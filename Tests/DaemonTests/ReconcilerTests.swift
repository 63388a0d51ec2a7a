import Foundation
import XCTest
@testable import Daemon
@testable import Library

/// The pure reconciler, without inotify or a file system.
final class ReconcilerTests: XCTestCase {
    let alice = try! PersonName("alice")
    let bob = try! PersonName("bob")
    let t0 = Date(timeIntervalSince1970: 1_000_000)
    let settings = ReconcilerSettings(settle: 2, forceAfter: 60, maxConcurrentJobs: 1)

    func file(_ name: String, size: Int64 = 100, inode: UInt64 = 1) -> ScannedFile {
        ScannedFile(name: name, path: "/inbox/x/\(name)", signature: FileSignature(size: size, modifiedNanoseconds: 5, inode: inode))
    }

    func scan(_ person: PersonName, _ files: [ScannedFile]) -> InboxScan {
        var scan = InboxScan()
        scan.persons[person] = PersonScan(person: person, files: files, skipped: [])
        return scan
    }

    func observed(_ scan: InboxScan, at time: Date, _ earlier: Observations = Observations()) -> Observations {
        var observations = earlier
        for personScan in scan.persons.values { observations.record(personScan, now: time) }
        return observations
    }

    /// A ledger that already knows these files (hash = sha256 of the name).
    func ledger(knowing files: [ScannedFile], of person: PersonName, states: [String: PhotoState] = [:]) -> LedgerSnapshot {
        var snapshot = LedgerSnapshot()
        for file in files {
            let sha = SHA256.hex(file.name)
            snapshot.files[person, default: [:]][file.name] = FileRecord(person: person, name: file.name, signature: file.signature, sha256: sha)
            snapshot.photos[person, default: [:]][sha] = PhotoRecord(person: person, sha256: sha, state: states[file.name] ?? .new,
                                                                    rejection: nil, version: nil, firstSeen: t0)
        }
        return snapshot
    }

    func job(_ id: Int64, _ person: PersonName, _ names: [String], _ state: JobState, next: Date? = nil) -> JobRecord {
        let inputs = names.map { SHA256.hex($0) }.sorted()
        return JobRecord(id: id, person: person, inputs: inputs, inputKey: PhotoSet.key(inputs), state: state, attempts: 0,
                         nextAttemptAt: next ?? t0, error: nil, version: nil, createdAt: t0, updatedAt: t0)
    }

    func testFileIsNotReadyUntilTwoLooksASettleTimeApartInAQuietFolder() {
        let inbox = scan(alice, [file("a.jpg")])
        let first = observed(inbox, at: t0)
        let activity = [alice: t0]
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: first, activity: activity, ledger: LedgerSnapshot(),
                                            settings: settings, now: t0.addingTimeInterval(1.9)), [])
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: first, activity: activity, ledger: LedgerSnapshot(),
                                            settings: settings, now: t0.addingTimeInterval(2)), [.hash(alice, file("a.jpg"))])
    }

    func testAGrowingFileRestartsItsSettleTime() {
        let early = observed(scan(alice, [file("a.jpg", size: 10)]), at: t0)
        let grown = scan(alice, [file("a.jpg", size: 20)])
        let later = observed(grown, at: t0.addingTimeInterval(3), early)
        XCTAssertEqual(Reconciler.reconcile(scan: grown, observations: later, activity: [:], ledger: LedgerSnapshot(),
                                            settings: settings, now: t0.addingTimeInterval(4)), [])
        XCTAssertEqual(Reconciler.reconcile(scan: grown, observations: later, activity: [:], ledger: LedgerSnapshot(),
                                            settings: settings, now: t0.addingTimeInterval(5)), [.hash(alice, file("a.jpg", size: 20))])
        let replaced = scan(alice, [file("a.jpg", size: 20, inode: 2)])  // same size, new inode (rename over)
        let afterReplace = observed(replaced, at: t0.addingTimeInterval(5), later)
        XCTAssertEqual(afterReplace[FileKey(person: alice, name: "a.jpg")]?.stableSince, t0.addingTimeInterval(5))
    }

    func testBusyFolderIsForcedAfterSixtySeconds() {
        let inbox = scan(alice, [file("a.jpg")])
        let seen = observed(inbox, at: t0)
        for seconds in [10.0, 59.0] {
            let busy = [alice: t0.addingTimeInterval(seconds - 0.5)]
            XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: seen, activity: busy, ledger: LedgerSnapshot(),
                                                settings: settings, now: t0.addingTimeInterval(seconds)), [])
        }
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: seen, activity: [alice: t0.addingTimeInterval(59.9)],
                                            ledger: LedgerSnapshot(), settings: settings, now: t0.addingTimeInterval(60)),
                       [.hash(alice, file("a.jpg"))])
    }

    func testThirtyPhotosCopiedAtOnceMakeOneJob() {
        let files = (0..<30).map { file("p\($0).jpg", inode: UInt64($0)) }
        let inbox = scan(alice, files)
        let known = ledger(knowing: files, of: alice)
        let actions = Reconciler.reconcile(scan: inbox, observations: observed(inbox, at: t0), activity: [:], ledger: known,
                                           settings: settings, now: t0.addingTimeInterval(10))
        XCTAssertEqual(actions, [.enqueue(alice, inputs: files.map { SHA256.hex($0.name) }.sorted())])
    }

    func testNoJobWhileAnyFileOfThePersonIsUnsettled() {
        let settled = [file("a.jpg")]
        let inbox = scan(alice, settled + [file("b.jpg", inode: 2)])
        var seen = observed(scan(alice, settled), at: t0)
        seen = observed(inbox, at: t0.addingTimeInterval(9), seen)
        let actions = Reconciler.reconcile(scan: inbox, observations: seen, activity: [:], ledger: ledger(knowing: settled, of: alice),
                                           settings: settings, now: t0.addingTimeInterval(10))
        XCTAssertEqual(actions, [])
    }

    func testDuplicateContentUnderTwoNamesIsOnePhoto() {
        let files = [file("a.jpg"), file("copy.jpg", inode: 2)]
        var known = ledger(knowing: files, of: alice)
        known.files[alice]!["copy.jpg"]!.sha256 = SHA256.hex("a.jpg")
        let actions = Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                           settings: settings, now: t0)
        XCTAssertEqual(actions, [.enqueue(alice, inputs: [SHA256.hex("a.jpg")])])
    }

    func testRejectedPhotosAndPublishedSetsMakeNoJob() {
        let files = [file("a.jpg"), file("bad.jpg", inode: 2)]
        var known = ledger(knowing: files, of: alice, states: ["a.jpg": .ingested, "bad.jpg": .rejected])
        known.versions[alice] = [VersionRecord(person: alice, number: 1, acceptedKey: PhotoSet.key([SHA256.hex("a.jpg")]),
                                               jobID: 1, publishedAt: t0)]
        known.latest[alice] = 1
        XCTAssertEqual(Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                            settings: settings, now: t0), [])
        // The same set as an older version: point latest back at it instead of building again.
        known.versions[alice]!.append(VersionRecord(person: alice, number: 2, acceptedKey: "other", jobID: 2, publishedAt: t0))
        known.latest[alice] = 2
        XCTAssertEqual(Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                            settings: settings, now: t0), [.pointLatest(alice, version: 1)])
    }

    func testExistingOrFailedJobForTheSameSetIsNotRepeated() {
        let files = [file("a.jpg")]
        for state in [JobState.running, .failed] {
            var known = ledger(knowing: files, of: alice)
            known.openJobs = [job(7, alice, ["a.jpg"], state)]
            XCTAssertEqual(Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                                settings: settings, now: t0), [], "\(state)")
        }
    }

    /// A job that failed for good is retried at once when something asked after its failure (an
    /// event in the folder, `likeness build`), after the restart backoff when it failed before the
    /// daemon started, and superseded once its set is no longer wanted.
    func testFailedJobIsRetriedWhenAskedOrAfterARestartAndSupersededWhenUnwanted() {
        let files = [file("a.jpg")]
        var known = ledger(knowing: files, of: alice)
        var failed = job(7, alice, ["a.jpg"], .failed)
        failed.updatedAt = t0
        failed.rounds = 2
        known.openJobs = [failed]
        let now = t0.addingTimeInterval(10)
        func reconcile(_ requests: [PersonName: Date] = [:], startedAt: Date = .distantPast) -> [Action] {
            Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                 settings: settings, now: now, retryRequests: requests, startedAt: startedAt)
        }
        XCTAssertEqual(reconcile(), [], "nothing asked, no restart")
        XCTAssertEqual(reconcile([alice: t0.addingTimeInterval(-1)]), [], "asked before it failed")
        XCTAssertEqual(reconcile([bob: now]), [], "another person's event")
        XCTAssertEqual(reconcile([alice: t0.addingTimeInterval(5)]), [.retry(jobID: 7, at: now)])
        // Third round after a restart: base 30 s · 2^2 after the failure.
        XCTAssertEqual(reconcile(startedAt: t0.addingTimeInterval(1)), [.retry(jobID: 7, at: t0.addingTimeInterval(120))])
        XCTAssertEqual(reconcile(startedAt: t0.addingTimeInterval(-1)), [], "failed while this daemon ran")
        let more = files + [file("b.jpg", inode: 2)]
        var grown = ledger(knowing: more, of: alice)
        grown.openJobs = [failed]
        XCTAssertEqual(Reconciler.reconcile(scan: scan(alice, more), observations: Observations(), activity: [:], ledger: grown,
                                            settings: settings, now: now, retryRequests: [alice: now]),
                       [.enqueue(alice, inputs: [SHA256.hex("a.jpg"), SHA256.hex("b.jpg")].sorted()), .supersede(jobID: 7)])
    }

    func testStaleQueuedJobIsSupersededAndNewOneQueued() {
        let files = [file("a.jpg"), file("b.jpg", inode: 2)]
        var known = ledger(knowing: files, of: alice)
        known.openJobs = [job(3, alice, ["a.jpg"], .queued)]
        let actions = Reconciler.reconcile(scan: scan(alice, files), observations: Observations(), activity: [:], ledger: known,
                                           settings: settings, now: t0)
        XCTAssertEqual(actions, [.enqueue(alice, inputs: [SHA256.hex("a.jpg"), SHA256.hex("b.jpg")].sorted()), .supersede(jobID: 3)])
    }

    func testJobsStartWithinTheLimitOnePerPersonWhenDue() {
        let aliceFiles = [file("a.jpg")], bobFiles = [file("b.jpg", inode: 2)]
        var inbox = scan(alice, aliceFiles)
        inbox.persons[bob] = PersonScan(person: bob, files: bobFiles, skipped: [])
        var known = ledger(knowing: aliceFiles, of: alice)
        let bobLedger = ledger(knowing: bobFiles, of: bob)
        known.files[bob] = bobLedger.files[bob]
        known.photos[bob] = bobLedger.photos[bob]
        known.openJobs = [job(1, alice, ["a.jpg"], .queued), job(2, bob, ["b.jpg"], .queued)]
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: Observations(), activity: [:], ledger: known,
                                            settings: settings, now: t0), [.start(jobID: 1)])
        var two = settings
        two.maxConcurrentJobs = 2
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: Observations(), activity: [:], ledger: known,
                                            settings: two, now: t0), [.start(jobID: 1), .start(jobID: 2)])
        known.openJobs[0] = job(1, alice, ["a.jpg"], .queued, next: t0.addingTimeInterval(30))  // waiting for its retry
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: Observations(), activity: [:], ledger: known,
                                            settings: two, now: t0), [.start(jobID: 2)])
        known.openJobs.append(job(3, bob, ["x"], .running))
        XCTAssertEqual(Reconciler.reconcile(scan: inbox, observations: Observations(), activity: [:], ledger: known,
                                            settings: two, now: t0.addingTimeInterval(31)), [.start(jobID: 1)])
    }

    func testQueuedJobOfAVanishedFolderIsSuperseded() {
        var known = LedgerSnapshot()
        known.openJobs = [job(4, alice, ["a.jpg"], .queued)]
        XCTAssertEqual(Reconciler.reconcile(scan: InboxScan(), observations: Observations(), activity: [:], ledger: known,
                                            settings: settings, now: t0), [.supersede(jobID: 4)])
        let restricted = ledger(knowing: [file("a.jpg")], of: alice).restricted(to: bob)
        XCTAssertEqual(Reconciler.reconcile(scan: scan(bob, []), observations: Observations(), activity: [:], ledger: restricted,
                                            settings: settings, now: t0), [], "another person's files are out of scope")
    }

    func testRemovedFilesAndFoldersAreForgotten() {
        let files = [file("a.jpg"), file("gone.jpg", inode: 2)]
        let known = ledger(knowing: files, of: alice)
        XCTAssertEqual(Reconciler.reconcile(scan: scan(alice, [file("a.jpg")]), observations: Observations(), activity: [:],
                                            ledger: known, settings: settings, now: t0), [.forget(alice, name: "gone.jpg")])
        XCTAssertEqual(Reconciler.reconcile(scan: InboxScan(), observations: Observations(), activity: [:], ledger: known,
                                            settings: settings, now: t0),
                       [.forget(alice, name: "a.jpg"), .forget(alice, name: "gone.jpg")])
    }
}
