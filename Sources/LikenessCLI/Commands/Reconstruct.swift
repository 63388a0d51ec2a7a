import ArgumentParser

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Reconstruct a 3D face from one photo with the base or a person-specific model.",
        discussion: "Writes the regressed parameters, the mesh and a preview."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "reconstruct", providedBy: "the base model and person-specific transfer")
    }
}
