import Foundation
import Library
import Logging

/// One photo handed to a stage: its inbox name, the path to read and its content hash.
public struct StagePhoto: Codable, Equatable, Sendable {
    public var name: String
    public var path: String
    public var sha256: String
    /// The file's signature when the daemon hashed it: the job checks the file is unchanged by
    /// this (`stat`) instead of hashing it a second time. Nil: the job hashes to check.
    public var signature: FileSignature?

    public init(name: String, path: String, sha256: String, signature: FileSignature? = nil) {
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.signature = signature
    }
}

/// What a stage is asked to do: build one person's bundle from these photos into `buildDirectory`
/// (an empty staging folder inside the Library; the stage writes only there).
public struct StageRequest: Sendable {
    public var person: PersonName
    public var photos: [StagePhoto]
    public var buildDirectory: URL
    public var logger: Logger
    /// The identity gate's threshold from the daemon's configuration (nil: the stage's default).
    public var identityThreshold: Double?
    /// Tells the daemon how far the job is (`likeness status`, status.json, the log); cheap to
    /// call often.
    public var reportProgress: @Sendable (JobProgress) -> Void

    public init(person: PersonName, photos: [StagePhoto], buildDirectory: URL, logger: Logger,
                identityThreshold: Double? = nil, reportProgress: @escaping @Sendable (JobProgress) -> Void = { _ in }) {
        self.person = person
        self.photos = photos
        self.buildDirectory = buildDirectory
        self.logger = logger
        self.identityThreshold = identityThreshold
        self.reportProgress = reportProgress
    }
}

/// What a stage produced: which photos it used, which it rejected and why, the models it used
/// (with licences, for the manifest) and figures about the run.
public struct StageOutput: Codable, Equatable, Sendable {
    public var stage: String
    public var accepted: [String]
    public var rejected: [RejectedPhoto]
    public var models: [ModelRecord]
    public var statistics: [String: Double]

    public init(stage: String, accepted: [String], rejected: [RejectedPhoto], models: [ModelRecord],
                statistics: [String: Double]) {
        self.stage = stage
        self.accepted = accepted
        self.rejected = rejected
        self.models = models
        self.statistics = statistics
    }
}

/// The job of the watcher, pluggable: photos of one person in, bundle files out.
///
/// A stage rejects an unusable photo with a typed `Rejection` (listed in status.json) and throws
/// any other error for a job-level failure (the job is retried with backoff). If every photo is
/// rejected the output's `accepted` is empty and nothing is published. The production stage lives
/// in the `likeness` executable (it uses the neural modules, which the daemon never imports).
public protocol BundleStage: Sendable {
    /// Name and version of the stage, recorded in the manifest.
    var name: String { get }
    func build(_ request: StageRequest) throws -> StageOutput
}

/// Runs `body` on each photo, collecting the ones it accepts and turning thrown `Rejection`s into
/// `RejectedPhoto`s; any other error propagates (job failure).
public func screenPhotos<Value>(_ photos: [StagePhoto],
                                _ body: (StagePhoto) throws -> Value) throws -> (accepted: [(StagePhoto, Value)], rejected: [RejectedPhoto]) {
    var accepted: [(StagePhoto, Value)] = []
    var rejected: [RejectedPhoto] = []
    for photo in photos {
        do {
            accepted.append((photo, try body(photo)))
        } catch let rejection as Rejection {
            rejected.append(RejectedPhoto(sha256: photo.sha256, name: photo.name, reason: rejection))
        }
    }
    return (accepted, rejected)
}
