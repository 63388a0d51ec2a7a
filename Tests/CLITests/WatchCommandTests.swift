import Foundation
import XCTest

/// `likeness watch`, `status`, `verify` and `build` end to end through the binary, with job child
/// processes running the production stage.
final class WatchCommandTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try DaemonCLISupport.temporaryFolder("cli-watch") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testWatchPublishesRejectsAndStopsCleanlyOnSIGTERM() throws {
        let face = try DaemonCLISupport.sharedPhoto("data/sequences/obama/frame_0001.jpg")
        let inbox = root.appendingPathComponent("Inbox"), library = root.appendingPathComponent("Library")
        for name in ["alice", "bad 🎉 name", "semi;colon", ".hidden"] {
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try Data("x".utf8).write(to: inbox.appendingPathComponent("bad 🎉 name/a.jpg"))
        try Data("x".utf8).write(to: inbox.appendingPathComponent("loose.jpg"))
        let process = Process()
        process.executableURL = LikenessBinary.url
        process.arguments = ["watch", "--inbox", inbox.path, "--library", library.path, "--settle", "0.3", "--retry-base", "0.1"]
        let log = root.appendingPathComponent("watch.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Copied in while the watcher runs: a face, a corrupt file, a decompression bomb, a partial download.
        let alice = inbox.appendingPathComponent("alice")
        try FileManager.default.copyItem(at: face, to: alice.appendingPathComponent("me.jpg"))
        try Data(try Data(contentsOf: face).prefix(2000)).write(to: alice.appendingPathComponent("broken.jpg"))
        try DaemonCLISupport.pngDeclaring(width: 60_000, height: 60_000).write(to: alice.appendingPathComponent("bomb.png"))
        try Data("partial".utf8).write(to: alice.appendingPathComponent("next.jpg.part"))
        let before = try DaemonCLISupport.fingerprint(inbox)
        let manifest = library.appendingPathComponent("alice/latest/manifest.json")
        XCTAssertTrue(DaemonCLISupport.wait(120) { FileManager.default.fileExists(atPath: manifest.path) },
                      (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        XCTAssertTrue(DaemonCLISupport.wait(10) {
            ((try? String(contentsOf: library.appendingPathComponent("alice/status.json"), encoding: .utf8)) ?? "").contains("too-large")
        })
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)

        XCTAssertEqual(try DaemonCLISupport.fingerprint(inbox), before, "the inbox is byte-identical, mtimes included")
        let library_ = try FileManager.default.contentsOfDirectory(atPath: library.path).sorted()
        XCTAssertEqual(library_.filter { !$0.hasPrefix(".") }, ["alice", "inbox-status.json"], "no Library folder for refused names")
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(text.contains("inbox entry not read"), text)
        let inboxStatus = try String(contentsOf: library.appendingPathComponent("inbox-status.json"), encoding: .utf8)
        XCTAssertTrue(inboxStatus.contains("semi;colon") && inboxStatus.contains("loose.jpg") && inboxStatus.contains("rename the folder"), inboxStatus)
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.appendingPathComponent("alice/v0001/head.glb").path))

        let status = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("alice: latest v0001 (1 version), "), status.stdout)
        XCTAssertTrue(status.stdout.contains("rejected bomb.png: too-large"), status.stdout)
        XCTAssertTrue(status.stdout.contains("rejected broken.jpg: corrupt"), status.stdout)
        XCTAssertTrue(status.stdout.contains("inbox: not read \"bad 🎉 name\": the name contains the character"), status.stdout)
        XCTAssertTrue(status.stdout.contains("inbox: not read \"loose.jpg\": a file directly in the inbox belongs to no person"), status.stdout)
        let verify = try LikenessBinary.run(["verify", "--library", library.path])
        XCTAssertEqual(verify.status, 0, verify.stdout)
        XCTAssertTrue(verify.stdout.contains("1 version checked, 0 problems"), verify.stdout)

