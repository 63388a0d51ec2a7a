import Foundation
import Library

/// A file in a person's inbox folder that may be a photo.
public struct ScannedFile: Equatable, Sendable {
    /// The name in the person folder (the ledger's key).
    public var name: String
    /// The path to read: the file itself, or a symlink's target inside the inbox.
    public var path: String
    public var signature: FileSignature

    public init(name: String, path: String, signature: FileSignature) {
        self.name = name
        self.path = path
        self.signature = signature
    }
}

/// An inbox entry that is not read, why, and what the user can do about it.
public struct SkippedEntry: Equatable, Sendable {
    public var name: String
    public var reason: String
    public var advice: String

    static let outsideReason = "a symlink that leads outside the inbox"
    static let outsideAdvice = "copy the photos into the inbox instead of linking to them"

    static func symlinkOutside(_ name: String) -> SkippedEntry {
        SkippedEntry(name: name, reason: outsideReason, advice: outsideAdvice)
    }

    /// The refusal as the ledger and the status files show it; `folder` is the person folder the
    /// entry is in, nil for the inbox root.
    public func refusal(in folder: PersonName? = nil) -> InboxRefusal {
        InboxRefusal(entry: folder.map { "\($0.value)/\(name)" } ?? name, reason: reason, advice: advice)
    }
}

/// One person folder as seen now.
public struct PersonScan: Equatable, Sendable {
    public var person: PersonName
    public var files: [ScannedFile]
    public var skipped: [SkippedEntry]
}

/// The inbox as seen now: valid person folders, and the entries of the inbox root refused as
/// persons (folders with names that cannot be a person, symlinks leading out, loose files).
public struct InboxScan: Equatable, Sendable {
    public var persons: [PersonName: PersonScan] = [:]
    public var invalidFolders: [SkippedEntry] = []
    public init() {}
}

/// Reads the inbox without modifying anything in it. Names that are in-progress downloads or
/// hidden (dotfiles, `*.tmp`, `*.part`, `*.crdownload`) are ignored; symlinks are followed only
/// when their target is inside the inbox; sub-folders of a person folder are not read.
public struct InboxScanner: Sendable {
    public let root: URL
    /// Files larger than this are refused from their size alone (`stat`), never hashed or read:
    /// one huge file must not hold up the daemon or a job.
    public let maximumFileBytes: Int64
    private let realRoot: String

    public init(root: URL, maximumFileBytes: Int64 = Int64(DaemonConfiguration().maxPhotoMB) << 20) {
        self.root = root.standardizedFileURL
        self.maximumFileBytes = maximumFileBytes
        realRoot = InboxScanner.realPath(self.root.path) ?? self.root.path
    }

    /// True for names that are never photos: hidden files and partial downloads.
    public static func isIgnored(_ name: String) -> Bool {
        let lower = name.lowercased()
        return name.hasPrefix(".") || lower.hasSuffix(".tmp") || lower.hasSuffix(".part") || lower.hasSuffix(".crdownload")
    }

    /// Names of the folders in the inbox root (candidates for persons).
    public func folderNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }

    /// Scans every person folder.
    public func scanAll() -> InboxScan {
        var scan = InboxScan()
        for name in folderNames() where !InboxScanner.isIgnored(name) {
            switch classifyFolder(name) {
            case let .person(person): scan.persons[person] = scanPerson(person)
            case let .skipped(entry): scan.invalidFolders.append(entry)
            case .notAFolder:
                scan.invalidFolders.append(SkippedEntry(name: name, reason: "a file directly in the inbox belongs to no person",
                                                        advice: "move it into a person folder, Inbox/<person name>/"))
            }
        }
        return scan
    }

    enum FolderKind { case person(PersonName), skipped(SkippedEntry), notAFolder }

    /// Whether `name` in the inbox root is a usable person folder.
    func classifyFolder(_ name: String) -> FolderKind {
        let path = root.appendingPathComponent(name).path
        guard let resolved = resolveInside(path), isDirectory(resolved) else {
            if isDirectory(path) || isSymlink(path) { return .skipped(.symlinkOutside(name)) }
            return .notAFolder
        }
        do {
            return .person(try PersonName(name))
        } catch {
            let reason = (error as? InvalidPersonName)?.reason ?? "\(error)"
            return .skipped(SkippedEntry(name: name, reason: reason, advice: "rename the folder to the person's name: letters of "
                + "any alphabet, digits, spaces, '-', '_', '.', \"'\", at most \(PersonName.maximumLength) characters"))
        }
    }

    /// Scans one person folder; a missing folder gives an empty scan.
    public func scanPerson(_ person: PersonName) -> PersonScan {
        let folder = root.appendingPathComponent(person.value)
        var files: [ScannedFile] = []
        var skipped: [SkippedEntry] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() {
            if InboxScanner.isIgnored(name) { continue }
            let path = folder.appendingPathComponent(name).path
            guard let resolved = resolveInside(path) else {
                skipped.append(.symlinkOutside(name))
                continue
            }
            if isDirectory(resolved) {
                skipped.append(SkippedEntry(name: name, reason: "sub-folders are not read",
                                            advice: "move its photos up into \(person.value)/, or make it a person folder of its own in the inbox"))
            } else if let signature = FileSignature.of(resolved), signature.size > maximumFileBytes {
                skipped.append(SkippedEntry(name: name, reason: "too-large: the file is \(InboxScanner.mebibytes(signature.size)) MiB, "
                                                + "more than the \(maximumFileBytes >> 20) MiB limit (not read)",
                                            advice: "re-save it smaller (a photo needs far less), or raise maxPhotoMB in the config"))
            } else if let signature = FileSignature.of(resolved) {
                files.append(ScannedFile(name: name, path: resolved, signature: signature))
            }
        }
        return PersonScan(person: person, files: files, skipped: skipped)
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }

    /// The real path of `path` if it lies inside the inbox, else nil.
    func resolveInside(_ path: String) -> String? {
        guard let real = InboxScanner.realPath(path) else { return nil }
        return real.hasPrefix(realRoot + "/") ? real : nil
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private func isSymlink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}
