import COpenBLAS
import Foundation

/// Which kernels OpenBLAS chose, and the correction when it chose wrong.
///
/// Debian's OpenBLAS picks its kernels at load time from the CPU model. Virtual machines that
/// hide the model (`/proc/cpuinfo` says "Intel(R) Xeon(R) Processor") make it fall back to
/// Prescott's SSE3 kernels even on an AVX-512 CPU: sgemm runs 3–6× slower and every training step
/// with it (measured: 2.1 s against 0.74 s per `train-base` step on 2 cores). The fix is
/// `OPENBLAS_CORETYPE`, read only at load, so the CLI re-executes itself with it
/// (`Likeness.main`).
public enum BLASCore {
    /// The kernel family OpenBLAS uses in this process ("Haswell", "SkylakeX", "Prescott", …).
    public static var name: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Kernel families older than AVX2: a fallback on any CPU that reports AVX2.
    static let preAVX2: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai",
                                       "coppermine", "northwood", "banias", "sandybridge"]

    /// The `OPENBLAS_CORETYPE` to load with when OpenBLAS picked `core` on a CPU with `flags`
    /// (`/proc/cpuinfo`'s), or nil when its choice stands: SkylakeX with AVX-512 (F and BW),
    /// Haswell with AVX2 and FMA.
    public static func correction(core: String, cpuFlags flags: Set<String>) -> String? {
        guard preAVX2.contains(core.lowercased()) else { return nil }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in `/proc/cpuinfo` (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: ":").last.map { $0.split(separator: " ").map(String.init) } ?? [])
    }
}
