import ArgumentParser
import Foundation
import Library

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Queue again a person's jobs that failed for good.",
        discussion: """
            Writes to the Library ledger only: a running watcher starts the job within a second; \
            otherwise the next `likeness watch` or `likeness build` does. Exits non-zero if the \
            person has no failed job.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The person (the inbox folder's name).")
    var person: String

    @Option(help: "The Library folder.")
    var library: String = "./Library"

    func run() throws {
        let name = try PersonName(person)
        let layout = LibraryLayout(root: URL(fileURLWithPath: library))
        guard FileManager.default.fileExists(atPath: layout.ledgerURL.path) else {
            throw DaemonCommandFailure("no Library ledger at \(layout.ledgerURL.path)")
        }
        let retried = try Ledger(url: layout.ledgerURL).retryFailedJobs(of: name, now: Date())
        guard !retried.isEmpty else { throw DaemonCommandFailure("\(name) has no failed job to retry") }
        for job in retried {
            print("job \(job.id): queued again (\(job.inputs.count) photos; last error: \(job.error ?? "unknown"))")
        }
    }
}
