import Foundation

/// Atomic, immutable publishing of a bundle:
/// 1. the job writes its files into `<person>/.tmp-*` (`makeStagingDirectory`);
/// 2. `publish` fsyncs every file, hashes it, writes `manifest.json` (fsynced), fsyncs the folder,
///    renames it to `vNNNN` with RENAME_NOREPLACE (a version is never overwritten) and fsyncs the
///    person folder;
/// 3. `switchLatest` points `latest` at it by renaming a fresh symlink over the old one.
/// A crash at any point leaves either a staging folder (removed at start-up) or a complete version.
public struct Publisher: Sendable {
    public let layout: LibraryLayout

    public init(layout: LibraryLayout) {
        self.layout = layout
    }

    /// Creates a fresh, empty staging folder for a job.
    public func makeStagingDirectory(for person: PersonName, jobID: Int64) throws -> URL {
        let personFolder = layout.personDirectory(person)
        try Durable.makeDirectory(personFolder)
        let name = "\(LibraryLayout.stagingPrefix)job\(jobID)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let url = personFolder.appendingPathComponent(name, isDirectory: true)
        guard mkdir(url.path, 0o755) == 0 else { throw FileSystemError.io(operation: "mkdir", path: url.path, code: errno) }
        return url
    }

    /// Publishes a staging folder as the next version (above both `atLeast` and every version on
    /// disk). Returns the manifest written.
    public func publish(staging: URL, draft: BundleDraft, atLeast minimumVersion: Int = 1,
                        now: Date = Date()) throws -> BundleManifest {
        let files = try sealFiles(in: staging)
        let version = max(minimumVersion, (layout.versionsOnDisk(draft.person).last ?? 0) + 1)
        let manifest = BundleManifest(
            format: BundleManifest.currentFormat, person: draft.person.value, version: version,
            createdAt: Publisher.timestamp(now), jobID: draft.jobID, inputs: draft.inputs,
            accepted: draft.accepted, rejected: draft.rejected, stage: draft.stage, models: draft.models,
            statistics: draft.statistics, files: files)
        try Durable.writeNew(try manifest.encoded(), to: staging.appendingPathComponent(BundleManifest.fileName))
        try Durable.sync(staging)
        try Durable.renameNoReplace(staging, to: layout.versionDirectory(draft.person, version))
        try Durable.sync(layout.personDirectory(draft.person))
        return manifest
    }

    /// Points `<person>/latest` at a published version, atomically.
    public func switchLatest(_ person: PersonName, to version: Int) throws {
        try Durable.switchSymlink(layout.latestLink(person), to: LibraryLayout.versionName(version))
    }

    /// Removes staging folders a crash left behind; returns what was removed.
    @discardableResult
    public func removeStagingLeftovers() throws -> [URL] {
        let leftovers = layout.stagingLeftovers()
        for url in leftovers { try Durable.removeTree(url, inside: layout.root) }
        return leftovers
    }

    /// Fsyncs and hashes every regular file under `folder` (sub-folders included, fsynced too);
    /// symlinks and other special files are refused so a bundle is self-contained.
    func sealFiles(in folder: URL, prefix: String = "") throws -> [BundleFile] {
        var files: [BundleFile] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
            let url = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { throw FileSystemError.io(operation: "stat", path: url.path, code: errno) }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                try Durable.sync(url)
                files.append(BundleFile(path: prefix + name, size: Int64(info.st_size), sha256: try SHA256.hex(fileAt: url)))
            case S_IFDIR:
                files += try sealFiles(in: url, prefix: prefix + name + "/")
                try Durable.sync(url)
            default:
                throw FileSystemError.io(operation: "publish (only regular files and folders are allowed)", path: url.path, code: EINVAL)
            }
        }
        return files
    }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
