import ArgumentParser
import Foundation
import Logging
import Tensor

/// The `likeness` command: one small struct per subcommand, each in `Commands/`.
@main
struct Likeness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "Turn folders of photos of a person into an animatable 3D face model and avatar assets.",
        discussion: """
            Drop photos into Inbox/<person>/ and run `likeness watch`: each change to a person's photos \
            publishes a new versioned bundle in Library/<person>/vNNNN/.
            """,
        version: LikenessVersion.string,
        subcommands: [
            Watch.self, Build.self, Fit.self, Reconstruct.self, Adapt.self, Retarget.self, Export.self, Eval.self,
            TrainBase.self, PretrainMAE.self, TrainDetails.self, Dataset.self, Albedo.self, Render.self, Status.self, Retry.self, Verify.self, Bench.self, Head.self,
            BuildJob.self,
        ]
    )

    /// Runs the command, first re-executing with `OPENBLAS_CORETYPE` when OpenBLAS fell back to
    /// pre-AVX2 kernels on a CPU that has AVX2 (see `BLASCore`). Set `OPENBLAS_CORETYPE` yourself to
    /// choose the kernels; a failed exec carries on with the ones loaded.
    static func main() {
        if getenv("OPENBLAS_CORETYPE") == nil, let core = BLASCore.correction(core: BLASCore.name, cpuFlags: BLASCore.cpuFlags()) {
            setenv("OPENBLAS_CORETYPE", core, 1)
            var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", &arguments)
        }
        main(nil)
    }
}

enum LikenessVersion {
    static let string = "0.1.0"
}
