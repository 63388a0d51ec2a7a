import Foundation
import Logging
import XCTest
@testable import Daemon
@testable import Library

/// SIGKILLs the daemon at random moments while photos arrive, then checks that nothing was lost
/// or duplicated and nothing is torn. The daemon runs in a separate process: this same test
/// executable, running `testDaemonHost` with `LIKENESS_DAEMON_HOST` set.
/// The short variant runs in the suite; `Scripts/crash_soak` runs the long one
/// (`LIKENESS_CRASH_SOAK=1`, sizes from `LIKENESS_CRASH_*`).
final class CrashTests: XCTestCase {
    /// The daemon process of the crash test (skipped unless started by it).
    func testDaemonHost() throws {
        guard let configPath = ProcessInfo.processInfo.environment["LIKENESS_DAEMON_HOST"] else {
            throw XCTSkip("only runs as the daemon process started by the crash test")
        }
        let delay = Double(ProcessInfo.processInfo.environment["LIKENESS_DAEMON_DELAY"] ?? "") ?? 0.01
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "crash.host")
        logger.logLevel = .info
        let shutdown = ShutdownSignal()
        shutdown.installSignalHandlers()
        let executor: JobExecutor
        if let binary = ProcessInfo.processInfo.environment["LIKENESS_DAEMON_JOB_BINARY"] {
            executor = ChildProcessExecutor(executable: URL(fileURLWithPath: binary), arguments: ["build-job"])
        } else if let script = ProcessInfo.processInfo.environment["LIKENESS_DAEMON_CHILD_SCRIPT"] {
            executor = ChildProcessExecutor(executable: URL(fileURLWithPath: script), arguments: [])
        } else {
            executor = InProcessExecutor(stage: TestStage(delay: delay), logger: logger)
        }
        let service = try WatchService(configuration: try DaemonConfiguration.load(from: URL(fileURLWithPath: configPath)),
                                       executor: executor, logger: logger, shutdown: shutdown)
        try service.run()
    }

    /// A job child process of the crash test's daemon (skipped unless started by it): the same
    /// `JobProcess` as `likeness build-job`, with the test stage.
    func testJobHost() throws {
        guard let spec = ProcessInfo.processInfo.environment["LIKENESS_JOB_SPEC"] else {
            throw XCTSkip("only runs as a job process started by the crash test's daemon")
        }
        let delay = Double(ProcessInfo.processInfo.environment["LIKENESS_DAEMON_DELAY"] ?? "") ?? 0.01
        exit(JobProcess.main(specPath: spec, stage: TestStage(delay: delay), logger: Logger(label: "crash.job")))
    }

    func testShortCrashRun() throws {
        let inProcess = try CrashRun(persons: 3, photos: 40, kills: 4, seed: 0x5eed, childProcesses: false).execute()
        print("crash test (short, jobs in the daemon): \(inProcess)")
        let children = try CrashRun(persons: 3, photos: 30, kills: 3, seed: 0xc41d, childProcesses: true).execute()
        print("crash test (short, jobs in child processes): \(children)")
    }

    func testLongCrashSoak() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["LIKENESS_CRASH_SOAK"] == "1" else { throw XCTSkip("long soak: run Scripts/crash_soak") }
        let run = CrashRun(persons: Int(environment["LIKENESS_CRASH_PERSONS"] ?? "") ?? 6,
                           photos: Int(environment["LIKENESS_CRASH_PHOTOS"] ?? "") ?? 240,
                           kills: Int(environment["LIKENESS_CRASH_KILLS"] ?? "") ?? 25,
                           seed: UInt64(environment["LIKENESS_CRASH_SEED"] ?? "") ?? 42,
                           childProcesses: environment["LIKENESS_CRASH_CHILD"] != "0",
                           realPhotos: environment["LIKENESS_CRASH_REAL_PHOTOS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) })
        let figures = try run.execute(timeout: 600)
        print("crash soak: \(figures)")
    }
}

