import ArgumentParser
import Daemon
import Foundation
import Library

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build one person's bundle once from a folder of photos, without watching.",
        discussion: "Publishes into the Library exactly as the watcher would."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A person folder of photos; its name is the person's name.")
    var folder: String

    @Option(help: "The Library folder to publish to.")
    var library: String = "./Library"

    @Option(help: "Address-space limit of the job process in MiB, 0 for none.")
    var memoryLimitMb: Int = 8192

    @Option(help: "Identity-gate threshold (dlib face-recognition distance).")
    var identityThreshold: Double = 0.6

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 24 * 3600

    /// Errors name the argument or flag at fault and come with this command's usage.
    func validate() throws {
        let url = URL(fileURLWithPath: folder).standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(folder): no such folder (give a person folder of photos, e.g. Inbox/alice)")
        }
        let person: PersonName
        do { person = try PersonName(url.lastPathComponent) } catch {
            throw ValidationError("\(folder): \(error)")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        let flags = ["jobMemoryLimitMB": "--memory-limit-mb", "identityThreshold": "--identity-threshold", "library": "--library",
                     "folder": "<folder>"]
        do {
            _ = try daemonConfiguration(for: url).validated()
            try WatchService.checkFolders(inbox: url.deletingLastPathComponent(), library: URL(fileURLWithPath: library), onlyPerson: person)
        } catch let error as ConfigurationError {
            throw ValidationError(error.key.flatMap { flags[$0] }.map { "\($0) \(error.message)" } ?? error.description)
        }
    }

    /// The watcher's configuration for this one folder.
    func daemonConfiguration(for url: URL) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.inbox = url.deletingLastPathComponent().path
        configuration.library = library
        configuration.settleSeconds = 0.05
        configuration.forceAfterSeconds = 0.05
        configuration.maxAttempts = 1
        configuration.jobMemoryLimitMB = memoryLimitMb
        configuration.identityThreshold = identityThreshold
        return configuration
    }

    func run() throws {
        let logger = global.makeLogger("likeness.build")
        let url = URL(fileURLWithPath: folder).standardizedFileURL
        let person = try PersonName(url.lastPathComponent)
        let configuration = try daemonConfiguration(for: url).validated()
        let service = try WatchService(configuration: configuration, executor: DaemonOptions.childExecutor(),
                                       logger: logger, useInotify: false, onlyPerson: person)
        guard try service.runUntilIdle(timeout: timeout) else { throw DaemonCommandFailure("the build did not finish within \(timeout) s") }
        let ledger = try Ledger(url: service.layout.ledgerURL, readOnly: true)
        let status = try PersonStatus.build(person, ledger: ledger)
        if let failed = try ledger.jobs(in: [.failed]).last(where: { $0.person == person }), status.latestVersion == nil {
            throw DaemonCommandFailure("the build failed: \(failed.error ?? "unknown error")")
        }
        print(StatusPrinter.describe(status))
    }
}

/// A daemon command that ran but could not do its work (no usage text is printed for it).
struct DaemonCommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
