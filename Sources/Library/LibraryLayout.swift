import Foundation

/// Where things live under the Library root:
/// `<root>/<person>/vNNNN/` (immutable versions), `<root>/<person>/latest` (symlink to the newest
/// published version), `<root>/<person>/status.json`, `<root>/<person>/.tmp-*` (staging, removed at
/// start-up), `<root>/.ledger.sqlite` (the ledger) and `<root>/.lock` (one daemon at a time).
public struct LibraryLayout: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var ledgerURL: URL { root.appendingPathComponent(".ledger.sqlite") }
    public var lockURL: URL { root.appendingPathComponent(".lock") }
    public static let stagingPrefix = ".tmp-"

    public func personDirectory(_ person: PersonName) -> URL { root.appendingPathComponent(person.value, isDirectory: true) }
    public func versionDirectory(_ person: PersonName, _ version: Int) -> URL {
        personDirectory(person).appendingPathComponent(LibraryLayout.versionName(version), isDirectory: true)
    }
    public func latestLink(_ person: PersonName) -> URL { personDirectory(person).appendingPathComponent("latest") }
    public func statusFile(_ person: PersonName) -> URL { personDirectory(person).appendingPathComponent("status.json") }

    /// `v0001`, `v0002`, … (at least four digits).
    public static func versionName(_ version: Int) -> String {
        let digits = String(version)
        return "v" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The version number of a folder name like `v0012`, or nil.
    public static func versionNumber(_ name: String) -> Int? {
        guard name.hasPrefix("v"), name.count >= 5, let number = Int(name.dropFirst()), number > 0,
              versionName(number) == name else { return nil }
        return number
    }

    /// Person folders present in the Library (valid names only).
    public func persons() -> [PersonName] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.compactMap { name in
            var info = stat()
            guard lstat(root.appendingPathComponent(name).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
            return try? PersonName(name)
        }.sorted()
    }

    /// Published version numbers on disk for a person, ascending.
    public func versionsOnDisk(_ person: PersonName) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: personDirectory(person).path)) ?? []
        return names.compactMap(LibraryLayout.versionNumber).sorted()
    }

    /// The version `latest` points to, if the link exists and names a version.
    public func latestOnDisk(_ person: PersonName) -> Int? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: latestLink(person).path) else { return nil }
        return LibraryLayout.versionNumber(target)
    }

    /// Staging leftovers (`.tmp-*`) in the root and in every person folder.
    public func stagingLeftovers() -> [URL] {
        var folders = [root]
        folders += persons().map(personDirectory)
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { $0.hasPrefix(LibraryLayout.stagingPrefix) }
                .map { folder.appendingPathComponent($0) }
        }
    }
}
