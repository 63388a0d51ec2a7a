import Foundation

/// Who owns a staging folder: the process holding an exclusive `flock` on the folder itself.
///
/// A job process claims its folder before it writes anything and keeps the claim until it exits
/// (the kernel drops it however the process ends); the daemon removes a staging folder, its report
/// and its spec only while holding the claim (`Publisher.removeStaging`). So a job orphaned by a
/// killed daemon cannot write into a staging area the next daemon cleaned up: either it still
/// holds the claim, and the cleanup waits until it has exited (it stops within 200 ms of seeing
/// its parent gone), or it gets the claim after the cleanup and finds the folder gone.
public final class StagingClaim {
    let descriptor: Int32
    public let folder: URL

    private init(descriptor: Int32, folder: URL) {
        self.descriptor = descriptor
        self.folder = folder
    }

    deinit { close(descriptor) }

    /// A job's claim on its staging folder: waits for the lock, then checks that the folder at the
    /// path is still the one locked. Throws `StagingError.gone` when it was removed meanwhile.
    public static func forJob(_ folder: URL) throws -> StagingClaim {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw StagingError.gone(path: folder.path) }
            throw FileSystemError.io(operation: "open", path: folder.path, code: errno)
        }
        let claim = StagingClaim(descriptor: descriptor, folder: folder)
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw FileSystemError.io(operation: "flock", path: folder.path, code: errno) }
        }
        guard claim.isStillAtItsPath else { throw StagingError.gone(path: folder.path) }
        return claim
    }

    /// The daemon's claim before removing a staging folder: tries for up to `timeout` seconds.
    /// Nil while another process (a running job) holds it; a folder that is already gone gives a
    /// claim on nothing, so its leftover files can be removed.
    public static func forRemoval(_ folder: URL, timeout: TimeInterval) -> StagingClaim? {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return StagingClaim(descriptor: -1, folder: folder) }
        let claim = StagingClaim(descriptor: descriptor, folder: folder)
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else { return nil }
            usleep(20_000)
        }
        return claim
    }

    /// True while the locked folder is the one at `folder`'s path (not removed, not replaced).
    var isStillAtItsPath: Bool {
        var locked = stat(), current = stat()
        guard fstat(descriptor, &locked) == 0, stat(folder.path, &current) == 0 else { return false }
        return locked.st_ino == current.st_ino && locked.st_dev == current.st_dev
    }
}

/// Why a job may not use its staging folder.
public enum StagingError: Error, CustomStringConvertible, Equatable {
    /// The folder was removed (by a daemon that took over after this job's daemon died).
    case gone(path: String)

    public var description: String {
        switch self {
        case let .gone(path): return "the staging folder \(path) is gone: this job no longer owns it"
        }
    }
}
