import Foundation

/// A problem `likeness verify` found in the Library.
public struct BundleProblem: Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }

    static let unlisted = "not listed in the manifest"

    /// True when the version cannot be used as published (a file missing or altered, no
    /// manifest); a stray extra file does not make it unusable.
    public var makesTheVersionUnusable: Bool { problem != BundleProblem.unlisted }
}

/// Checks every published version against its manifest: the manifest parses and names this
/// person and version, every listed file exists with its size and sha256, no file is unlisted,
/// and `latest` points at an existing version.
public struct BundleVerifier {
    public let layout: LibraryLayout

    public init(layout: LibraryLayout) {
        self.layout = layout
    }

    /// The number of versions checked and every problem found.
    public func verifyAll() -> (versions: Int, problems: [BundleProblem]) {
        var count = 0
        var problems: [BundleProblem] = []
        for person in layout.persons() {
            let versions = layout.versionsOnDisk(person)
            for version in versions {
                count += 1
                problems += verify(person, version)
            }
            let link = layout.latestLink(person)
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link.path) {
                if let number = LibraryLayout.versionNumber(target), !versions.contains(number) {
                    problems.append(BundleProblem(path: link.path, problem: "points at \(target), which does not exist"))
                } else if LibraryLayout.versionNumber(target) == nil {
                    problems.append(BundleProblem(path: link.path, problem: "points at \(target), which is not a version"))
                }
            } else if !versions.isEmpty {
                problems.append(BundleProblem(path: link.path, problem: "missing although versions exist"))
            }
        }
        return (count, problems)
    }

    /// Checks one version folder against its manifest. Not `thorough`: sizes only, no hashing and
    /// no search for unlisted files (what the daemon checks at every start, in milliseconds).
    public func verify(_ person: PersonName, _ version: Int, thorough: Bool = true) -> [BundleProblem] {
        let folder = layout.versionDirectory(person, version)
        let manifestURL = folder.appendingPathComponent(BundleManifest.fileName)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            return [BundleProblem(path: folder.path, problem: "the version folder is gone")]
        }
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            return [BundleProblem(path: folder.path, problem: "no manifest.json")]
        }
        let manifest: BundleManifest
        do { manifest = try BundleManifest.decode(data) } catch {
            return [BundleProblem(path: manifestURL.path, problem: "unreadable manifest: \(error)")]
        }
        var problems: [BundleProblem] = []
        if manifest.person != person.value || manifest.version != version {
            problems.append(BundleProblem(path: manifestURL.path,
                                          problem: "names \(manifest.person)/v\(manifest.version), not \(person)/\(LibraryLayout.versionName(version))"))
        }
        for file in manifest.files {
            let url = folder.appendingPathComponent(file.path)
            guard let signature = FileSignature.of(url.path) else {
                problems.append(BundleProblem(path: url.path, problem: "listed in the manifest but missing"))
                continue
            }
            if signature.size != file.size {
                problems.append(BundleProblem(path: url.path, problem: "size \(signature.size), manifest says \(file.size)"))
            } else if thorough, (try? SHA256.hex(fileAt: url)) != file.sha256 {
                problems.append(BundleProblem(path: url.path, problem: "sha256 differs from the manifest"))
            }
        }
        let listed = Set(manifest.files.map(\.path) + [BundleManifest.fileName])
        for path in thorough ? allFiles(in: folder) : [] where !listed.contains(path) {
            problems.append(BundleProblem(path: folder.appendingPathComponent(path).path, problem: BundleProblem.unlisted))
        }
        return problems
    }

    private func allFiles(in folder: URL, prefix: String = "") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.flatMap { name -> [String] in
            var info = stat()
            let url = folder.appendingPathComponent(name)
            guard lstat(url.path, &info) == 0 else { return [] }
            if (info.st_mode & S_IFMT) == S_IFDIR { return allFiles(in: url, prefix: prefix + name + "/") }
            return [prefix + name]
        }
    }
}
