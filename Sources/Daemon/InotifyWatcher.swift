import CInotifyTools
import Foundation

/// One inotify event: the watched folder it happened in, the entry's name and the event mask.
public struct WatchEvent: Equatable, Sendable {
    public var directory: String
    public var name: String
    public var mask: UInt32

    public var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    /// The event inotify queues when its queue overflowed (events were lost).
    public static let overflow = WatchEvent(directory: "", name: "", mask: UInt32(IN_Q_OVERFLOW))
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
/// reconciler; an overflow means "rescan everything". One watcher is active per process.
public final class InotifyWatcher: @unchecked Sendable {
    private let hub = InotifyHub.shared

    /// Starts watching `root` (previous watches of this process are dropped).
    public init(root: URL) throws {
        try hub.restart(root: root.standardizedFileURL.path)
    }

    deinit { try? hub.restart(root: nil) }

    /// Asks for a folder to be watched (no-op if it already is).
    public func watch(_ path: String) { hub.request(path, add: true) }

    /// Asks to stop watching a folder that was removed or renamed.
    public func unwatch(_ path: String) { hub.request(path, add: false) }

    /// Every event queued so far, without blocking.
    public func drain() -> [WatchEvent] { hub.drain() }
}

/// The process's libinotifytools session. The library keeps global, unsynchronised state, its
/// `next_event` blocks even when asked not to wait, and re-initialising it after a cleanup loses
/// events; so it is initialised once and one reader thread owns it for the life of the process:
/// the thread waits up to 1 s for an event, carries out watch requests between waits and queues
/// events (folder paths resolved) for `drain`. When it starts watching a folder it queues an
/// empty-named event for it, so the daemon scans the folder after the watch is in place.
///
/// Several paths can name one folder (a person folder that is a symlink to another one inside
/// the inbox): inotify gives them one watch descriptor, so the folder is watched once, under the
/// first of its paths, and its events are queued for every path that names it. Removing that
/// watch twice made libinotifytools print "Failed to remove watch … Unknown error -1".
final class InotifyHub: @unchecked Sendable {
    static let shared = InotifyHub()

    /// What a folder is watched for: finished writes, moves in and out, creation, deletion,
    /// modification (so a folder being written to is not "quiet") and attribute changes (`touch`,
    /// which asks for a failed job to be tried again).
    static let events = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
                              | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY | IN_ATTRIB)

    private enum Request {
        case watch(String), unwatch(String)
        case restart(root: String?, done: DispatchSemaphore, result: UnsafeMutablePointer<String?>)
    }

    private let lock = NSLock()
    private var queued: [WatchEvent] = []
    private var requests: [Request] = []
    private var started = false
    private var initError: String?
    /// Touched only by the reader thread: every watched path with its folder's real path, and
    /// for each real path the one path libinotifytools watches it under.
    private var watched: [String: String] = [:]
    private var watchedAs: [String: String] = [:]

    private init() {}

    /// Drops every watch and queued event, then watches `root` (if given). Throws if it cannot.
    func restart(root: String?) throws {
        try startIfNeeded()
        let done = DispatchSemaphore(value: 0)
        let result = UnsafeMutablePointer<String?>.allocate(capacity: 1)
        result.initialize(to: nil)
        defer { result.deinitialize(count: 1); result.deallocate() }
        lock.withLock { requests.append(.restart(root: root, done: done, result: result)) }
        done.wait()
        if let message = result.pointee { throw WatcherError(message: message) }
    }

    func request(_ path: String, add: Bool) {
        lock.withLock { requests.append(add ? .watch(path) : .unwatch(path)) }
    }

    func drain() -> [WatchEvent] {
        lock.withLock {
            defer { queued = [] }
            return queued
        }
    }

    private func startIfNeeded() throws {
        try lock.withLock {
            if !started {
                started = true
                if inotifytools_initialize() == 0 {
                    initError = "cannot start inotify: \(String(cString: strerror(inotifytools_error())))"
                } else {
                    let thread = Thread { [unowned self] in self.readLoop() }
                    thread.name = "inotify"
                    thread.start()
                }
            }
            if let initError { throw WatcherError(message: initError) }
        }
    }

    private func readLoop() {
        while true {
            let work = lock.withLock { () -> [Request] in
                defer { requests = [] }
                return requests
            }
            for request in work { carryOut(request) }
            guard let event = inotifytools_next_event(1) else { continue }
            let mask = event.pointee.mask
            var name = ""
            if event.pointee.len > 0 {
                let bytes = UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size)
                name = String(cString: bytes.assumingMemoryBound(to: CChar.self))
            }
            var directory = inotifytools_filename_from_wd(event.pointee.wd).map { String(cString: $0) } ?? ""
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            let paths = aliases(of: directory)
            lock.withLock { queued += paths.map { WatchEvent(directory: $0, name: name, mask: mask) } }
        }
    }

    /// Every watched path naming the same folder as `directory` (itself first).
    private func aliases(of directory: String) -> [String] {
        guard let real = watched[directory] else { return [directory] }
        return [directory] + watched.filter { $0.key != directory && $0.value == real }.map(\.key).sorted()
    }

    private func addWatch(_ path: String) -> Bool { inotifytools_watch_file(path, InotifyHub.events) != 0 }

    private func removeWatch(_ path: String) {
        _ = inotifytools_remove_watch_by_filename(path + "/")
        _ = inotifytools_remove_watch_by_filename(path)
    }

    private func carryOut(_ request: Request) {
        switch request {
        case let .watch(path):
            guard watched[path] == nil else { return }
            let real = InboxScanner.realPath(path) ?? path
            if watchedAs[real] == nil {
                guard addWatch(path) else { return }
                watchedAs[real] = path
            }
            watched[path] = real
            lock.withLock { queued.append(WatchEvent(directory: path, name: "", mask: 0)) }
        case let .unwatch(path):
            guard let real = watched.removeValue(forKey: path), watchedAs[real] == path else { return }
            // The folder's watch was under this path: move it to another path naming it, if any.
            removeWatch(path)
            watchedAs[real] = nil
            if let other = watched.first(where: { $0.value == real })?.key, addWatch(other) { watchedAs[real] = other }
        case let .restart(root, done, result):
            for path in watchedAs.values { removeWatch(path) }
            watched = [:]
            watchedAs = [:]
            if let root {
                if addWatch(root) {
                    let real = InboxScanner.realPath(root) ?? root
                    watched[root] = real
                    watchedAs[real] = root
                } else {
                    result.pointee = "cannot watch \(root): \(String(cString: strerror(inotifytools_error())))"
                }
            }
            lock.withLock { queued = [] }
            done.signal()
        }
    }
}
