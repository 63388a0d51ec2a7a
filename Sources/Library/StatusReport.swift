import Foundation

/// The JSON form of status files and `likeness status --json`: sorted keys, readable.
public enum StatusJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

extension InboxStatus {
    /// Writes `inbox-status.json` atomically into the Library root.
    public func write(to layout: LibraryLayout) throws {
        try Durable.replace(layout.root.appendingPathComponent(InboxStatus.fileName), with: try StatusJSON.encode(self))
    }
}

/// A person's state as `Library/<person>/status.json` and `likeness status` show it.
public struct PersonStatus: Codable, Equatable, Sendable {
    public struct RejectedFile: Codable, Equatable, Sendable {
        public var file: String
        public var sha256: String
        public var reason: String
        public var detail: String
    }

    public struct QueuedJob: Codable, Equatable, Sendable {
        public var id: Int64
        public var state: String
        public var photos: Int
        public var attempts: Int
        public var error: String?
        /// What a running job last reported: stage, step and percent.
        public var progress: JobProgress?
    }

    public var person: String
    public var latestVersion: Int?
    public var versions: Int
    /// Files currently in the inbox folder that the ledger knows.
    public var files: Int
    public var newPhotos: Int
    public var ingestedPhotos: Int
    public var rejected: [RejectedFile]
    /// Entries of the person's folder that are not read (sub-folders, symlinks leading out).
    public var refused: [InboxRefusal]
    public var jobs: [QueuedJob]
    /// Published versions the disk lost or damaged, taken out of use (their photos are built again).
    public var lostVersions: [LostVersionStatus]
    public var updatedAt: String

    public struct LostVersionStatus: Codable, Equatable, Sendable {
        public var version: Int
        public var reason: String
        public var noticedAt: String
    }

    /// Builds the status of `person` from the ledger.
    public static func build(_ person: PersonName, ledger: Ledger, now: Date = Date()) throws -> PersonStatus {
        let files = try ledger.files(of: person)
        let photos = try ledger.photos(of: person)
        let present = Set(files.map(\.sha256))
        var names: [String: String] = [:]
        for file in files where names[file.sha256] == nil { names[file.sha256] = file.name }
        let rejected = photos.filter { $0.state == .rejected }.map { photo in
            RejectedFile(file: names[photo.sha256] ?? "(no longer in the inbox)", sha256: photo.sha256,
                         reason: photo.rejection?.kind.rawValue ?? "unknown", detail: photo.rejection?.detail ?? "")
        }.sorted { ($0.file, $0.sha256) < ($1.file, $1.sha256) }
        let jobs = try ledger.jobs(in: [.queued, .running, .failed]).filter { $0.person == person }.map {
            QueuedJob(id: $0.id, state: $0.state.rawValue, photos: $0.inputs.count, attempts: $0.attempts, error: $0.error,
                      progress: $0.state == .running ? try ledger.progress(of: $0.id) : nil)
        }
        return PersonStatus(
            person: person.value, latestVersion: try ledger.latest()[person], versions: try ledger.versions(of: person).count,
            files: files.count,
            newPhotos: photos.filter { $0.state == .new && present.contains($0.sha256) }.count,
            ingestedPhotos: photos.filter { $0.state == .ingested }.count,
            rejected: rejected, refused: try ledger.refusals(of: person), jobs: jobs,
            lostVersions: try ledger.lostVersions(of: person).map {
                LostVersionStatus(version: $0.version, reason: $0.reason, noticedAt: Publisher.timestamp($0.noticedAt))
            },
            updatedAt: Publisher.timestamp(now))
    }

    public func encoded() throws -> Data { try StatusJSON.encode(self) }

    /// Writes `status.json` atomically into the person's Library folder.
    public func write(to layout: LibraryLayout) throws {
        let person = try PersonName(self.person)
        try Durable.makeDirectory(layout.personDirectory(person))
        try Durable.replace(layout.statusFile(person), with: try encoded())
    }
}
