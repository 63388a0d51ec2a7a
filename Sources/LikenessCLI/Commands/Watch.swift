import ArgumentParser
import Daemon
import Foundation

/// Options shared by `watch` and `build`: folders, timing, jobs. Flags override the config file.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The folder of person folders to watch (default ./Inbox).")
    var inbox: String?

    @Option(help: "The Library folder versions are published to (default ./Library).")
    var library: String?

    @Option(help: "A JSON config file (keys as in DaemonConfiguration: settleSeconds, maxConcurrentJobs, …).")
    var config: String?

    @Option(help: "Seconds a folder must be quiet before its files are taken (default 2).")
    var settle: Double?

    @Option(help: "Seconds after which a stable file is taken even if its folder stays busy (default 60).")
    var forceAfter: Double?

    @Option(help: "Jobs that may run at the same time (default 1).")
    var jobs: Int?

    @Option(help: "Attempts per job before it stops with its error recorded (default 3).")
    var maxAttempts: Int?

    @Option(help: "Seconds before the first retry of a failed job; doubles each time (default 30).")
    var retryBase: Double?

    @Option(help: "Address-space limit of each job process in MiB, 0 for none (default 8192).")
    var memoryLimitMb: Int?

    @Option(help: "Seconds a running job gets to finish on SIGTERM/SIGINT (default 20).")
    var shutdownGrace: Double?

    @Option(help: "Identity-gate threshold: photos whose face is this far from the person's reference face are rejected as different-person (dlib face-recognition distance, default 0.6).")
    var identityThreshold: Double?

    /// The config file's values (or the defaults) with the flags given on top.
    func configuration() throws -> DaemonConfiguration {
        var configuration = try config.map { try DaemonConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? DaemonConfiguration()
        if let inbox { configuration.inbox = inbox }
        if let library { configuration.library = library }
        if let settle { configuration.settleSeconds = settle }
        if let forceAfter { configuration.forceAfterSeconds = forceAfter }
        if let jobs { configuration.maxConcurrentJobs = jobs }
        if let maxAttempts { configuration.maxAttempts = maxAttempts }
        if let retryBase { configuration.retryBaseSeconds = retryBase }
        if let memoryLimitMb { configuration.jobMemoryLimitMB = memoryLimitMb }
        if let shutdownGrace { configuration.shutdownGraceSeconds = shutdownGrace }
        if let identityThreshold { configuration.identityThreshold = identityThreshold }
        return try configuration.validated()
    }

    /// Jobs run as `likeness build-job` child processes of this same executable.
    static func childExecutor() -> ChildProcessExecutor {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return ChildProcessExecutor(executable: executable, arguments: ["build-job"])
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch Inbox/<person>/ folders and publish versioned bundles to Library/<person>/vNNNN/.",
        discussion: "Runs until SIGINT or SIGTERM. Photos in the inbox are never modified, moved or deleted."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: DaemonOptions

    func run() throws {
        let logger = global.makeLogger("likeness.watch")
        let configuration = try options.configuration()
        try FileManager.default.createDirectory(atPath: configuration.inbox, withIntermediateDirectories: true)
        let shutdown = ShutdownSignal()
        shutdown.installSignalHandlers()
        let service = try WatchService(configuration: configuration, executor: DaemonOptions.childExecutor(),
                                       logger: logger, shutdown: shutdown)
        try service.run()
    }
}
