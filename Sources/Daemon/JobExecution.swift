import Foundation
import Library
import Logging

/// Everything a job process needs, written as JSON next to its staging folder.
public struct JobSpec: Codable, Equatable, Sendable {
    public var jobID: Int64
    public var person: PersonName
    public var photos: [StagePhoto]
    public var buildDirectory: String
    public var resultPath: String
    /// RLIMIT_AS for the job process in bytes (0: none).
    public var memoryLimitBytes: UInt64
    /// The daemon's pid: the job process stops when its parent is gone.
    public var parentPID: Int32
    /// The identity gate's distance threshold (`DaemonConfiguration.identityThreshold`); nil in
    /// specs written before it existed (the stage's default).
    public var identityThreshold: Double?

    public init(jobID: Int64, person: PersonName, photos: [StagePhoto], buildDirectory: String, resultPath: String,
                memoryLimitBytes: UInt64, parentPID: Int32, identityThreshold: Double? = nil) {
        self.jobID = jobID
        self.person = person
        self.photos = photos
        self.buildDirectory = buildDirectory
        self.resultPath = resultPath
        self.memoryLimitBytes = memoryLimitBytes
        self.parentPID = parentPID
        self.identityThreshold = identityThreshold
    }

    /// Where the job process reports its progress: inside its staging folder, so removing the
    /// folder removes it and a job that outlived its daemon cannot leave it behind (the daemon
    /// deletes it before publishing the folder).
    public var progressPath: String { JobSpec.progressPath(inBuild: buildDirectory) }

    public static func progressPath(inBuild build: String) -> String {
        URL(fileURLWithPath: build).appendingPathComponent(".progress.json").path
    }
}

/// What a job process reports back: the stage's output, or the error that ended it.
public struct JobReport: Codable, Equatable, Sendable {
    public var output: StageOutput?
    public var error: String?
}

/// A job-level failure (retried with backoff).
public struct JobFailure: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How a job ended.
public enum JobOutcome: Equatable, Sendable {
    case finished(StageOutput)
    case failed(String)
}

/// A started job the daemon polls.
public protocol RunningJob: AnyObject {
    /// The outcome once the job has ended, nil while it runs.
    func poll() -> JobOutcome?
    /// What the job last reported of its progress, nil before its first report.
    func progress() -> JobProgress?
    /// Stops the job now (used on shutdown after the grace period).
    func cancel()
}

/// Starts jobs: in this process (tests, `likeness build`) or in a child process.
public protocol JobExecutor {
    func start(_ spec: JobSpec) throws -> RunningJob
}

/// The work of a job, the same in a child process and in-process: check every photo still has
/// the content the ledger hashed, run the stage, write the report.
public enum JobWork {
    public static func perform(_ spec: JobSpec, stage: BundleStage, logger: Logger,
                               reportProgress: @escaping @Sendable (JobProgress) -> Void = { _ in }) -> JobReport {
        do {
            for photo in spec.photos { try checkUnchanged(photo) }
            let request = StageRequest(person: spec.person, photos: spec.photos,
                                       buildDirectory: URL(fileURLWithPath: spec.buildDirectory), logger: logger,
                                       identityThreshold: spec.identityThreshold, reportProgress: reportProgress)
            return JobReport(output: try stage.build(request), error: nil)
        } catch {
            return JobReport(output: nil, error: "\(error)")
        }
    }

    /// The photo must still be what the ledger hashed: by its signature (size, mtime, inode) when
    /// the daemon gave one, so no file is hashed twice; else by hashing it.
    static func checkUnchanged(_ photo: StagePhoto) throws {
        if let signature = photo.signature {
            guard let now = FileSignature.of(photo.path) else { throw JobFailure("cannot read \(photo.name): it is gone or not a file") }
            guard now == signature else { throw JobFailure("\(photo.name) changed after it was hashed") }
            return
        }
        let actual: String
        do { actual = try SHA256.hex(fileAt: URL(fileURLWithPath: photo.path)) } catch {
            throw JobFailure("cannot read \(photo.name): \(error)")
        }
        guard actual == photo.sha256 else { throw JobFailure("\(photo.name) changed after it was hashed") }
    }

    /// Writes the report durably where the daemon expects it.
    public static func write(_ report: JobReport, to path: String) throws {
        try Durable.writeNew(try JSONEncoder().encode(report), to: URL(fileURLWithPath: path))
    }

    /// Reads a report; nil if the job never wrote one.
    public static func readReport(at path: String) -> JobReport? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(JobReport.self, from: $0) }
    }
}

/// Runs jobs on a background thread of this process (no memory limit or crash isolation): for
/// `likeness build` and tests.
public final class InProcessExecutor: JobExecutor {
    let stage: BundleStage
    let logger: Logger

    public init(stage: BundleStage, logger: Logger) {
        self.stage = stage
        self.logger = logger
    }

    public func start(_ spec: JobSpec) throws -> RunningJob {
        let job = ThreadJob()
        let stage = self.stage, logger = self.logger
        let thread = Thread {
            job.finish(JobWork.perform(spec, stage: stage, logger: logger) { job.report($0) })
        }
        thread.start()
        return job
    }

    final class ThreadJob: RunningJob, @unchecked Sendable {
        private let lock = NSLock()
        private var report: JobReport?
        private var latest: JobProgress?

