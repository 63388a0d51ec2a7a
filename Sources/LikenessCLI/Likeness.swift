import ArgumentParser
import Logging

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
            TrainBase.self, TrainDetails.self, Dataset.self, Albedo.self, Render.self, Status.self, Retry.self, Verify.self, Bench.self, Head.self,
            BuildJob.self,
        ]
    )
}

enum LikenessVersion {
    static let string = "0.1.0"
}
