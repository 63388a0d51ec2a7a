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

    /// `<root>/<folderName>`: the person's safe folder (see `PersonName.folderName`).
    public func personDirectory(_ person: PersonName) -> URL { root.appendingPathComponent(person.folderName, isDirectory: true) }
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

    /// Persons with a folder in the Library. A folder's person is the name its manifests or its
    /// `status.json` record (the folder of a non-ASCII name is hashed, so its name alone does not
    /// say); a folder with neither counts as the person of its own name. A folder that maps to no
    /// person whose folder it is (hand-made, renamed) is left out.
    public func persons() -> [PersonName] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.compactMap { name in
            var info = stat()
            guard lstat(root.appendingPathComponent(name).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
            return person(inFolder: name)
        }.sorted()
    }

    /// The person whose Library folder is `name`, from the records inside it.
    func person(inFolder name: String) -> PersonName? {
        struct Named: Decodable { var person: String }
        let folder = root.appendingPathComponent(name, isDirectory: true)
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .compactMap(LibraryLayout.versionNumber).sorted()
        let records = versions.map { folder.appendingPathComponent(LibraryLayout.versionName($0)).appendingPathComponent(BundleManifest.fileName) }
            + [folder.appendingPathComponent("status.json")]
        let recorded = records.lazy.compactMap { FileManager.default.contents(atPath: $0.path) }
            .compactMap { try? JSONDecoder().decode(Named.self, from: $0).person }
        return (Array(recorded.prefix(1)) + [name]).lazy.compactMap { try? PersonName($0) }.first { $0.folderName == name }
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
