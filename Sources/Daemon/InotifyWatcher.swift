import CInotifyTools
import Foundation

/// One inotify event: the watched folder it happened in, the entry's name and the event mask.
public struct WatchEvent: Equatable, Sendable {
    public var directory: String
    public var name: String
    public var mask: UInt32

    public var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    public var isDirectory: Bool { mask & UInt32(IN_ISDIR) != 0 }
    /// The entry appeared (created or moved in).
    public var appeared: Bool { mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 }
    /// The entry went away (deleted or moved out).
    public var disappeared: Bool { mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 }
}

public struct WatcherError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Inotify through libinotifytools: the inbox root and each person folder are watched (not
/// recursively: sub-folders of a person are not read). Events are only hints for the
/// reconciler; an overflow means "rescan everything". libinotifytools keeps global state, so
/// one watcher exists per process at a time.
public final class InotifyWatcher {
    /// What a folder is watched for: finished writes, moves in and out, creation, deletion,
    /// and modification (so a folder being written to is not "quiet").
    static let events = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
                              | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY)
    private var watched: Set<String> = []

    public init(root: URL) throws {
        guard inotifytools_initialize() != 0 else {
            throw WatcherError(message: "cannot start inotify: \(String(cString: strerror(inotifytools_error())))")
        }
        try watch(root.standardizedFileURL.path)
    }

    deinit { inotifytools_cleanup() }

    /// Starts watching a folder (no-op if already watched).
    public func watch(_ path: String) throws {
        guard !watched.contains(path) else { return }
        guard inotifytools_watch_file(path, InotifyWatcher.events) != 0 else {
            throw WatcherError(message: "cannot watch \(path): \(String(cString: strerror(inotifytools_error())))")
        }
        watched.insert(path)
    }

    /// Stops watching a folder that was removed or renamed.
    public func unwatch(_ path: String) {
        guard watched.remove(path) != nil else { return }
        _ = inotifytools_remove_watch_by_filename(path + "/")
        _ = inotifytools_remove_watch_by_filename(path)
    }

    public func isWatching(_ path: String) -> Bool { watched.contains(path) }

    /// Every event queued so far, without blocking.
    public func drain(limit: Int = 10_000) -> [WatchEvent] {
        var events: [WatchEvent] = []
        while events.count < limit, let event = inotifytools_next_event(0) {
            let mask = event.pointee.mask
            var name = ""
            if event.pointee.len > 0 {
                let bytes = UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size)
                name = String(cString: bytes.assumingMemoryBound(to: CChar.self))
            }
            var directory = inotifytools_filename_from_wd(event.pointee.wd).map { String(cString: $0) } ?? ""
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            events.append(WatchEvent(directory: directory, name: name, mask: mask))
        }
        return events
    }
}
