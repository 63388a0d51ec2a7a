import ArgumentParser

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
        ]
    )
}
