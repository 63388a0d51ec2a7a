import ArgumentParser

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a model with given parameters (grey, textured, landmarks, contact sheet).",
        discussion: "Writes PNG files."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "render", providedBy: "the differentiable renderer (issue: Differentiable renderer)")
    }
}
