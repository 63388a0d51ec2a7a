import Foundation
import Library

/// A file of a person folder, as the reconciler keys it.
public struct FileKey: Hashable, Sendable {
    public var person: PersonName
    public var name: String
    public init(person: PersonName, name: String) {
        self.person = person
        self.name = name
    }
}

/// How a file has looked across scans: its current signature, when it was first seen and since
/// when it has looked exactly like this (size, mtime and inode unchanged).
public struct Observation: Equatable, Sendable {
    public var signature: FileSignature
    public var firstSeen: Date
    public var stableSince: Date
}

/// The watcher's memory of earlier looks (in memory only: after a restart every file is simply
/// looked at twice again).
public struct Observations: Equatable, Sendable {
    public private(set) var entries: [FileKey: Observation] = [:]

    public init() {}

    /// Records a look at one person folder at `now`.
    public mutating func record(_ scan: PersonScan, now: Date) {
        let present = Set(scan.files.map(\.name))
        for key in entries.keys where key.person == scan.person && !present.contains(key.name) {
            entries[key] = nil
        }
        for file in scan.files {
            let key = FileKey(person: scan.person, name: file.name)
            if let old = entries[key], old.signature == file.signature { continue }
            entries[key] = Observation(signature: file.signature, firstSeen: entries[key]?.firstSeen ?? now, stableSince: now)
        }
    }

    /// Forgets a person folder that disappeared.
    public mutating func forget(_ person: PersonName) {
        for key in entries.keys where key.person == person { entries[key] = nil }
    }

    public subscript(_ key: FileKey) -> Observation? { entries[key] }
}
