import ArgumentParser
import COpenBLAS
import Foundation

/// Release-built benchmarks, one subcommand per module (`Bench<Module>.swift`). Every figure is
/// reported next to a reference measured in the same run (plain `cblas_sgemm` GFLOP/s), because
/// the machines are shared and noisy.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmarks (build with -c release) and print figures as ratios to sgemm.",
        subcommands: [
            BenchImaging.self,
            BenchTensor.self,
            BenchFaceModel.self,
            BenchRender.self,
            BenchFaceDetect.self,
            BenchFit.self,
            BenchReconstruct.self,
            BenchFaceRecognition.self,
            BenchAdapt.self,
            BenchRetarget.self,
            BenchDetails.self,
        ]
    )
}

/// The shared yardstick and timer of every `likeness bench` subcommand: plain `cblas_sgemm`
/// throughput measured in the same run, so figures compare across noisy, shared machines.
enum BenchReference {
    /// Single-call sgemm throughput on 512×512×512 (median of 7 runs).
    static func sgemmGFLOPS(size n: Int = 512) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let ms = medianMilliseconds(7) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        }
        return 2 * pow(Double(n), 3) / (ms * 1e6)
    }

    /// Best wall time in seconds over `repeats` runs.
    static func bestSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return fastest
    }

    /// Median wall time in milliseconds of `repetitions` runs (after one warm-up).
    static func medianMilliseconds(_ repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var times = [Double]()
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[times.count / 2]
    }
}
