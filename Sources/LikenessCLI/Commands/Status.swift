import ArgumentParser
import Foundation
import Library

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show persons, the job queue, latest versions and rejected photos.",
        discussion: "Reads the Library ledger; never writes."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The Library folder (default ./Library).")
    var library: String = "./Library"

    @Flag(help: "Print JSON (one PersonStatus per person) instead of text.")
    var json = false

    func run() throws {
        let layout = LibraryLayout(root: URL(fileURLWithPath: library))
        guard FileManager.default.fileExists(atPath: layout.ledgerURL.path) else {
            throw DaemonCommandFailure("no Library ledger at \(layout.ledgerURL.path)")
        }
        let ledger = try Ledger(url: layout.ledgerURL, readOnly: true)
        let persons = Set(try ledger.files().map(\.person) + ledger.photos().map(\.person) + ledger.latest().keys).sorted()
        let statuses = try persons.map { try PersonStatus.build($0, ledger: ledger) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(statuses), as: UTF8.self))
        } else {
            if statuses.isEmpty { print("no persons yet") }
            for status in statuses { print(StatusPrinter.describe(status)) }
        }
    }
}

/// Text form of a person's status.
enum StatusPrinter {
    static func describe(_ status: PersonStatus) -> String {
        var lines = ["\(status.person): latest \(status.latestVersion.map(LibraryLayout.versionName) ?? "none") "
            + "(\(status.versions) versions), \(status.files) files, \(status.ingestedPhotos) ingested, "
            + "\(status.newPhotos) new, \(status.rejected.count) rejected"]
        for job in status.jobs {
            lines.append("  job \(job.id): \(job.state), \(job.photos) photos, attempt \(job.attempts)"
                + (job.error.map { " — \($0)" } ?? "")
                + (job.state == JobState.failed.rawValue ? " (`likeness retry \(status.person)` runs it again)" : ""))
        }
        for reject in status.rejected {
            lines.append("  rejected \(reject.file): \(reject.reason) (\(reject.detail))")
        }
        return lines.joined(separator: "\n")
    }
}
