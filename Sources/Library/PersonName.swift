import Checksum
import Foundation

/// A validated person name: the inbox folder's name, which is a person's name (`José`,
/// `Mary Ann`), and the safe folder name it maps to in the Library (`folderName`).
///
/// Rules for the name: 1–64 characters, each a Unicode letter, combining mark or digit, a space,
/// `-`, `_`, `.` or `'`; no leading or trailing space, no leading dot (hidden folders and
/// `.`/`..`), no `..` anywhere. Anything else (emoji, control characters, `/`, shell
/// punctuation) is refused with the reason.
///
/// The Library folder is the name itself when it is plain ASCII (letters, digits, `-`, `_`, `.`),
/// so existing Libraries keep their folders; otherwise the name's ASCII letters and digits with
/// accents stripped and spaces as `-`, plus `-` and the first 8 hex digits of the sha256 of the
/// name's NFC form: `José` → `Jose-<hash>`, so two names never share a folder and the NFC and NFD
/// spellings of one name (as copies from different systems give) share one.
public struct PersonName: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64
    /// Entries of the Library root that are not person folders; a person of that name gets a
    /// hashed folder like any non-ASCII name.
    public static let reservedFolderNames: Set<String> = ["inbox-status.json"]
    public let value: String
    /// The person's folder in the Library: ASCII, safe in any shell or file system.
    public let folderName: String

    public init(_ raw: String) throws {
        if let problem = PersonName.problem(with: raw) { throw InvalidPersonName(name: raw, reason: problem) }
        value = raw
        folderName = PersonName.folderName(for: raw)
    }

    /// Why `raw` is not an acceptable person name, or nil if it is.
    public static func problem(with raw: String) -> String? {
        if raw.isEmpty { return "the name is empty" }
        if raw.count > maximumLength { return "the name is longer than \(maximumLength) characters" }
        if raw.hasPrefix(".") { return "the name starts with a dot" }
        if raw.contains("..") { return "the name contains '..'" }
        if raw.hasPrefix(" ") || raw.hasSuffix(" ") { return "the name starts or ends with a space" }
        for scalar in raw.unicodeScalars where !isAllowed(scalar) {
            let printable = ![.control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator]
                .contains(scalar.properties.generalCategory)
            let shown = scalar.properties.isWhitespace ? "whitespace other than a plain space"
                : "the character '\(printable ? String(scalar) : scalar.escaped(asASCII: true))'"
            return "the name contains \(shown) (allowed: letters of any alphabet, digits, spaces, '-', '_', '.', \"'\")"
        }
        return nil
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " || scalar == "-" || scalar == "_" || scalar == "." || scalar == "'" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }

    static func isPlainASCII(_ raw: String) -> Bool {
        raw.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || scalar == "-" || scalar == "_" || scalar == "."
        }
    }

    /// The Library folder of a valid name (see the type's documentation).
    static func folderName(for raw: String) -> String {
        if isPlainASCII(raw) && !reservedFolderNames.contains(raw) { return raw }
        let nfc = raw.precomposedStringWithCanonicalMapping
        var stem = ""
        for scalar in nfc.decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" {
                stem.unicodeScalars.append(scalar)
            } else if scalar == " " || scalar == "-" {
                if !stem.isEmpty && !stem.hasSuffix("-") { stem += "-" }
            }
        }
        while stem.hasPrefix(".") { stem.removeFirst() }
        while stem.contains("..") { stem = stem.replacingOccurrences(of: "..", with: ".") }
        stem = String(stem.prefix(40))
        while stem.hasSuffix("-") { stem.removeLast() }
        return (stem.isEmpty ? "person" : stem) + "-" + SHA256.hex(nfc).prefix(8)
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
