import COpenBLAS
import Dispatch
import Synchronization

/// Thread settings for the tensor engine.
///
/// Two strategies, both measured by `likeness bench tensor`:
/// - `.engine` (default): OpenBLAS runs single-threaded and the engine owns all parallelism. Large
///   GEMMs are split into row (or column) blocks run side by side, the row-wise kernels (LayerNorm,
///   softmax, GELU) split their rows, and attention runs its batch×head GEMMs in parallel. One pool
///   of workers, so OpenBLAS's spinning threads never compete with the engine's own loops for the
///   cores between GEMMs.
/// - `.openBLAS`: OpenBLAS threads every GEMM itself; the engine's loops still use `threads`
///   workers (attention switches OpenBLAS to one thread while its heads run in parallel).
public enum Compute {
    public enum Strategy: String, Sendable, CaseIterable { case engine, openBLAS }

    /// Worker count for the engine's parallel loops. Initially OpenBLAS's own thread count
    /// (`OPENBLAS_NUM_THREADS` or the number of cores), with the `.engine` strategy.
    public private(set) static var threads: Int = initialThreads
    public private(set) static var strategy: Strategy = { _ = initialThreads; return .engine }()

    /// Adopts OpenBLAS's thread count as the engine's and makes OpenBLAS single-threaded (the
    /// `.engine` default), once, before the first GEMM.
    private static let initialThreads: Int = {
        let n = max(1, Int(openblas_get_num_threads()))
        openblas_set_num_threads(1)
        return n
    }()

    /// Sets the engine's thread count and strategy (and OpenBLAS's thread count accordingly).
    public static func setThreads(_ count: Int, strategy: Strategy = .engine) {
        threads = max(1, count)
        self.strategy = strategy
        openblas_set_num_threads(strategy == .openBLAS ? Int32(threads) : 1)
    }

    /// Whether `sgemm` splits large products over the engine's workers.
    static var splitsGEMM: Bool { strategy == .engine && threads > 1 }

    /// Runs `body` over `0..<count` split into at most `threads` contiguous chunks; inline when
    /// there is one thread, the work (`count × costPerItem`, in rough flops) is too small to share,
    /// or the thread budget is spent (see `concurrentPerform`).
    public static func parallelFor(_ count: Int, costPerItem: Int = 1,
                                   _ body: (Range<Int>) -> Void) {
        if min(threads, count) <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        concurrentPerform(iterations: min(threads, count)) { w, workers in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<iterations`, on as many workers as the one thread budget
    /// allows — the parallel loop of the renderer, rasteriser, detector, fitter and dataset builder
    /// as well as the tensor engine's.
    ///
    /// The budget is `threads` workers in all: a loop takes the calling thread plus up to
    /// `threads − 1` spare workers, and a loop started while they are taken (inside another loop's
    /// worker, or on another thread) gets fewer, down to running inline. So nested and concurrent
    /// loops never put more than `threads` busy threads on the cores. Workers run with the caller's
    /// `Autograd` recording state.
    public static func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
        concurrentPerform(iterations: iterations) { w, workers in
            for i in stride(from: w, to: iterations, by: workers) { body(i) }
        }
    }

    /// `body(worker, workers)` on each of the workers granted for `wanted`.
    private static func concurrentPerform(iterations wanted: Int, _ body: (Int, Int) -> Void) {
        guard wanted > 1 else {
            if wanted == 1 { body(0, 1) }
            return
        }
        let extra = reserveWorkers(min(wanted, threads) - 1)
        defer { if extra > 0 { workersInUse.subtract(extra, ordering: .releasing) } }
        let workers = extra + 1
        guard workers > 1 else { return body(0, 1) }
        let recording = Autograd.isRecording
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            Autograd.with(recording: recording) { body(w, workers) }
        }
    }

    /// Spare workers (beyond each loop's calling thread) currently taken by running loops.
    private static let workersInUse = Atomic<Int>(0)

    /// Takes up to `count` spare workers from the budget; returns how many it got.
    private static func reserveWorkers(_ count: Int) -> Int {
        guard count > 0 else { return 0 }
        var used = workersInUse.load(ordering: .relaxed)
        while true {
            let grant = min(count, max(0, threads - 1 - used))
            if grant == 0 { return 0 }
            let (exchanged, original) = workersInUse.compareExchange(expected: used, desired: used + grant,
                                                                     ordering: .acquiringAndReleasing)
            if exchanged { return grant }
            used = original
        }
    }

    /// Runs `body` with OpenBLAS on one thread (restored afterwards) when OpenBLAS is threaded, so
    /// that the engine's concurrent small GEMMs do not oversubscribe the cores.
    static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        guard strategy == .openBLAS && threads > 1 else { return body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(threads)) }
        return body()
    }
}