        func finish(_ report: JobReport) { lock.withLock { self.report = report } }

        func report(_ progress: JobProgress) { lock.withLock { latest = progress } }

        func poll() -> JobOutcome? {
            lock.withLock { report.map(JobOutcome.init) }
        }

        func progress() -> JobProgress? { lock.withLock { latest } }

        /// A thread cannot be stopped: the daemon waits for it instead.
        func cancel() {}
    }
}

extension JobOutcome {
    init(_ report: JobReport) {
        if let output = report.output { self = .finished(output) } else { self = .failed(report.error ?? "no report") }
    }
}

/// Runs each job as a child process (`likeness build-job --spec <file>`): a crash or an
/// out-of-memory in the stage takes down only the child, which also applies the memory limit
/// (RLIMIT_AS) to itself before loading anything.
public final class ChildProcessExecutor: JobExecutor {
    let executable: URL
    let arguments: [String]

    /// `arguments` come before `--spec <path>`, e.g. `["build-job"]`.
    public init(executable: URL, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    public func start(_ spec: JobSpec) throws -> RunningJob {
        let specPath = spec.resultPath + ".spec.json"
        try Durable.writeNew(try JSONEncoder().encode(spec), to: URL(fileURLWithPath: specPath))
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + ["--spec", specPath]
        try process.run()
        return ChildJob(process: process, resultPath: spec.resultPath, progressPath: spec.progressPath)
    }

    final class ChildJob: RunningJob {
        let process: Process
        let resultPath: String
        let progressPath: String

        init(process: Process, resultPath: String, progressPath: String) {
            self.process = process
            self.resultPath = resultPath
            self.progressPath = progressPath
        }

        func progress() -> JobProgress? { ProgressFile.read(progressPath) }

        func poll() -> JobOutcome? {
            if process.isRunning { return nil }
            if let report = JobWork.readReport(at: resultPath) { return JobOutcome(report) }
            let how = process.terminationReason == .uncaughtSignal
                ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
            return .failed("the job process \(how) without a report (crash or memory limit)")
        }

        func cancel() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}

/// The child side of `ChildProcessExecutor`: limit memory, watch the parent, run, report.
public enum JobProcess {
    /// Runs the job described by the spec file and returns the exit status (0: report written).
    public static func main(specPath: String, stage: BundleStage, logger: Logger) -> Int32 {
        guard let data = FileManager.default.contents(atPath: specPath),
              let spec = try? JSONDecoder().decode(JobSpec.self, from: data) else {
            logger.error("cannot read the job spec", metadata: ["spec": "\(specPath)"])
            return 2
        }
        if spec.memoryLimitBytes > 0 {
            var limit = rlimit(rlim_cur: rlim_t(spec.memoryLimitBytes), rlim_max: rlim_t(spec.memoryLimitBytes))
            if setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) != 0 {
                logger.warning("cannot set the memory limit", metadata: ["errno": "\(errno)"])
            }
        }
        // Ctrl-C in the terminal reaches the whole process group: only the daemon should react
        // (it lets the job finish within its grace period); SIGTERM from the daemon still stops us.
        signal(SIGINT, SIG_IGN)
        // Nothing is written before the staging folder is ours, and it stays ours until we exit:
        // a daemon that took over after ours died waits for that before it cleans up.
        let claim: StagingClaim
        do { claim = try StagingClaim.forJob(URL(fileURLWithPath: spec.buildDirectory)) } catch {
            logger.warning("the job does not own its staging folder; exiting without writing", metadata: ["error": "\(error)"])
            return 4
        }
        guard spec.parentPID <= 0 || getppid() == spec.parentPID else { return 4 }  // orphaned before it began
        watchParent(spec.parentPID)
        let progress = ProgressFile(path: spec.progressPath)
        let report = JobWork.perform(spec, stage: stage, logger: logger) { progress.write($0) }
        defer { withExtendedLifetime(claim) {} }
        do { try JobWork.write(report, to: spec.resultPath) } catch {
            logger.error("cannot write the job report", metadata: ["error": "\(error)"])
            return 3
        }
        return report.output == nil ? 1 : 0
    }

    /// Exits as soon as the daemon that started us is gone (a SIGKILLed daemon leaves no orphan job).
    static func watchParent(_ parent: Int32) {
        guard parent > 0 else { return }
        let thread = Thread {
            while getppid() == parent { usleep(200_000) }
            _exit(4)
        }
        thread.start()
    }
}

/// The child's side of progress: the latest report, replaced atomically (written beside it, then
/// renamed; not synced: progress need not survive a crash), at most every 0.2 s unless the stage
/// changes.
final class ProgressFile: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var last: (JobProgress, Date)?

    init(path: String) { self.path = path }

    func write(_ progress: JobProgress) {
        lock.withLock {
            if let (previous, at) = last, previous == progress || (previous.stage == progress.stage && Date().timeIntervalSince(at) < 0.2) {
                return
            }
            last = (progress, Date())
            let partial = path + ".partial"
            guard (try? JSONEncoder().encode(progress).write(to: URL(fileURLWithPath: partial))) != nil else { return }
            if rename(partial, path) != 0 { unlink(partial) }
        }
    }

    static func read(_ path: String) -> JobProgress? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(JobProgress.self, from: $0) }
    }
}
