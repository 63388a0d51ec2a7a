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

    /// Removes `<person>/latest` (no version is left to point at).
    public func removeLatest(_ person: PersonName) throws {
        let link = layout.latestLink(person)
        guard unlink(link.path) == 0 || errno == ENOENT else { throw FileSystemError.io(operation: "unlink", path: link.path, code: errno) }
        try Durable.sync(link.deletingLastPathComponent())
    }

    /// Removes a job's staging folder with its report and spec (`<staging>.*`), holding the
    /// folder's `StagingClaim`: waits up to `timeout` for a job process that still owns it. Returns
    /// what was removed; nothing while the owner holds on (`StagingError` is not thrown for that).
    @discardableResult
    public func removeStaging(_ staging: URL, timeout: TimeInterval = 10) throws -> [URL] {
        guard let claim = StagingClaim.forRemoval(staging, timeout: timeout) else { return [] }
        let folder = staging.deletingLastPathComponent(), stem = staging.lastPathComponent
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0 == stem || $0.hasPrefix(stem + ".") }.sorted()
        let removed = names.map { folder.appendingPathComponent($0) }
        for url in removed { try Durable.removeTree(url, inside: layout.root) }
        withExtendedLifetime(claim) {}
        return removed
    }

    /// Removes what crashes left behind in staging (`.tmp-*`: folders, reports, specs); returns
    /// what was removed. A staging folder still claimed by a job process (orphaned by a killed
    /// daemon, about to exit) is waited for up to `timeout`, then left for the next start.
    @discardableResult
    public func removeStagingLeftovers(timeout: TimeInterval = 10) throws -> (removed: [URL], kept: [URL]) {
        var removed: [URL] = [], kept: [URL] = []
        var stems: [URL] = []
        for url in layout.stagingLeftovers() {
            let name = url.lastPathComponent
            let stem = name.dropFirst().split(separator: ".", maxSplits: 1).first.map { "." + $0 } ?? name
            let staging = url.deletingLastPathComponent().appendingPathComponent(stem)
            if !stems.contains(staging) { stems.append(staging) }
        }
        for staging in stems {
            let gone = try removeStaging(staging, timeout: timeout)
            if gone.isEmpty { kept.append(staging) } else { removed += gone }
        }
        return (removed, kept)
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
