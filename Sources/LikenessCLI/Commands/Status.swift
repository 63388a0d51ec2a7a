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

    @Option(help: "The Library folder.")
    var library: String = "./Library"

    @Flag(help: "Print JSON instead of text: {\"persons\": [one status.json per person], \"refused\": [inbox entries not read]}.")
    var json = false

    func run() throws {
        let layout = LibraryLayout(root: URL(fileURLWithPath: library))
        guard FileManager.default.fileExists(atPath: layout.ledgerURL.path) else {
            throw DaemonCommandFailure("no Library ledger at \(layout.ledgerURL.path)")
        }
        let ledger = try Ledger(url: layout.ledgerURL, readOnly: true)
        let persons = Set(try ledger.files().map(\.person) + ledger.photos().map(\.person) + ledger.latest().keys
            + ledger.personsWithRefusals()).sorted()
        let statuses = try persons.map { try PersonStatus.build($0, ledger: ledger) }
        let refused = try ledger.refusals(of: nil)
        if json {
            struct Report: Encodable { var persons: [PersonStatus], refused: [InboxRefusal] }
            print(String(decoding: try StatusJSON.encode(Report(persons: statuses, refused: refused)), as: UTF8.self))
        } else {
            if statuses.isEmpty { print("no persons yet") }
            for status in statuses { print(StatusPrinter.describe(status)) }
            for refusal in refused { print("inbox: not read \"\(refusal.entry)\": \(refusal.reason) — \(refusal.advice)") }
        }
    }
}

/// Text form of a person's status.
enum StatusPrinter {
    static func describe(_ status: PersonStatus) -> String {
        var lines = ["\(status.person): latest \(status.latestVersion.map(LibraryLayout.versionName) ?? "none") "
            + "(\(counted(status.versions, "version"))), \(counted(status.files, "file")), \(status.ingestedPhotos) ingested, "
            + "\(status.newPhotos) new, \(status.rejected.count) rejected"]
        for job in status.jobs {
            lines.append("  job \(job.id): \(job.state), \(counted(job.photos, "photo")), attempt \(job.attempts)"
                + (job.progress.map { ", \($0)" } ?? "")
                + (job.error.map { " — \($0)" } ?? "")
                + (job.state == JobState.failed.rawValue ? " (`likeness retry \(status.person)` runs it again)" : ""))
        }
        for lost in status.lostVersions {
            lines.append("  \(LibraryLayout.versionName(lost.version)) lost: \(lost.reason) (noticed \(lost.noticedAt)); its photos are built again")
        }
        for reject in status.rejected {
            lines.append("  rejected \(reject.file): \(reject.reason) (\(reject.detail))")
        }
        for refusal in status.refused {
            lines.append("  not read \"\(refusal.entry)\": \(refusal.reason) — \(refusal.advice)")
        }
        return lines.joined(separator: "\n")
    }
}
