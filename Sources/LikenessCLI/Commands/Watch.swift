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

    /// The flag of each setting, so an error names what the user typed.
    static let flags = ["inbox": "--inbox", "library": "--library", "settleSeconds": "--settle", "forceAfterSeconds": "--force-after",
                        "maxConcurrentJobs": "--jobs", "maxAttempts": "--max-attempts", "retryBaseSeconds": "--retry-base",
                        "jobMemoryLimitMB": "--memory-limit-mb", "shutdownGraceSeconds": "--shutdown-grace",
                        "identityThreshold": "--identity-threshold"]

    /// True when the setting's flag was given on the command line.
    func given(_ key: String) -> Bool {
        let values: [String: Any?] = ["inbox": inbox, "library": library, "settleSeconds": settle, "forceAfterSeconds": forceAfter,
                                      "maxConcurrentJobs": jobs, "maxAttempts": maxAttempts, "retryBaseSeconds": retryBase,
                                      "jobMemoryLimitMB": memoryLimitMb, "shutdownGraceSeconds": shutdownGrace,
                                      "identityThreshold": identityThreshold]
        return (values[key] ?? nil) != nil
    }

    /// A configuration error as a usage error naming where the value came from: the flag, the
    /// config file, or the default.
    func usageError(_ error: ConfigurationError) -> ValidationError {
        guard let key = error.key else { return ValidationError(error.message) }
        if given(key), let flag = DaemonOptions.flags[key] { return ValidationError("\(flag) \(error.message)") }
        if let config, error.message.contains(config) { return ValidationError(error.description) }
        if let config, fileSets(key) { return ValidationError("\(error.description) (in the config file \(config))") }
        let flag = DaemonOptions.flags[key].map { "; \($0) sets another" } ?? ""
        return ValidationError("\(key) \(error.message) (the default\(flag))")
    }

    private func fileSets(_ key: String) -> Bool {
        guard let config, let data = FileManager.default.contents(atPath: config),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return false }
        return object[key] != nil
    }

    /// `configuration()`, its errors as usage errors (for `validate`).
    func checkedConfiguration() throws -> DaemonConfiguration {
        do { return try configuration() } catch let error as ConfigurationError { throw usageError(error) }
    }

    /// The inbox and Library must be usable (see `WatchService.checkFolders`); the inbox may be
    /// missing only when `creating` it.
    func checkFolders(_ configuration: DaemonConfiguration, creating: Bool) throws {
        let inbox = URL(fileURLWithPath: configuration.inbox).standardizedFileURL
        if creating && !FileManager.default.fileExists(atPath: inbox.path) {
            guard FileManager.default.fileExists(atPath: inbox.deletingLastPathComponent().path) else {
                throw usageError(ConfigurationError(key: "inbox", message: "\(inbox.path) cannot be created: its parent folder does not exist"))
            }
            return
        }
        do { try WatchService.checkFolders(inbox: inbox, library: URL(fileURLWithPath: configuration.library)) } catch let error as ConfigurationError {
            let hint = error.key == "inbox" && !FileManager.default.fileExists(atPath: inbox.path) ? " (--create-inbox creates it)" : ""
            throw usageError(ConfigurationError(key: error.key, message: error.message + hint))
        }
    }

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
        discussion: """
            Runs until SIGINT or SIGTERM. Photos in the inbox are never modified, moved or deleted. \
            The inbox must exist (--create-inbox creates it); the Library is created.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: DaemonOptions

    @Flag(help: "Create the inbox folder if it does not exist (its parent must exist); without it a missing inbox is an error.")
    var createInbox = false

    func validate() throws {
        try options.checkFolders(try options.checkedConfiguration(), creating: createInbox)
    }

    func run() throws {
        let logger = global.makeLogger("likeness.watch")
        let configuration = try options.configuration()
        if createInbox && !FileManager.default.fileExists(atPath: configuration.inbox) {
            guard mkdir(configuration.inbox, 0o755) == 0 else {
                throw DaemonCommandFailure("cannot create the inbox \(configuration.inbox): \(String(cString: strerror(errno)))")
            }
            logger.notice("created the inbox", metadata: ["inbox": "\(configuration.inbox)"])
        }
        let shutdown = ShutdownSignal()
        shutdown.installSignalHandlers()
        let service = try WatchService(configuration: configuration, executor: DaemonOptions.childExecutor(),
                                       logger: logger, shutdown: shutdown)
        try service.run()
    }
}
