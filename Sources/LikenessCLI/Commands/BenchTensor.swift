import ArgumentParser
import COpenBLAS
import Foundation
import Networks
import Tensor

/// `likeness bench tensor`: the tensor engine against plain sgemm, measured in the same run.
///
/// Measures (1) `cblas_sgemm` GFLOP/s on 1024³ products, (2) the inference forward time of a ViT
/// of dim 192, depth 12, 3 heads on 256×256 images (patch 16, 257 tokens) at batch 1 and 8, (3) a
/// training step (forward + backward, all parameters trainable) at batch 8 — each on 1 and 2
/// threads — and (4) the peak memory of the batch-8 training step. Rates are reported as ratios to
/// the sgemm rate on the same number of threads. Timings are the best of `--repeats` runs (after a
/// warm-up): on a shared machine the minimum is the least disturbed estimate of both the engine and
/// the sgemm reference, so their ratio stays meaningful under load.
struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Benchmark the tensor engine (ViT forward/training step) against plain cblas_sgemm."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Timed repetitions per measurement (the best is reported).")
    var repeats = 5

    @Option(help: "Thread counts to measure, comma-separated.")
    var threads = "1,2"

    func run() throws {
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }), repeats >= 1 else {
            throw ValidationError("--threads needs positive integers and --repeats at least 1")
        }
        let config = ViTConfiguration(imageSize: 256, patchSize: 16, inChannels: 3, dim: 192, depth: 12, heads: 3)
        var g = SeededGenerator(seed: 1)
        let vit = VisionTransformer(config, using: &g)
        let forwardFlops = Self.forwardFlops(config)
        print("ViT dim \(config.dim), depth \(config.depth), \(config.heads) heads, \(config.patchCount + 1) tokens: "
              + String(format: "%.2f GFLOP per image forward", forwardFlops / 1e9))
        print("load: \(Self.loadAverage())")
        for t in threadCounts {
            // sgemm is measured before and after the workloads and the better rate kept, so that the
            // reference and the workloads see comparable machine load.
            let before = Self.sgemmTiming(threads: t, repeats: repeats)
            var results: [(Compute.Strategy, [Workload])] = []
            for strategy in t == 1 ? [Compute.Strategy.engine] : Compute.Strategy.allCases {
                Compute.setThreads(t, strategy: strategy)
                results.append((strategy, measureViT(vit, config, using: &g)))
            }
            let after = Self.sgemmTiming(threads: t, repeats: repeats)
            let gemm = before.wall <= after.wall ? before : after
            print(String(format: "\n[%d thread%@] plain cblas_sgemm 1024³ on %d OpenBLAS thread%@: %.1f GFLOP/s "
                         + "(before %.1f, after %.1f)", t, t == 1 ? "" : "s", t, t == 1 ? "" : "s",
                         gemm.rate(Self.sgemmFlops), before.rate(Self.sgemmFlops), after.rate(Self.sgemmFlops)))
            for (strategy, workloads) in results {
                if t > 1 { print("threading strategy: \(strategy.rawValue)") }
                for w in workloads { print(w.label + ", " + w.time.report(flops: w.flops, against: gemm) + w.note) }
            }
        }
        let (pool, rss) = Self.peakMemoryOfTrainingStep(vit, Self.images(batch: 8, config, using: &g))
        print(String(format: "\npeak memory of a batch-8 training step: %.0f MiB tensor buffers (pool high-water mark), "
                     + "%.0f MiB process RSS high-water mark (VmHWM)", pool, rss))
        print("load after: \(Self.loadAverage())")
    }

    /// One measured workload and how to describe it.
    struct Workload {
        var label: String, flops: Double, time: Timing, note = ""
    }

    /// Forward at batch 1 and 8 and a batch-8 training step on the current threading settings.
    func measureViT(_ vit: VisionTransformer, _ config: ViTConfiguration, using g: inout SeededGenerator) -> [Workload] {
        let flops = Self.forwardFlops(config)
        var out: [Workload] = []
        for batch in [1, 8] {
            let images = Self.images(batch: batch, config, using: &g)
            let time = Self.measure(repeats: repeats) { Autograd.withoutRecording { _ = try! vit.forward(images) } }
            out.append(Workload(label: String(format: "forward batch %d: %.1f ms (%.1f ms/image)", batch, time.wall,
                                              time.wall / Double(batch)), flops: flops * Double(batch), time: time))
        }
        let images = Self.images(batch: 8, config, using: &g)
        let time = Self.measure(repeats: repeats) { Self.trainingStep(vit, images) }
        out.append(Workload(label: String(format: "training step batch 8: %.1f ms = %.2f× forward", time.wall,
                                          time.wall / out[1].time.wall),
                            flops: 3 * flops * 8, time: time, note: " (counting 3× forward flops)"))
        return out
    }

    /// Best wall-clock and best process-CPU time of a workload, in milliseconds.
    struct Timing {
        var wall: Double, cpu: Double
        func rate(_ flops: Double) -> Double { flops / (wall / 1e3) / 1e9 }

        /// GFLOP/s, its ratio to sgemm's, and the same ratio per CPU-second (less sensitive to
        /// other processes taking the cores than wall time).
        func report(flops: Double, against gemm: Timing) -> String {
            let cpuRatio = (flops / cpu) / (sgemmFlops / gemm.cpu)
            return String(format: "%.1f GFLOP/s = %.0f%% of sgemm (per CPU-second: %.0f%%)",
                          rate(flops), 100 * rate(flops) / gemm.rate(sgemmFlops), 100 * cpuRatio)
        }
    }

    /// Forward FLOPs per image (2 per multiply-add): patch embedding, then per block the QKV,
    /// attention (QKᵀ and PV), output projection and MLP products.
    static func forwardFlops(_ c: ViTConfiguration) -> Double {
        let (t, d, n) = (Double(c.patchCount + 1), Double(c.dim), Double(c.patchCount))
        let patch = 2 * n * Double(c.inChannels * c.patchSize * c.patchSize) * d
        let block = 2 * t * d * 3 * d + 2 * 2 * t * t * d + 2 * t * d * d + 2 * 2 * t * d * Double(c.mlpRatio) * d
        return patch + Double(c.depth) * block
    }

    /// FLOPs of one `sgemmTiming` workload: four 1024³ products.
    static let sgemmFlops: Double = 4 * 2 * 1024 * 1024 * 1024

    /// Plain `cblas_sgemm` (no engine splitting) on `threads` OpenBLAS threads.
    static func sgemmTiming(threads: Int, repeats: Int) -> Timing {
        openblas_set_num_threads(Int32(threads))
        let n = 1024
        let a = Tensor(repeating: 0.5, shape: [n, n]), b = Tensor(repeating: 0.25, shape: [n, n])
        let c = Tensor(zeros: [n, n])
        return measure(repeats: repeats) {
            for _ in 0..<4 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a.data,
                            Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
            }
        }
    }

    static func trainingStep(_ vit: VisionTransformer, _ images: Tensor) {
        vit.zeroGrad()
        let tokens = try! vit.forward(images)
        mean(tokens * tokens).backward()
    }

    /// Peak of the engine's buffer accounting and of the process RSS (VmHWM, reset through
    /// /proc/self/clear_refs where the kernel allows it) during one training step, in MiB.
    static func peakMemoryOfTrainingStep(_ vit: VisionTransformer, _ images: Tensor) -> (Double, Double) {
        vit.zeroGrad()
        BufferPool.drain()
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        BufferPool.resetPeak()
        trainingStep(vit, images)
        return (Double(BufferPool.peakBytes) / 1_048_576, peakRSSMiB())
    }

    static func images(batch: Int, _ c: ViTConfiguration, using g: inout SeededGenerator) -> Tensor {
        Tensor.uniform([batch, c.inChannels, c.imageSize, c.imageSize], in: 0...1, using: &g)
    }

    /// Best wall and best CPU time of `repeats` runs after one warm-up run.
    static func measure(repeats: Int, _ body: () -> Void) -> Timing {
        body()
        var best = Timing(wall: .infinity, cpu: .infinity)
        for _ in 0..<repeats {
            let (wall0, cpu0) = (DispatchTime.now().uptimeNanoseconds, processCPUNanoseconds())
            body()
            best.wall = min(best.wall, Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e6)
            best.cpu = min(best.cpu, Double(processCPUNanoseconds() - cpu0) / 1e6)
        }
        return best
    }

    static func processCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")
            .split(separator: " ").prefix(3).joined(separator: " ")
    }
}
