import Foundation

/// Why a photo cannot be used. The codes are stable strings stored in the ledger, manifests and
/// status files.
public enum RejectionKind: String, Codable, Sendable, CaseIterable {
    case notAnImage = "not-an-image"
    case corrupt
    case tooLarge = "too-large"
    case noFace = "no-face"
    case severalFaces = "several-faces"
    case faceTooSmall = "face-too-small"
    case faceCutByBorder = "face-cut-by-border"
    /// The face is not the person of the folder (the identity gate; the detail gives the distance
    /// and the threshold).
    case differentPerson = "different-person"
    case unreadable
}

/// A typed, user-readable reason a photo was rejected.
public struct Rejection: Error, Codable, Equatable, Sendable, CustomStringConvertible {
    public var kind: RejectionKind
    public var detail: String

    public init(_ kind: RejectionKind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}

/// One rejected photo of a job, by content hash and (one of) its file names.
public struct RejectedPhoto: Codable, Equatable, Sendable {
    public var sha256: String
    public var name: String
    public var reason: Rejection

    public init(sha256: String, name: String, reason: Rejection) {
        self.sha256 = sha256
        self.name = name
        self.reason = reason
    }
}

/// A set of photos by content hash; its key is the sha256 of the sorted hashes joined by newlines,
/// so two jobs or versions with the same photos have the same key whatever the file names.
public enum PhotoSet {
    public static func key<Hashes: Sequence>(_ hashes: Hashes) -> String where Hashes.Element == String {
        SHA256.hex(Set(hashes).sorted().joined(separator: "\n"))
    }
}

/// An inbox entry that Likeness does not read — a folder whose name cannot be a person, a file
/// loose in the inbox, a symlink leading outside it, a sub-folder of a person folder — with the
/// reason and what the user can do. `likeness status` and the status files show each, so a
/// refusal never lives only in the log.
public struct InboxRefusal: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The entry's path relative to the inbox (`José 🎉`, `alice/old photos`).
    public var entry: String
    public var reason: String
    public var advice: String

    public init(entry: String, reason: String, advice: String) {
        self.entry = entry
        self.reason = reason
        self.advice = advice
    }

    public var description: String { "\(entry): \(reason) — \(advice)" }
}

/// `Library/inbox-status.json`: the refusals of the inbox root, which belong to no person.
public struct InboxStatus: Codable, Equatable, Sendable {
    public static let fileName = "inbox-status.json"
    public var refused: [InboxRefusal]
    public var updatedAt: String

    public init(refused: [InboxRefusal], updatedAt: String) {
        self.refused = refused
        self.updatedAt = updatedAt
    }
}
