import Foundation

nonisolated(unsafe) private var shutdownSignalsReceived: sig_atomic_t = 0

/// SIGTERM/SIGINT (or `request()`) ask the daemon to stop: the loop notices at its next tick and
/// lets a running job finish within the grace period, saying what it waits for; a second signal
/// (or `request(abandon: true)`) abandons the job cleanly instead.
public final class ShutdownSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var requests = 0

    public init() {}

    /// Installs handlers for SIGTERM and SIGINT that only count the signal (async-signal-safe).
    public func installSignalHandlers() {
        signal(SIGTERM) { _ in shutdownSignalsReceived += 1 }
        signal(SIGINT) { _ in shutdownSignalsReceived += 1 }
    }

    /// Asks to stop; `abandon` also gives up running jobs at once, as a second signal does.
    public func request(abandon: Bool = false) { lock.withLock { requests = max(requests + 1, abandon ? 2 : 1) } }

    private var count: Int { Int(shutdownSignalsReceived) + lock.withLock { requests } }

    public var isRequested: Bool { count >= 1 }

    /// A second request: running jobs are abandoned instead of waited for.
    public var isAbandonRequested: Bool { count >= 2 }
}
