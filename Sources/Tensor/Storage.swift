import Foundation

/// A pool of float buffers, reused by exact element count.
///
/// Why: a training step allocates the same activation and gradient buffers every iteration. Fresh
/// `malloc`s of megabyte buffers are served by `mmap`, and first-touch page faults of a few hundred
/// megabytes cost tens of milliseconds per step. Keeping released buffers keyed by size makes the
/// second and later steps allocation-free. The pool also keeps live/peak byte accounting, which the
/// benchmark reports as the memory high-water mark of a training step.
public enum BufferPool {
    private static var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private static var cachedBytes = 0
    private static var lock = pthread_mutex_t()
    private static let lockReady: Void = { pthread_mutex_init(&lock, nil) }()

    /// Bytes of buffers currently held by live tensors.
    public private(set) static var liveBytes = 0
    /// The highest `liveBytes` since the last `resetPeak()`.
    public private(set) static var peakBytes = 0
    /// Released buffers beyond this many bytes are returned to the system instead of being cached.
    public static var cacheLimitBytes = 4 << 30

    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        withLock {
            liveBytes += n * 4
            peakBytes = max(peakBytes, liveBytes)
        }
        if let reused = withLock({ () -> UnsafeMutablePointer<Float>? in
            guard let p = free[n]?.popLast() else { return nil }
            cachedBytes -= n * 4
            return p
        }) { return reused }
        return UnsafeMutablePointer<Float>.allocate(capacity: n)
    }

    static func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        let keep = withLock { () -> Bool in
            liveBytes -= n * 4
            guard cachedBytes + n * 4 <= cacheLimitBytes else { return false }
            free[n, default: []].append(pointer)
            cachedBytes += n * 4
            return true
        }
        if !keep { pointer.deallocate() }
    }

    /// Starts a new high-water mark measurement at the current live size.
    public static func resetPeak() { withLock { peakBytes = liveBytes } }

    /// Returns every cached buffer to the system.
    public static func drain() {
        let all = withLock { () -> [UnsafeMutablePointer<Float>] in
            let list = free.values.flatMap { $0 }
            free = [:]
            cachedBytes = 0
            return list
        }
        all.forEach { $0.deallocate() }
    }

    private static func withLock<R>(_ body: () -> R) -> R {
        _ = lockReady
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }
}

/// A contiguous float buffer owned by one or more tensors (views created by `reshaped` share it).
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised storage of `count` floats.
    init(uninitialized count: Int) {
        self.count = count
        pointer = BufferPool.allocate(count)
    }

    /// Zero-filled storage of `count` floats.
    convenience init(zeros count: Int) {
        self.init(uninitialized: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { BufferPool.release(pointer, count: count) }
}
