import ArgumentParser
import Daemon
import Foundation
import Library

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every bundle in the Library against its manifest (sha256 of every file).",
        discussion: """
            Exits non-zero if any bundle is torn or altered. --repair fixes what it can: a version \
            whose folder is gone or altered is taken out of use (`status` shows it) and its photos \
            are queued to be built again, `latest` points at the newest intact version; what it \
            cannot fix (a damaged folder, kept for you; stray files) is reported. The watcher does \
            the same, without hashing, at every start. --repair needs the watcher stopped.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The Library folder.")
    var library: String = "./Library"

    @Flag(help: "Repair what can be repaired (needs the watcher stopped) and report the rest.")
    var repair = false

    func run() throws {
        let layout = LibraryLayout(root: URL(fileURLWithPath: library))
        guard FileManager.default.fileExists(atPath: layout.root.path) else {
            throw DaemonCommandFailure("no Library at \(layout.root.path)")
        }
        if repair {
            try runRepair(layout)
            return
        }
        let result = BundleVerifier(layout: layout).verifyAll()
        for problem in result.problems { print("FAIL \(problem)") }
        print("\(counted(result.versions, "version")) checked, \(counted(result.problems.count, "problem"))")
        if !result.problems.isEmpty { throw ExitCode(1) }
    }

    func runRepair(_ layout: LibraryLayout) throws {
        guard FileManager.default.fileExists(atPath: layout.ledgerURL.path) else {
            throw DaemonCommandFailure("no Library ledger at \(layout.ledgerURL.path): nothing to repair against")
        }
        let lock: LibraryLock
        do { lock = try LibraryLock(url: layout.lockURL) } catch {
            throw DaemonCommandFailure("\(error): stop the watcher first (it repairs the same at its next start, without hashing)")
        }
        let report = try withExtendedLifetime(lock) {
            try LibraryRepair(layout: layout, ledger: try Ledger(url: layout.ledgerURL)).run(thorough: true, requeue: true, now: Date())
        }
        for line in report.fixed { print("FIXED \(line)") }
        for line in report.left { print("LEFT \(line)") }
        let after = BundleVerifier(layout: layout).verifyAll()
        print("\(report.fixed.count) repaired, \(report.left.count) left for you; "
              + "\(after.versions) versions on disk, \(after.problems.count) problems remain")
        if !report.left.isEmpty { throw ExitCode(1) }
    }
}
