import Foundation

/// A validated person folder name: the only kind of name that becomes a path in the Library.
///
/// Rules (a whitelist, so nothing surprising reaches the file system): 1–64 characters from
/// ASCII letters, digits, `-`, `_` and `.`; no leading dot (hidden folders and `.`/`..`), no `..`
/// anywhere.
public struct PersonName: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64
    public let value: String

    public init(_ raw: String) throws {
        if let problem = PersonName.problem(with: raw) { throw InvalidPersonName(name: raw, reason: problem) }
        value = raw
    }

    /// Why `raw` is not an acceptable person name, or nil if it is.
    public static func problem(with raw: String) -> String? {
        if raw.isEmpty { return "the name is empty" }
        if raw.utf8.count > maximumLength { return "the name is longer than \(maximumLength) characters" }
        if raw.hasPrefix(".") { return "the name starts with a dot" }
        if raw.contains("..") { return "the name contains '..'" }
        for scalar in raw.unicodeScalars {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "-" || scalar == "_" || scalar == "."
            if !ok { return "the name contains \(scalar.properties.isWhitespace ? "whitespace" : "the character '\(scalar.escaped(asASCII: true))'") (allowed: letters a-z A-Z, digits, '-', '_', '.')" }
        }
        return nil
    }

    public var description: String { value }
    public static func < (lhs: PersonName, rhs: PersonName) -> Bool { lhs.value < rhs.value }

    public init(from decoder: Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// A folder name that cannot be a person: it is reported and never used as a path.
public struct InvalidPersonName: Error, CustomStringConvertible, Equatable {
    public let name: String
    public let reason: String
    public var description: String { "the inbox folder \"\(name)\" is not a valid person name: \(reason)" }
}
