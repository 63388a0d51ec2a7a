import ArgumentParser

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate Likeness against annotated data.",
        subcommands: [EvalLandmarks.self]
    )
}

struct EvalLandmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landmarks",
        abstract: "68-point landmark NME (boundary/inner/all) on a folder of images with .pts files.",
        discussion: "NME is normalised by the outer-eye-corner distance (points 36 and 45)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A folder of images with 300-W .pts files beside them.")
    var folder: String

    func run() throws {
        throw NotYetAvailable(command: "eval landmarks", providedBy: "the face front-end (issue: Face front-end)")
    }
}
