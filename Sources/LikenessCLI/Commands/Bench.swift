import ArgumentParser

/// Release-built benchmarks. Every figure is reported next to a reference measured in the same run
/// (plain `cblas_sgemm` GFLOP/s), because the machines are shared and noisy.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmarks (build with -c release) and print figures as ratios to sgemm.",
        subcommands: [BenchRender.self]
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "bench", providedBy: "the tensor engine (issue: Tensor engine)")
    }
}
