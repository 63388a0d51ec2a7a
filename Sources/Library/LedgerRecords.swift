import Foundation

/// The life of a photo (per person, by content hash): seen and hashed (`new`), then used by a
/// job — `ingested` into a version or `rejected` with a reason.
public enum PhotoState: String, Codable, Sendable {
    case new, ingested, rejected
}

public struct PhotoRecord: Equatable, Sendable {
    public var person: PersonName
    public var sha256: String
    public var state: PhotoState
    public var rejection: Rejection?
    /// The latest version this photo was used in.
    public var version: Int?
    public var firstSeen: Date
}

/// A file in a person's inbox folder as last hashed: its signature and content hash.
public struct FileRecord: Equatable, Sendable {
    public var person: PersonName
    public var name: String
    public var signature: FileSignature
    public var sha256: String

    public init(person: PersonName, name: String, signature: FileSignature, sha256: String) {
        self.person = person
        self.name = name
        self.signature = signature
        self.sha256 = sha256
    }
}

public enum JobState: String, Codable, Sendable {
    /// Waiting (possibly for its retry time).
    case queued
    case running
    /// Finished: published a version, or found no usable photo.
    case succeeded
    /// Gave up after its attempts; the error is recorded. A restart (after a backoff), a new event
    /// in the person's folder, `likeness build` or `likeness retry` queue it again.
    case failed
    /// Replaced by a newer job for the same person before it started.
    case superseded
}

public struct JobRecord: Equatable, Sendable {
    public var id: Int64
    public var person: PersonName
    /// Content hashes of the photos to build from, sorted.
    public var inputs: [String]
    /// `PhotoSet.key(inputs)`.
    public var inputKey: String
    public var state: JobState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var error: String?
    public var version: Int?
    public var createdAt: Date
    public var updatedAt: Date
    /// How many times the job was given a new round of attempts after failing for good
    /// (`likeness retry`, a new event, a restart); the restart backoff grows with it.
    public var rounds: Int = 0
}

public struct VersionRecord: Equatable, Sendable {
    public var person: PersonName
    public var number: Int
    /// `PhotoSet.key` of the accepted photos: no two versions of a person share it.
    public var acceptedKey: String
    public var jobID: Int64
    public var publishedAt: Date
}

/// Everything the reconciler needs from the ledger, read in one go.
/// A published version the disk lost or damaged, taken out of use (`Ledger.markVersionLost`).
public struct LostVersion: Codable, Equatable, Sendable {
    public var person: PersonName
    public var version: Int
    public var reason: String
    public var noticedAt: Date
}

public struct LedgerSnapshot: Sendable {
    public var files: [PersonName: [String: FileRecord]] = [:]
    public var photos: [PersonName: [String: PhotoRecord]] = [:]
    /// Jobs that are queued, running or failed (succeeded and superseded ones are history).
    public var openJobs: [JobRecord] = []
    public var versions: [PersonName: [VersionRecord]] = [:]
    public var latest: [PersonName: Int] = [:]

    public init() {}
}