        // Tampering is caught.
        let glb = library.appendingPathComponent("alice/v0001/head.glb")
        var bytes = try Data(contentsOf: glb)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: glb)
        let tampered = try LikenessBinary.run(["verify", "--library", library.path])
        XCTAssertNotEqual(tampered.status, 0)
        XCTAssertTrue(tampered.stdout.contains("sha256 differs"), tampered.stdout)
        XCTAssertTrue(tampered.stdout.contains("1 version checked, 1 problem\n"), tampered.stdout)
    }

    /// SIGKILL of the real watcher in the middle of a job: its job process exits on its own, the
    /// next start cleans the staging folder and publishes one complete version.
    func testKilledWatcherMidJobRecoversOnRestart() throws {
        let inbox = root.appendingPathComponent("Inbox"), library = root.appendingPathComponent("Library")
        try Self.aliceWithFourFrames(in: inbox)
        let log = root.appendingPathComponent("watch.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        func startWatcher() throws -> Process {
            let process = Process()
            process.executableURL = LikenessBinary.url
            process.arguments = ["watch", "--inbox", inbox.path, "--library", library.path, "--settle", "0.2"]
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardError = handle
            process.standardOutput = handle
            try process.run()
            return process
        }
        let first = try startWatcher()
        XCTAssertTrue(DaemonCLISupport.wait(60) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("job started") })
        let staging = try FileManager.default.contentsOfDirectory(atPath: library.appendingPathComponent("alice").path)
            .filter { $0.hasPrefix(".tmp-job") }
        XCTAssertFalse(staging.isEmpty, "a job is running")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        XCTAssertTrue(DaemonCLISupport.wait(5) { !Self.jobProcessRunning(for: library) }, "the orphaned job process exits")
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.appendingPathComponent("alice/v0001").path))

        let second = try startWatcher()
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        XCTAssertTrue(DaemonCLISupport.wait(120) {
            FileManager.default.fileExists(atPath: library.appendingPathComponent("alice/latest/head.glb").path)
        }, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: library.appendingPathComponent("alice").path).sorted()
        XCTAssertEqual(names, ["latest", "status.json", "v0001"])
        XCTAssertTrue(try String(contentsOf: log, encoding: .utf8).contains("requeued interrupted jobs"))
        XCTAssertEqual(try LikenessBinary.run(["verify", "--library", library.path]).status, 0)
    }

    /// `Inbox/alice/` with four frames of a reference video (skips without ../shared).
    static func aliceWithFourFrames(in inbox: URL) throws {
        let alice = inbox.appendingPathComponent("alice")
        try FileManager.default.createDirectory(at: alice, withIntermediateDirectories: true)
        for index in 1...4 {
            let frame = try DaemonCLISupport.sharedPhoto("data/sequences/obama/frame_000\(index).jpg")
            try FileManager.default.copyItem(at: frame, to: alice.appendingPathComponent("f\(index).jpg"))
        }
    }

    /// `likeness watch` with a 0.2 s settle time, logging into `log` (created afresh).
    static func startWatcher(inbox: URL, library: URL, log: URL) throws -> Process {
        let process = Process()
        process.executableURL = LikenessBinary.url
        process.arguments = ["watch", "--inbox", inbox.path, "--library", library.path, "--settle", "0.2"]
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        try process.run()
        return process
    }

    /// True while some `likeness build-job` process works on a spec in this Library.
    static func jobProcessRunning(for library: URL) -> Bool {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.contains { pid in
            guard Int(pid) != nil, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = String(decoding: data, as: UTF8.self)
            return arguments.contains("build-job") && arguments.contains(library.path)
        }
    }

    /// `photos/bob/` holding one reference face (skips without ../shared).
    func bobWithOnePhoto() throws -> URL {
        let face = try DaemonCLISupport.sharedPhoto("data/sequences/obama/frame_0001.jpg")
        let folder = root.appendingPathComponent("photos/bob")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: face, to: folder.appendingPathComponent("bob.jpg"))
        return folder
    }

    func testBuildRespectsTheJobMemoryLimit() throws {
        let folder = try bobWithOnePhoto()
        let library = root.appendingPathComponent("Library")
        let starved = try LikenessBinary.run(["build", folder.path, "--library", library.path, "--memory-limit-mb", "64"])
        XCTAssertNotEqual(starved.status, 0)
        XCTAssertTrue(starved.stderr.contains("the build failed"), starved.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.appendingPathComponent("bob/v0001").path))
        XCTAssertEqual(try LikenessBinary.run(["verify", "--library", library.path]).status, 0)
    }

    /// A job that failed for good is not stuck: `status` says how to retry it, `likeness retry`
    /// queues it again, and `likeness build` runs it again instead of repeating the old error;
    /// once it publishes, `status` no longer lists the failed job.
    func testFailedBuildIsRetriedByRetryAndByBuild() throws {
        let folder = try bobWithOnePhoto()
        let library = root.appendingPathComponent("Library")
        let starve = ["build", folder.path, "--library", library.path, "--memory-limit-mb", "64"]
        XCTAssertNotEqual(try LikenessBinary.run(starve).status, 0)
        let failed = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertTrue(failed.stdout.contains("job 1: failed") && failed.stdout.contains("likeness retry bob"), failed.stdout)

        let retry = try LikenessBinary.run(["retry", "bob", "--library", library.path])
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertTrue(retry.stdout.contains("job 1: queued again"), retry.stdout)
        XCTAssertTrue(try LikenessBinary.run(["status", "--library", library.path]).stdout.contains("job 1: queued"))
        let nothing = try LikenessBinary.run(["retry", "bob", "--library", library.path])
        XCTAssertNotEqual(nothing.status, 0)
        XCTAssertTrue(nothing.stderr.contains("bob has no failed job"), nothing.stderr)

        let starvedAgain = try LikenessBinary.run(starve)
        XCTAssertNotEqual(starvedAgain.status, 0)
        let built = try LikenessBinary.run(["build", folder.path, "--library", library.path])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stdout.contains("latest v0001"), built.stdout)
        let status = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertFalse(status.stdout.contains("failed"), status.stdout)
    }

    /// `verify` counts in the right number without any job: one hand-made version folder with no
    /// manifest is one version and one problem.
    func testVerifySaysOneVersionAndOneProblem() throws {
        let library = root.appendingPathComponent("Library")
        try FileManager.default.createDirectory(at: library.appendingPathComponent("bob/v0001"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: library.appendingPathComponent("bob/latest").path, withDestinationPath: "v0001")
        let verify = try LikenessBinary.run(["verify", "--library", library.path])
        XCTAssertNotEqual(verify.status, 0)
        XCTAssertTrue(verify.stdout.hasSuffix("1 version checked, 1 problem\n"), verify.stdout)
    }

    /// A person folder that is a symlink to another person folder: the watcher stops without
    /// libinotifytools' "Failed to remove watch … Unknown error -1" (one folder, one watch).
    func testSymlinkedPersonFolderStopsWithoutWatchErrors() throws {
        let inbox = root.appendingPathComponent("Inbox"), library = root.appendingPathComponent("Library")
        try FileManager.default.createDirectory(at: inbox.appendingPathComponent("bob"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: inbox.appendingPathComponent("bobby").path, withDestinationPath: "bob")
        let log = root.appendingPathComponent("watch.log")
        let process = try Self.startWatcher(inbox: inbox, library: library, log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        XCTAssertTrue(DaemonCLISupport.wait(30) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("watching") })
        usleep(1_500_000) // the first scans put watches on both person folders
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertFalse(text.contains("Failed to remove watch"), text)
        XCTAssertTrue(text.contains("shutting down"), text)
    }

    /// While a job runs, `status`, status.json and the log show its stage and percent; the first
    /// Ctrl-C says what the watcher waits for, the second abandons the job: nothing published, no
    /// staging leftovers, the job queued to run again.
    func testProgressIsShownAndASecondCtrlCAbandonsTheJobCleanly() throws {
        let inbox = root.appendingPathComponent("Inbox"), library = root.appendingPathComponent("Library")
        try Self.aliceWithFourFrames(in: inbox)
        let log = root.appendingPathComponent("watch.log")
        let process = try Self.startWatcher(inbox: inbox, library: library, log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let statusFile = library.appendingPathComponent("alice/status.json")
        XCTAssertTrue(DaemonCLISupport.wait(120) {
            ((try? String(contentsOf: statusFile, encoding: .utf8)) ?? "").contains("\"stage\" : \"adaptation\"")
        }, logText())
        XCTAssertTrue(logText().contains("job progress"), logText())
        XCTAssertTrue(logText().contains("stage=detection") || logText().contains("stage=base-model"), logText())
        let status = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertTrue(status.stdout.range(of: #"job 1: running, 4 photos, attempt 1, [a-z-]+( \d+/\d+)?, \d+ %"#,
                                          options: .regularExpression) != nil, status.stdout)

        kill(process.processIdentifier, SIGINT)
        XCTAssertTrue(DaemonCLISupport.wait(10) { logText().contains("to finish (Ctrl-C again abandons it") }, logText())
        XCTAssertTrue(logText().contains("job 1 (alice): "), logText())
        let second = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(second), 8, "the second Ctrl-C does not wait out the grace period")
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(logText().contains("abandoning at the second signal"), logText())
        XCTAssertTrue(logText().contains("job abandoned at shutdown"), logText())
        XCTAssertFalse(Self.jobProcessRunning(for: library))
        let names = try FileManager.default.contentsOfDirectory(atPath: library.appendingPathComponent("alice").path).sorted()
        XCTAssertEqual(names, ["status.json"], "nothing published, no staging leftovers")
        let after = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertTrue(after.stdout.contains("job 1: queued, 4 photos, attempt 0"), after.stdout)
    }

    func testConfigFileAndBadConfiguration() throws {
        let config = root.appendingPathComponent("config.json")
        try Data(#"{"settleSeconds": -1}"#.utf8).write(to: config)
        let bad = try LikenessBinary.run(["watch", "--config", config.path, "--inbox", root.path + "/In", "--library", root.path + "/Lib"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("settleSeconds must be positive"), bad.stderr)
        try Data("{not json".utf8).write(to: config)
        let broken = try LikenessBinary.run(["watch", "--config", config.path])
        XCTAssertTrue(broken.stderr.contains("is not valid"), broken.stderr)
        let nested = try LikenessBinary.run(["watch", "--inbox", root.path, "--library", root.appendingPathComponent("Lib").path])
        XCTAssertNotEqual(nested.status, 0)
        XCTAssertTrue(nested.stderr.contains("must not contain each other"), nested.stderr)
    }
}
