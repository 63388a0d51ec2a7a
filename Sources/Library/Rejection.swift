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