/// A deterministic random source (SplitMix64) so a failing run can be repeated with its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}

/// One crash run: feed `photos` files (about 12 % not images, 3 % bombs, 5 % duplicates) to
/// `persons` folders in bursts while killing the daemon `kills` times, then let a final daemon
/// finish, stop it with SIGTERM and check every invariant.
struct CrashRun {
    let persons: Int
    let photos: Int
    let kills: Int
    let seed: UInt64
    /// Jobs in child processes (as `likeness watch` runs them) rather than in the daemon process.
    let childProcesses: Bool
    /// With a folder of photos: its JPEG/PNG files are the good photos and the jobs are the real
    /// `likeness build-job` with the production stage (which may also reject a photo, e.g. no face).
    var realPhotos: URL? = nil

    struct Figures: CustomStringConvertible {
        var persons = 0, files = 0, distinctPhotos = 0, ingested = 0, rejected = 0, kills = 0, versions = 0, jobs = 0
        var interruptedJobs = 0, adopted = 0, stagingRemoved = 0, seconds = 0.0
        var childProcesses = false
        var description: String {
            "jobs in \(childProcesses ? "child processes" : "the daemon"): \(kills) SIGKILLs, \(files) files (\(distinctPhotos) distinct photos) over \(persons) persons: "
                + "\(ingested) ingested + \(rejected) rejected, \(versions) versions from \(jobs) jobs, "
                + "\(interruptedJobs) job interruptions, \(adopted) versions adopted after a crash, "
                + "\(stagingRemoved) staging leftovers removed, \(String(format: "%.1f", seconds)) s; "
                + "no photo lost, no duplicate version, verify ok, integrity_check ok"
        }
    }

