import Foundation

/// A model a bundle was made with, and its licence (every published bundle records them).
public struct ModelRecord: Codable, Equatable, Sendable {
    /// What the model is for: "face-detector", "landmarks", "face-model", "base-model", …
    public var role: String
    public var id: String
    public var licence: String

    public init(role: String, id: String, licence: String) {
        self.role = role
        self.id = id
        self.licence = licence
    }
}

/// One file of a bundle: its path relative to the version folder, size and sha256.
public struct BundleFile: Codable, Equatable, Sendable {
    public var path: String
    public var size: Int64
    public var sha256: String
}

/// `manifest.json` of a published version: what went in, what came out, with which models.
public struct BundleManifest: Codable, Equatable, Sendable {
    public static let fileName = "manifest.json"
    public static let currentFormat = 1

    public var format: Int
    public var person: String
    public var version: Int
    /// ISO 8601, UTC.
    public var createdAt: String
    public var jobID: Int64
    /// Every photo the job was given (content hashes, sorted).
    public var inputs: [String]
    /// The photos the bundle was built from (sorted); their set key identifies the version.
    public var accepted: [String]
    public var rejected: [RejectedPhoto]
    public var stage: String
    public var models: [ModelRecord]
    public var statistics: [String: Double]
    public var files: [BundleFile]

    /// The key of the accepted photo set (see `PhotoSet.key`).
    public var acceptedKey: String { PhotoSet.key(accepted) }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> BundleManifest {
        try JSONDecoder().decode(BundleManifest.self, from: data)
    }
}

/// What a job produced, before publishing gives it a version number and file digests.
public struct BundleDraft: Sendable {
    public var person: PersonName
    public var jobID: Int64
    public var inputs: [String]
    public var accepted: [String]
    public var rejected: [RejectedPhoto]
    public var stage: String
    public var models: [ModelRecord]
    public var statistics: [String: Double]

    public init(person: PersonName, jobID: Int64, inputs: [String], accepted: [String], rejected: [RejectedPhoto],
                stage: String, models: [ModelRecord], statistics: [String: Double]) {
        self.person = person
        self.jobID = jobID
        self.inputs = inputs.sorted()
        self.accepted = accepted.sorted()
        self.rejected = rejected.sorted { $0.sha256 < $1.sha256 }
        self.stage = stage
        self.models = models
        self.statistics = statistics
    }
}
