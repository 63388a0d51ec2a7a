import Foundation

/// A failed file-system call, with the path and the errno text so the user can act on it.
public enum FileSystemError: Error, CustomStringConvertible, Equatable {
    case io(operation: String, path: String, code: Int32)
    case alreadyExists(path: String)
    case outsideRoot(path: String, root: String)

    public var description: String {
        switch self {
        case let .io(operation, path, code):
            return "\(operation) failed for \(path): \(String(cString: strerror(code)))"
        case let .alreadyExists(path):
            return "\(path) already exists and is never overwritten"
        case let .outsideRoot(path, root):
            return "refusing to touch \(path): it is outside \(root)"
        }
    }
}

@_silgen_name("renameat2")
private func c_renameat2(_ oldDirectory: Int32, _ oldPath: UnsafePointer<CChar>, _ newDirectory: Int32,
                         _ newPath: UnsafePointer<CChar>, _ flags: UInt32) -> Int32

/// The durable file operations publishing relies on: fsync of files and directories, rename that
/// never replaces, and an atomic symlink switch. Each throws `FileSystemError` on failure.
public enum Durable {
    /// Flushes a file or directory to stable storage.
    public static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.io(operation: "open", path: url.path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.io(operation: "fsync", path: url.path, code: errno) }
    }

    /// Writes `data` to a new file (failing if it exists) and fsyncs it.
    public static func writeNew(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { throw FileSystemError.alreadyExists(path: url.path) }
            throw FileSystemError.io(operation: "create", path: url.path, code: errno)
        }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError.io(operation: "write", path: url.path, code: errno)
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else { throw FileSystemError.io(operation: "fsync", path: url.path, code: errno) }
    }

    /// Replaces `url` atomically: writes a sibling temp file, fsyncs, renames over, fsyncs the folder.
    public static func replace(_ url: URL, with data: Data) throws {
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".tmp-\(url.lastPathComponent)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try writeNew(data, to: temp)
        guard rename(temp.path, url.path) == 0 else {
            let code = errno
            unlink(temp.path)
            throw FileSystemError.io(operation: "rename", path: url.path, code: code)
        }
        try sync(url.deletingLastPathComponent())
    }

    /// Renames `source` to `destination` only if `destination` does not exist (renameat2 with
    /// RENAME_NOREPLACE), so a published version is never overwritten.
    public static func renameNoReplace(_ source: URL, to destination: URL) throws {
        let renameNoReplaceFlag: UInt32 = 1
        guard c_renameat2(AT_FDCWD, source.path, AT_FDCWD, destination.path, renameNoReplaceFlag) == 0 else {
            if errno == EEXIST { throw FileSystemError.alreadyExists(path: destination.path) }
            throw FileSystemError.io(operation: "rename", path: destination.path, code: errno)
        }
    }

    /// Points the symlink `link` at `target` (a relative name) atomically: a temp symlink renamed over it.
    public static func switchSymlink(_ link: URL, to target: String) throws {
        let temp = link.deletingLastPathComponent()
            .appendingPathComponent(".tmp-link-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard symlink(target, temp.path) == 0 else {
            throw FileSystemError.io(operation: "symlink", path: temp.path, code: errno)
        }
        guard rename(temp.path, link.path) == 0 else {
            let code = errno
            unlink(temp.path)
            throw FileSystemError.io(operation: "rename", path: link.path, code: code)
        }
        try sync(link.deletingLastPathComponent())
    }

    /// Removes a folder tree without following symlinks, refusing anything outside `root`.
    public static func removeTree(_ url: URL, inside root: URL) throws {
        let path = url.standardizedFileURL.path, rootPath = root.standardizedFileURL.path
        guard path.hasPrefix(rootPath + "/") else { throw FileSystemError.outsideRoot(path: path, root: rootPath) }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                try removeTree(url.appendingPathComponent(name), inside: root)
            }
            guard rmdir(path) == 0 || errno == ENOENT else {
                throw FileSystemError.io(operation: "rmdir", path: path, code: errno)
            }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else {
                throw FileSystemError.io(operation: "unlink", path: path, code: errno)
            }
        }
    }

    /// Creates a folder (and its parents) if missing.
    public static func makeDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError.io(operation: "mkdir", path: url.path, code: EIO)
        }
    }
}

/// What identifies one version of a file without reading it: size, modification time (ns) and inode.
public struct FileSignature: Hashable, Codable, Sendable {
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var inode: UInt64

    public init(size: Int64, modifiedNanoseconds: Int64, inode: UInt64) {
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.inode = inode
    }

    /// `stat` of a path (following symlinks); nil if it does not exist or is not a regular file.
    public static func of(_ path: String) -> FileSignature? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileSignature(size: Int64(info.st_size),
                             modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                             inode: UInt64(info.st_ino))
    }
}
