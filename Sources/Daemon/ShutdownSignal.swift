import Foundation

nonisolated(unsafe) private var shutdownRequestedBySignal: sig_atomic_t = 0

/// SIGTERM/SIGINT (or `request()`) ask the daemon to stop: the loop notices at its next tick,
/// lets a running job finish within the grace period or abandons it cleanly.
public final class ShutdownSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    /// Installs handlers for SIGTERM and SIGINT that only set a flag (async-signal-safe).
    public func installSignalHandlers() {
        signal(SIGTERM) { _ in shutdownRequestedBySignal = 1 }
        signal(SIGINT) { _ in shutdownRequestedBySignal = 1 }
    }

    public func request() { lock.withLock { requested = true } }

    public var isRequested: Bool { shutdownRequestedBySignal != 0 || lock.withLock { requested } }
}