    func execute(timeout: TimeInterval = 120) throws -> Figures {
        let started = Date()
        var random = SplitMix(state: seed)
        let root = try Fixture.folder("crash")
        defer { if ProcessInfo.processInfo.environment["LIKENESS_CRASH_KEEP"] == nil { try? FileManager.default.removeItem(at: root) } }
        let inbox = root.appendingPathComponent("Inbox"), library = root.appendingPathComponent("Library")
        let names = (0..<persons).map { "person\($0)" }
        for name in names { try FileManager.default.createDirectory(at: inbox.appendingPathComponent(name), withIntermediateDirectories: true) }
        var configuration = DaemonConfiguration()
        configuration.inbox = inbox.path
        configuration.library = library.path
        configuration.settleSeconds = 0.2
        configuration.forceAfterSeconds = 1
        configuration.retryBaseSeconds = 0.1
        configuration.shutdownGraceSeconds = 10
        let configURL = root.appendingPathComponent("config.json")
        try JSONEncoder().encode(configuration).write(to: configURL)
        let log = root.appendingPathComponent("daemon.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        var childScript: URL?
        if childProcesses {
            // The executor appends `--spec <file>`; the script hands the file to the job host test.
            let script = root.appendingPathComponent("job.sh")
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            try Data("#!/bin/sh\nexport LIKENESS_JOB_SPEC=\"$2\"\nexec '\(executable)' DaemonTests.CrashTests/testJobHost\n".utf8).write(to: script)
            chmod(script.path, 0o755)
            childScript = script
        }
        let jobBinary = realPhotos == nil ? nil
            : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("likeness")
        let host = DaemonHost(config: configURL, log: log, photoDelay: 0.03, childScript: childScript, jobBinary: jobBinary)

        let realSources = try realPhotos.map { folder in
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.map { folder.appendingPathComponent($0) }
        } ?? []
        // What was written: path → (sha256, expected to be accepted).
        var written: [String: (sha: String, good: Bool)] = [:]
        var killsDone = 0
        try host.start()
        let bursts = max(1, photos / 4)
        while written.count < photos || killsDone < kills {
            if written.count < photos {
                let person = names[Int.random(in: 0..<persons, using: &random)]
                for _ in 0..<min(photos - written.count, Int.random(in: 1...7, using: &random)) {
                    let index = written.count
                    let roll = Int.random(in: 0..<100, using: &random)
                    let data: Data, good: Bool
                    if roll < 12 { data = Data("corrupt \(index) \(seed)".utf8); good = false }
                    else if roll < 15 { data = Data("BOMB \(index) \(seed)".utf8); good = false }
                    else if roll < 20, let earlier = written.first(where: { $0.key.hasPrefix(person + "/") && $0.value.good }) {
                        data = try Data(contentsOf: inbox.appendingPathComponent(earlier.key)); good = true
                    } else if !realSources.isEmpty {
                        data = try Data(contentsOf: realSources[index % realSources.count]); good = true
                    } else { data = Fixture.photo("\(seed)-\(index)"); good = true }
                    let path = "\(person)/photo\(index).jpg"
                    try Fixture.copyIn(data, to: inbox.appendingPathComponent(path))
                    written[path] = (SHA256.hex(data), good)
                }
            }
            usleep(UInt32.random(in: 30_000...400_000, using: &random))
            let killChance = written.count >= photos ? 1.0 : Double(kills) / Double(bursts)
            if killsDone < kills && Double.random(in: 0..<1, using: &random) < killChance {
                if written.count >= photos { usleep(UInt32.random(in: 100_000...900_000, using: &random)) }
                try host.kill()
                killsDone += 1
                try host.start()
            }
        }
        let fingerprint = try Fixture.fingerprint(inbox)

        // Let the last daemon finish, then stop it gracefully.
        let layout = LibraryLayout(root: library)
        _ = host.waitUntilWatching(timeout: 30)
        let settled = try Fixture.wait(timeout) { try isSettled(written: written, layout: layout) }
        let status = try host.terminate()
        guard settled else { throw CrashCheckFailure("the daemon did not settle within \(timeout) s; log: \(log.path)") }
        guard status == 0 else { throw CrashCheckFailure("graceful shutdown exited with \(status)") }

        // Invariants.
        guard try Fixture.fingerprint(inbox) == fingerprint else { throw CrashCheckFailure("the inbox changed") }
        for (path, entry) in written where try SHA256.hex(Data(contentsOf: inbox.appendingPathComponent(path))) != entry.sha {
            throw CrashCheckFailure("\(path) changed")
        }
        let ledger = try Ledger(url: layout.ledgerURL, readOnly: true)
        guard try ledger.integrityCheck() == "ok" else { throw CrashCheckFailure("integrity_check failed") }
        let verification = BundleVerifier(layout: layout).verifyAll()
        guard verification.problems.isEmpty else { throw CrashCheckFailure("verify: \(verification.problems)") }
        guard layout.stagingLeftovers().isEmpty else { throw CrashCheckFailure("staging leftovers after shutdown") }
        var figures = Figures()
        let photos = try ledger.photos()
        var rowsPerPhoto: [String: Int] = [:]
        for photo in photos { rowsPerPhoto["\(photo.person)/\(photo.sha256)", default: 0] += 1 }
        for (path, entry) in written {
            let person = String(path.split(separator: "/")[0])
            let rows = photos.filter { $0.person.value == person && $0.sha256 == entry.sha }
            guard rows.count == 1, let row = rows.first else { throw CrashCheckFailure("\(path): \(rows.count) ledger rows") }
            let expected: Set<PhotoState> = entry.good ? (realPhotos == nil ? [.ingested] : [.ingested, .rejected]) : [.rejected]
            guard expected.contains(row.state) else { throw CrashCheckFailure("\(path) is \(row.state)") }
        }
        guard rowsPerPhoto.values.allSatisfy({ $0 == 1 }) else { throw CrashCheckFailure("a photo has two rows") }
        for name in names {
            let person = try PersonName(name)
            let versions = try ledger.versions(of: person)
            guard versions.map(\.number) == layout.versionsOnDisk(person) else {
                throw CrashCheckFailure("\(name): ledger versions \(versions.map(\.number)) ≠ disk \(layout.versionsOnDisk(person))")
            }
            guard Set(versions.map(\.acceptedKey)).count == versions.count else { throw CrashCheckFailure("\(name): two versions with one input set") }
            let manifests = try versions.map { try BundleManifest.decode(Data(contentsOf: layout.versionDirectory(person, $0.number).appendingPathComponent("manifest.json"))) }
            guard Set(manifests.map(\.acceptedKey)).count == manifests.count else { throw CrashCheckFailure("\(name): duplicate manifests") }
            let good = Set(written.filter { $0.key.hasPrefix(name + "/") && $0.value.good }.map(\.value.sha))
                .filter { sha in photos.contains { $0.person == person && $0.sha256 == sha && $0.state == .ingested } }
            if !good.isEmpty {
                let latest = try ledger.latest()[person]
                guard let latest, layout.latestOnDisk(person) == latest,
                      Set(manifests.first { $0.version == latest }?.accepted ?? []) == good else {
                    throw CrashCheckFailure("\(name): latest does not hold every accepted photo")
                }
            }
            figures.versions += versions.count
        }
        let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        figures.persons = persons
        figures.childProcesses = childProcesses
        figures.files = written.count
        figures.distinctPhotos = photos.count
        figures.ingested = photos.filter { $0.state == .ingested }.count
        figures.rejected = photos.filter { $0.state == .rejected }.count
        figures.kills = killsDone
        figures.jobs = try ledger.jobs(in: [.succeeded]).count
        figures.interruptedJobs = Int(try ledger.database.query("SELECT SUM(interruptions) FROM jobs").first?.first?.int ?? 0)
        figures.adopted = logText.components(separatedBy: "adopted version").count - 1
        figures.stagingRemoved = logText.components(separatedBy: "removed staging leftover").count - 1
        figures.seconds = Date().timeIntervalSince(started)
        return figures
    }

    /// Every written file hashed, every photo decided, no job waiting or running, every latest complete.
    func isSettled(written: [String: (sha: String, good: Bool)], layout: LibraryLayout) throws -> Bool {
        guard FileManager.default.fileExists(atPath: layout.ledgerURL.path),
              let ledger = try? Ledger(url: layout.ledgerURL, readOnly: true) else { return false }
        guard let files = try? ledger.files(), files.count == written.count,
              let photos = try? ledger.photos(), photos.allSatisfy({ $0.state != .new }),
              let open = try? ledger.jobs(in: [.queued, .running]), open.isEmpty else { return false }
        return true
    }
}

struct CrashCheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The daemon process: this test executable running `CrashTests/testDaemonHost`.
final class DaemonHost {
    let config: URL
    let log: URL
    var process: Process?
    var starts = 0

    /// Seconds the test stage spends per photo, so kills land inside jobs too.
    let photoDelay: Double
    let childScript: URL?
    let jobBinary: URL?

    init(config: URL, log: URL, photoDelay: Double, childScript: URL?, jobBinary: URL? = nil) {
        self.config = config
        self.log = log
        self.photoDelay = photoDelay
        self.childScript = childScript
        self.jobBinary = jobBinary
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["DaemonTests.CrashTests/testDaemonHost"]
        var environment = ProcessInfo.processInfo.environment
        environment["LIKENESS_DAEMON_HOST"] = config.path
        environment["LIKENESS_DAEMON_DELAY"] = String(photoDelay)
        if let childScript { environment["LIKENESS_DAEMON_CHILD_SCRIPT"] = childScript.path }
        if let jobBinary { environment["LIKENESS_DAEMON_JOB_BINARY"] = jobBinary.path }
        process.environment = environment
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        starts += 1
    }

    /// Waits until the latest start has logged that it is watching (signal handlers installed).
    func waitUntilWatching(timeout: TimeInterval) -> Bool {
        Fixture.wait(timeout) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "] watching").count - 1 >= starts
        }
    }

    func kill() throws {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() throws -> Int32 {
        guard let process else { return -1 }
        Glibc.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
