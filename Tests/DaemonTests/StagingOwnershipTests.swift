import Foundation
import Logging
import XCTest
@testable import Daemon
@testable import Library

/// Issue 18 item 9: a job process owns its staging folder (`StagingClaim`) from before its first
/// write until it exits; a daemon that takes over cleans up only what no running job owns, so an
/// orphaned job cannot write into a staging area after the cleanup.
final class StagingOwnershipTests: InboxTestCase {
    let alice = try! PersonName("alice")

    /// A job process (this test executable's `testJobHost`, a stage taking `delay` s per photo).
    func startJob(parentPID: Int32, delay: Double) throws -> (job: RunningJob, staging: URL) {
        let photo = inbox.appendingPathComponent("alice/a.jpg")
        try Fixture.photo("a").write(to: photo)
        let staging = try Publisher(layout: layout).makeStagingDirectory(for: alice, jobID: 1)
        let spec = JobSpec(jobID: 1, person: alice,
                           photos: [StagePhoto(name: "a.jpg", path: photo.path, sha256: SHA256.hex(Fixture.photo("a")),
                                               signature: FileSignature.of(photo.path))],
                           buildDirectory: staging.path, resultPath: staging.path + ".report.json", memoryLimitBytes: 0,
                           parentPID: parentPID)
        let script = root.appendingPathComponent("job.sh")
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        try Data("#!/bin/sh\nexport LIKENESS_JOB_SPEC=\"$2\" LIKENESS_DAEMON_DELAY=\(delay)\nexec '\(executable)' DaemonTests.CrashTests/testJobHost\n".utf8)
            .write(to: script)
        chmod(script.path, 0o755)
        return (try ChildProcessExecutor(executable: script, arguments: []).start(spec), staging)
    }

    func waitUntilEnded(_ job: RunningJob) throws {
        XCTAssertTrue(Fixture.wait(60) { job.poll() != nil }, "the job process ends")
    }

    func testCleanupWaitsForTheRunningJobThatOwnsTheStagingFolder() throws {
        let (job, staging) = try startJob(parentPID: getpid(), delay: 1.5)
        XCTAssertTrue(Fixture.wait(60) { StagingClaim.forRemoval(staging, timeout: 0) == nil }, "the job claims its folder")

        // A daemon taking over now (as after a SIGKILL) must not pull the folder from under the job.
        XCTAssertEqual(try Publisher(layout: layout).removeStagingLeftovers(timeout: 0.2).removed, [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: staging.path))

        let started = Date()
        let cleanup = try Publisher(layout: layout).removeStagingLeftovers(timeout: 60)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.1, "the cleanup waited for the job")
        XCTAssertEqual(cleanup.kept, [])
        XCTAssertEqual(Set(cleanup.removed.map(\.lastPathComponent)),
                       [staging.lastPathComponent, staging.lastPathComponent + ".report.json",
                        staging.lastPathComponent + ".report.json.spec.json"])
        try waitUntilEnded(job)
        XCTAssertEqual(layout.stagingLeftovers(), [], "nothing is written after the cleanup")
    }

    func testAnOrphanedJobWritesNothing() throws {
        // The spec names a daemon that is not the job's parent: it was orphaned before it began.
        let (job, staging) = try startJob(parentPID: 1, delay: 0)
        try waitUntilEnded(job)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: staging.path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path + ".report.json"))
        XCTAssertEqual(job.poll(), .failed("the job process exited with status 4 without a report (crash or memory limit)"))
    }

    func testAJobCannotClaimAFolderThatWasCleanedUp() throws {
        let staging = try Publisher(layout: layout).makeStagingDirectory(for: alice, jobID: 2)
        try Publisher(layout: layout).removeStaging(staging)
        XCTAssertThrowsError(try StagingClaim.forJob(staging)) { error in
            XCTAssertEqual(error as? StagingError, .gone(path: staging.path))
        }
        // Removed and made again under the same name: not the folder the job was given either.
        let again = try Publisher(layout: layout).makeStagingDirectory(for: alice, jobID: 3)
        let claim = try StagingClaim.forJob(again)
        XCTAssertTrue(claim.isStillAtItsPath)
        try FileManager.default.removeItem(at: again)
        try FileManager.default.createDirectory(at: again, withIntermediateDirectories: false)
        XCTAssertFalse(claim.isStillAtItsPath)
    }
}
