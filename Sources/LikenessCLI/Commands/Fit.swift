import ArgumentParser

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the morphable model to photos by optimisation (the classical baseline).",
        discussion: "Writes per-photo parameters, the neutral head as OBJ and GLB, an albedo texture and a preview sheet."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "fit", providedBy: "the fitting baseline (issue: Fitting baseline)")
    }
}
