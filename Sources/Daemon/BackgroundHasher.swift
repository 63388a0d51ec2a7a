import Foundation
import Library

/// Hashes inbox files on a worker thread, so the daemon's loop never waits on a read: a
/// multi-gigabyte file takes its time there while other folders are scanned, jobs collected and
/// status written. The loop submits `.hash` actions and collects results each tick; a file
/// already being hashed with the same signature is not submitted again. Files of at least
/// `largeFileBytes` go to a lane of their own, so one big file does not hold up everyone's photos.
final class BackgroundHasher: @unchecked Sendable {
    static let largeFileBytes: Int64 = 32 << 20

    struct Result {
        var person: PersonName
        var file: ScannedFile
        /// The digest, or the error that stopped the read.
        var sha256: Swift.Result<String, Error>
    }

    private let queue = DispatchQueue(label: "likeness.hasher", qos: .utility)
    private let largeQueue = DispatchQueue(label: "likeness.hasher.large", qos: .utility)
    private let lock = NSLock()
    private var pending: [FileKey: FileSignature] = [:]
    private var finished: [Result] = []
    private var cancelled = false

    /// Queues `file` unless the same version of it is already queued or being hashed. Returns
    /// false when it was already there.
    @discardableResult
    func submit(_ person: PersonName, _ file: ScannedFile) -> Bool {
        let key = FileKey(person: person, name: file.name)
        let accepted: Bool = lock.withLock {
            if pending[key] == file.signature { return false }
            pending[key] = file.signature
            return true
        }
        guard accepted else { return false }
        (file.signature.size >= BackgroundHasher.largeFileBytes ? largeQueue : queue).async { [self] in
            let digest = Swift.Result { try SHA256.hex(fileAt: URL(fileURLWithPath: file.path), isCancelled: { self.isCancelled }) }
            lock.withLock {
                if pending[key] == file.signature { pending[key] = nil }
                finished.append(Result(person: person, file: file, sha256: digest))
            }
        }
        return true
    }

    /// True while `file` (this signature) is queued or being hashed.
    func isHashing(_ person: PersonName, _ file: ScannedFile) -> Bool {
        lock.withLock { pending[FileKey(person: person, name: file.name)] == file.signature }
    }

    /// Files queued or being hashed.
    var pendingCount: Int { lock.withLock { pending.count } }

    /// The results since the last call.
    func drain() -> [Result] {
        lock.withLock {
            defer { finished = [] }
            return finished
        }
    }

    private var isCancelled: Bool { lock.withLock { cancelled } }

    /// Stops the read in progress at its next chunk, drops the queue and waits for the worker.
    func cancelAll() {
        lock.withLock { cancelled = true }
        queue.sync {}
        largeQueue.sync {}
        lock.withLock {
            pending = [:]
            finished = []
            cancelled = false
        }
    }
}
