import Foundation
import Logging
import XCTest
@testable import Daemon
@testable import Library

/// The daemon end to end in this process: inotify, the ledger, jobs with the test stage and
/// publishing, with a 0.2 s settle time.
final class WatchServiceTests: XCTestCase {
    var root: URL!
    var inbox: URL { root.appendingPathComponent("Inbox") }
    var library: URL { root.appendingPathComponent("Library") }
    let alice = try! PersonName("alice")
    let bob = try! PersonName("bob")

    override func setUpWithError() throws {
        root = try Fixture.folder("watch")
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("alice"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func configuration() -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.inbox = inbox.path
        configuration.library = library.path
        configuration.settleSeconds = 0.2
        configuration.forceAfterSeconds = 2
        configuration.retryBaseSeconds = 0.05
        configuration.rescanIntervalSeconds = 30
        configuration.shutdownGraceSeconds = 5
        return configuration
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.daemon")
        logger.logLevel = ProcessInfo.processInfo.environment["LIKENESS_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }

    /// Runs the service on a background thread; returns a function that stops it and waits.
    func startService(_ configuration: DaemonConfiguration, stage: BundleStage,
                      useInotify: Bool = true) throws -> () -> Void {
        let shutdown = ShutdownSignal()
        let service = try WatchService(configuration: configuration,
                                       executor: InProcessExecutor(stage: stage, logger: Self.quietLogger),
                                       logger: Self.quietLogger, shutdown: shutdown, useInotify: useInotify)
        let done = DispatchSemaphore(value: 0)
        let failure = NSLock()
        let box = ErrorBox()
        Thread {
            do { try service.run() } catch { failure.withLock { box.error = error } }
            done.signal()
        }.start()
        return {
            shutdown.request()
            done.wait()
            if let error = failure.withLock({ box.error }) { XCTFail("service failed: \(error)") }
        }
    }

    func ledger() throws -> Ledger { try Ledger(url: LibraryLayout(root: library).ledgerURL, readOnly: true) }

    func latestManifest(_ person: PersonName) throws -> BundleManifest? {
        let url = LibraryLayout(root: library).latestLink(person).appendingPathComponent("manifest.json")
        return FileManager.default.contents(atPath: url.path).flatMap { try? BundleManifest.decode($0) }
    }

    /// What the stage reports reaches the ledger and status.json while the job runs (stage, step,
    /// percent), and is gone from the status once the job is done.
    func testRunningJobsProgressReachesTheStatusFile() throws {
        let stop = try startService(configuration(), stage: TestStage(delay: 0.6))
        defer { stop() }
        for index in 0..<3 {
            try Fixture.copyIn(Fixture.photo("alice-\(index)"), to: inbox.appendingPathComponent("alice/p\(index).jpg"))
        }
        let statusFile = LibraryLayout(root: library).statusFile(alice)
        func status() -> PersonStatus? {
            FileManager.default.contents(atPath: statusFile.path).flatMap { try? JSONDecoder().decode(PersonStatus.self, from: $0) }
        }
        XCTAssertTrue(try Fixture.wait(20) { status()?.jobs.first?.progress?.step == 1 })
        let running = try XCTUnwrap(status()?.jobs.first)
        XCTAssertEqual(running.state, "running")
        XCTAssertEqual(running.progress, JobProgress(.reconstruction, step: 1, of: 3))
        XCTAssertEqual(running.progress?.percent, 65, "reconstruction spans 60…75 %: a third of it done")
        XCTAssertEqual(try ledger().progress(of: running.id), JobProgress(.reconstruction, step: 1, of: 3))
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice) != nil })
        XCTAssertTrue(try Fixture.wait(5) { status()?.jobs.isEmpty == true })
        XCTAssertEqual(try latestManifest(alice)?.files.map(\.path).filter { $0.contains("progress") }, [])
    }

