import COpenBLAS
import Dispatch

/// Thread settings for the tensor engine.
///
/// Large GEMMs are threaded by OpenBLAS; the row-wise kernels (LayerNorm, softmax, GELU, the
/// per-head attention GEMMs, im2col) are split over `threads` workers by `parallelFor`. The
/// attention kernel runs many small GEMMs (one per batch item and head); those are faster run
/// side by side on single-threaded OpenBLAS than one after another on threaded OpenBLAS, so the
/// attention kernel switches OpenBLAS to one thread for its duration (`withSingleThreadedBLAS`).
public enum Compute {
    /// Worker count for the engine's own parallel loops.
    public private(set) static var threads = 1

    /// Sets both the engine's and OpenBLAS's thread counts.
    public static func setThreads(_ count: Int) {
        threads = max(1, count)
        openblas_set_num_threads(Int32(threads))
    }

    /// Runs `body` over `0..<count` split into at most `threads` contiguous chunks; inline when
    /// there is one thread or the work (`count × costPerItem`, in rough flops) is too small to share.
    public static func parallelFor(_ count: Int, costPerItem: Int = 1,
                                   _ body: (Range<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body` with OpenBLAS on one thread (restored afterwards) when the engine itself runs
    /// several workers, so that concurrent small GEMMs do not oversubscribe the cores.
    static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        guard threads > 1 else { return body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(threads)) }
        return body()
    }
}
