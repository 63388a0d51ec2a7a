import ArgumentParser

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a person's head (or a Library bundle) as glTF/GLB, OBJ or FBX.",
        discussion: "Every expression blendshape is exported as a named morph target."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "export", providedBy: "the face model core (issue: Face model core)")
    }
}
