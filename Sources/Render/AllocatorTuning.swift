#if canImport(Glibc)
import Glibc

@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// Keeps glibc from handing the renderer's per-frame buffers (a few MB) back to the kernel after
/// every frame. By default blocks ≥ 128 KB are mmap'ed and the heap top is trimmed past 128 KB,
/// so each render re-faults ~750 fresh pages (~1 ms at 256×256). Raising both thresholds makes
/// freed frames reusable; the cost is that up to 64 MB of freed heap stays mapped. Process-wide,
/// applied once when the first `Renderer` is made.
enum AllocatorTuning {
    static let applied: Void = {
        _ = glibcMallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD: allocations below 32 MB come from the heap
        _ = glibcMallopt(-1, 64 << 20)  // M_TRIM_THRESHOLD: keep up to 64 MB of free heap mapped
    }()
}
#else
enum AllocatorTuning {
    static let applied: Void = ()
}
#endif