    func testPhotosCopiedInWhileRunningArePublishedOnceEach() throws {
        let stop = try startService(configuration(), stage: TestStage())
        var stopped = false
        defer { if !stopped { stop() } }
        let aliceFolder = inbox.appendingPathComponent("alice")
        var good: [String] = []
        for index in 0..<12 {
            let data = Fixture.photo("alice-\(index)")
            good.append(SHA256.hex(data))
            try Fixture.copyIn(data, to: aliceFolder.appendingPathComponent("p\(index).jpg"))
        }
        try Fixture.photo("alice-0").write(to: aliceFolder.appendingPathComponent("duplicate of p0.jpg"))
        try Data("this is not a photo".utf8).write(to: aliceFolder.appendingPathComponent("notes.jpg"))
        try Data("BOMB".utf8).write(to: aliceFolder.appendingPathComponent("bomb.png"))
        try Data("half".utf8).write(to: aliceFolder.appendingPathComponent("download.jpg.crdownload"))
        // A person folder created while the daemon runs, with files already in it when it is seen.
        let bobStaging = root.appendingPathComponent("bob-staging")
        try FileManager.default.createDirectory(at: bobStaging, withIntermediateDirectories: true)
        for index in 0..<3 { try Fixture.photo("bob-\(index)").write(to: bobStaging.appendingPathComponent("b\(index).jpg")) }
        try FileManager.default.moveItem(at: bobStaging, to: inbox.appendingPathComponent("bob"))

        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice)?.accepted.count == 12 && latestManifest(bob) != nil })
        let first = try XCTUnwrap(latestManifest(alice))
        XCTAssertEqual(first.version, 1)
        XCTAssertEqual(first.accepted, good.sorted())
        XCTAssertEqual(Set(first.rejected.map(\.name)), ["notes.jpg", "bomb.png"])
        XCTAssertEqual(try latestManifest(bob)?.accepted.count, 3)
        XCTAssertEqual(try ledger().versions(of: alice).count, 1)
        XCTAssertEqual(try ledger().jobs(in: [.succeeded, .queued, .running, .failed]).filter { $0.person == alice }.count, 1,
                       "12 photos copied at once make one job")

        let status = try JSONDecoder().decode(PersonStatus.self, from: Data(contentsOf: LibraryLayout(root: library).statusFile(alice)))
        XCTAssertEqual(status.latestVersion, 1)
        XCTAssertEqual(status.rejected.map(\.reason).sorted(), ["not-an-image", "too-large"])
        XCTAssertEqual(status.rejected.map(\.file).sorted(), ["bomb.png", "notes.jpg"])

        // Two more photos: one more version with all fourteen.
        for index in 12..<14 {
            try Fixture.copyIn(Fixture.photo("alice-\(index)"), to: aliceFolder.appendingPathComponent("p\(index).jpg"))
        }
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice)?.version == 2 })
        XCTAssertEqual(try latestManifest(alice)?.accepted.count, 14)
        let before = try Fixture.fingerprint(inbox)

        // A rename changes no photo; a deletion does.
        try FileManager.default.moveItem(at: aliceFolder.appendingPathComponent("p1.jpg"), to: aliceFolder.appendingPathComponent("renamed.jpg"))
        XCTAssertTrue(try Fixture.wait(10) { try ledger().files(of: alice).contains { $0.name == "renamed.jpg" } })
        usleep(300_000)
        XCTAssertEqual(try latestManifest(alice)?.version, 2)
        try FileManager.default.removeItem(at: aliceFolder.appendingPathComponent("p2.jpg"))
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice)?.version == 3 })
        XCTAssertEqual(try latestManifest(alice)?.accepted.count, 13)
        // Putting the deleted photo back gives v0002's set again: latest goes back to it, nothing is rebuilt.
        try Fixture.copyIn(Fixture.photo("alice-2"), to: aliceFolder.appendingPathComponent("p2 again.jpg"))
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice)?.version == 2 })
        stop()
        stopped = true

        // Every file the test did not touch is byte-identical with the same mtime (folders aside).
        let after = try Fixture.fingerprint(inbox)
        for (path, print) in before where !["alice/p1.jpg", "alice/p2.jpg"].contains(path) && !print.hasPrefix("mode") {
            XCTAssertEqual(after[path], print, path)
        }
        XCTAssertEqual(after["alice/renamed.jpg"], before["alice/p1.jpg"])
        XCTAssertEqual(after.keys.filter { $0.hasPrefix("alice/") }.count, before.keys.filter { $0.hasPrefix("alice/") }.count)
        XCTAssertEqual(BundleVerifier(layout: LibraryLayout(root: library)).verifyAll().problems, [])
        XCTAssertEqual(try ledger().integrityCheck(), "ok")
        XCTAssertEqual(LibraryLayout(root: library).versionsOnDisk(alice), [1, 2, 3])
    }

    func testFailedJobsRetryWithBackoffThenStopWithTheError() throws {
        var configuration = configuration()
        configuration.maxAttempts = 3
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        let flaky = TestStage(failures: 2)
        var stop = try startService(configuration, stage: flaky)
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice) != nil })
        stop()
        XCTAssertEqual(flaky.builds, 3)
        let job = try XCTUnwrap(ledger().jobs(in: [.succeeded]).first)
        XCTAssertEqual(job.attempts, 3)

        try Fixture.photo("b").write(to: inbox.appendingPathComponent("alice/b.jpg"))
        configuration.maxAttempts = 2
        let broken = TestStage(failures: 100)
        stop = try startService(configuration, stage: broken)
        XCTAssertTrue(Fixture.wait(20) { (try? ledger().jobs(in: [.failed]).isEmpty) == false })
        usleep(500_000)
        stop()
        XCTAssertEqual(broken.builds, 2, "no attempt after the last one")
        let failed = try XCTUnwrap(ledger().jobs(in: [.failed]).first)
        XCTAssertEqual(failed.error, "test stage failure")
        XCTAssertEqual(failed.attempts, 2)
        XCTAssertGreaterThanOrEqual(failed.updatedAt.timeIntervalSince(failed.createdAt), 0.05, "waited for the backoff")
        let status = try PersonStatus.build(alice, ledger: ledger())
        XCTAssertEqual(status.jobs.first?.state, "failed")
        XCTAssertEqual(status.latestVersion, 1)
    }

    /// A job that failed for good runs again after a restart (past the restart backoff) and on a
    /// new event in the person's folder (`touch`), not otherwise; once it publishes, status shows
    /// no failed job next to the version.
    func testFailedJobIsRetriedAfterARestartAndOnANewEvent() throws {
        var configuration = configuration()
        configuration.maxAttempts = 1
        let photo = inbox.appendingPathComponent("alice/a.jpg")
        try Fixture.photo("a").write(to: photo)
        let broken = TestStage(failures: 100)
        var stop = try startService(configuration, stage: broken)
        XCTAssertTrue(Fixture.wait(20) { (try? ledger().jobs(in: [.failed]).isEmpty) == false })
        stop()
        XCTAssertEqual(broken.builds, 1)

        let flaky = TestStage(failures: 1)
        stop = try startService(configuration, stage: flaky)
        XCTAssertTrue(Fixture.wait(20) { flaky.builds == 1 && (try? ledger().jobs(in: [.failed]).isEmpty) == false },
                      "retried after the restart")
        usleep(800_000)
        XCTAssertEqual(flaky.builds, 1, "failed again while this daemon runs: waits for a request")
        XCTAssertEqual(try ledger().jobs(in: [.failed]).first?.rounds, 1)
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: photo.path)
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(alice) != nil }, "retried on the event")
        stop()
        XCTAssertEqual(flaky.builds, 2)
        let job = try XCTUnwrap(ledger().jobs(in: [.succeeded]).first)
        XCTAssertEqual(job.rounds, 2)
        let status = try PersonStatus.build(alice, ledger: ledger())
        XCTAssertEqual(status.latestVersion, 1)
        XCTAssertEqual(status.jobs, [])
    }

    /// A person named in Unicode publishes into a safe Library folder with the name kept in the
    /// manifest; refused entries (a loose file, an emoji folder, a sub-folder) are in the status
    /// files with what to do, and leave them once fixed.
    func testUnicodeNamesPublishAndRefusalsReachTheStatusFiles() throws {
        let jose = try PersonName("José María")
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent(jose.value), withIntermediateDirectories: true)
        try Fixture.photo("j").write(to: inbox.appendingPathComponent("José María/j.jpg"))
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("🎉"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("alice/old"), withIntermediateDirectories: true)
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        let stop = try startService(configuration(), stage: TestStage())
        try Fixture.photo("loose").write(to: inbox.appendingPathComponent("loose.jpg"))
        XCTAssertTrue(try Fixture.wait(20) { try latestManifest(jose) != nil && latestManifest(alice) != nil })
        let inboxStatus = library.appendingPathComponent(InboxStatus.fileName)
        func refused() -> [String] {
            (FileManager.default.contents(atPath: inboxStatus.path).flatMap { try? JSONDecoder().decode(InboxStatus.self, from: $0) })?
                .refused.map(\.entry) ?? []
        }
        XCTAssertTrue(Fixture.wait(10) { refused() == ["loose.jpg", "🎉"] }, "\(refused())")
        let aliceStatus = try JSONDecoder().decode(PersonStatus.self, from: Data(contentsOf: LibraryLayout(root: library).statusFile(alice)))
        XCTAssertEqual(aliceStatus.refused.map(\.entry), ["alice/old"])
        XCTAssertTrue(aliceStatus.refused[0].advice.contains("move its photos up"))
        try FileManager.default.removeItem(at: inbox.appendingPathComponent("loose.jpg"))
        XCTAssertTrue(Fixture.wait(10) { refused() == ["🎉"] }, "\(refused())")
        stop()

        XCTAssertEqual(try latestManifest(jose)?.person, "José María")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: library.path).filter { !$0.hasPrefix(".") }.sorted(),
                       ["alice", jose.folderName, InboxStatus.fileName].sorted())
        XCTAssertTrue(jose.folderName.hasPrefix("Jose-Maria-"))
        XCTAssertEqual(LibraryLayout(root: library).persons(), [alice, jose].sorted(), "the folder maps back to the name")
        XCTAssertEqual(BundleVerifier(layout: LibraryLayout(root: library)).verifyAll().problems, [])
    }

    func testStartupRecoveryCleansStagingAdoptsVersionsAndRepairsLatest() throws {
        let layout = LibraryLayout(root: library)
        let publisher = Publisher(layout: layout)
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        // A crash after the rename to v0001 but before the ledger heard of it, with a torn staging folder beside it.
        let data = Fixture.photo("a")
        try data.write(to: inbox.appendingPathComponent("alice/a.jpg"))
        let staging = try publisher.makeStagingDirectory(for: alice, jobID: 1)
        try Data("x".utf8).write(to: staging.appendingPathComponent("photos.txt"))
        let draft = BundleDraft(person: alice, jobID: 1, inputs: [SHA256.hex(data)], accepted: [SHA256.hex(data)], rejected: [],
                                stage: "test-stage-1", models: [], statistics: [:])
        _ = try publisher.publish(staging: staging, draft: draft)
        let torn = try publisher.makeStagingDirectory(for: alice, jobID: 2)
        try Data("half".utf8).write(to: torn.appendingPathComponent("head.glb"))

        let stage = TestStage()
        let stop = try startService(configuration(), stage: stage)
        XCTAssertTrue(try Fixture.wait(10) { layout.latestOnDisk(alice) == 1 })
        usleep(800_000)
        stop()
        XCTAssertFalse(FileManager.default.fileExists(atPath: torn.path))
        XCTAssertEqual(try ledger().versions(of: alice).map(\.number), [1])
        XCTAssertEqual(stage.builds, 0, "the adopted version already holds this photo set")
        XCTAssertEqual(try ledger().photos(of: alice).map(\.state), [.ingested])
    }

    func testSecondDaemonOnTheSameLibraryIsRefused() throws {
        let stop = try startService(configuration(), stage: TestStage())
        defer { stop() }
        XCTAssertTrue(Fixture.wait(5) { FileManager.default.fileExists(atPath: LibraryLayout(root: library).ledgerURL.path) })
        usleep(200_000)
        let second = try WatchService(configuration: configuration(), executor: InProcessExecutor(stage: TestStage(), logger: Self.quietLogger),
                                      logger: Self.quietLogger, useInotify: false)
        XCTAssertThrowsError(try second.open()) { error in
            XCTAssertTrue("\(error)".contains("another likeness process"), "\(error)")
        }
    }

    /// A bundle must be self-contained: a stage that leaves a symlink (here to a file outside the
    /// Library) gets its job failed at publishing, retried, then stopped; nothing is published.
    func testPublishingErrorIsAFailedAttempt() throws {
        var configuration = configuration()
        configuration.maxAttempts = 2
        try Fixture.photo("a").write(to: inbox.appendingPathComponent("alice/a.jpg"))
        let stop = try startService(configuration, stage: SymlinkStage())
        XCTAssertTrue(Fixture.wait(20) { (try? ledger().jobs(in: [.failed]).isEmpty) == false })
        stop()
        let failed = try XCTUnwrap(ledger().jobs(in: [.failed]).first)
        XCTAssertTrue(failed.error?.hasPrefix("publishing failed") == true, failed.error ?? "")
        XCTAssertEqual(failed.attempts, 2)
        let layout = LibraryLayout(root: library)
        XCTAssertEqual(layout.versionsOnDisk(alice), [])
        XCTAssertEqual(layout.stagingLeftovers(), [])
    }

    /// Events lost in a queue overflow are made up for by a full rescan.
    func testQueueOverflowRescansEverything() throws {
        var configuration = configuration()
        configuration.settleSeconds = 0.05
        let service = try WatchService(configuration: configuration, executor: InProcessExecutor(stage: TestStage(), logger: Self.quietLogger),
                                       logger: Self.quietLogger, useInotify: false)
        try service.open()
        defer { service.close() }
        var clock = Date()
        func tick() { clock = clock.addingTimeInterval(0.1); service.step(now: clock) }
        tick()
        try Fixture.photo("unnoticed").write(to: inbox.appendingPathComponent("alice/unnoticed.jpg"))
        for _ in 0..<5 { tick() }
        XCTAssertEqual(try service.ledger.files().count, 0, "no event, no rescan yet")
        service.handle([WatchEvent.overflow], now: clock)
        for _ in 0..<5 { tick() }
        // The file is hashed off the loop: ticks record it once the hasher is done.
        let deadline = Date().addingTimeInterval(10)
        while try service.ledger.files().isEmpty && Date() < deadline { usleep(10_000); tick() }
        XCTAssertEqual(try service.ledger.files().map(\.name), ["unnoticed.jpg"])
    }

    func testLibraryInsideInboxIsRefused() throws {
        var configuration = configuration()
        configuration.library = inbox.appendingPathComponent("Library").path
        let service = try WatchService(configuration: configuration, executor: InProcessExecutor(stage: TestStage(), logger: Self.quietLogger),
                                       logger: Self.quietLogger)
        XCTAssertThrowsError(try service.open()) { XCTAssertTrue($0 is ConfigurationError) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.library))
    }
}

final class ErrorBox: @unchecked Sendable {
    var error: Error?
}

/// Accepts every photo but leaves a symlink in the bundle.
struct SymlinkStage: BundleStage {
    let name = "symlink-stage"

    func build(_ request: StageRequest) throws -> StageOutput {
        try FileManager.default.createSymbolicLink(atPath: request.buildDirectory.appendingPathComponent("leak").path,
                                                   withDestinationPath: "/etc/hostname")
        return StageOutput(stage: name, accepted: request.photos.map(\.sha256), rejected: [], models: [], statistics: [:])
    }
}
