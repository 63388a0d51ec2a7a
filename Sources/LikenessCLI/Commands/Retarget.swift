import ArgumentParser

struct Retarget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retarget",
        abstract: "Drive a person's model with the expressions of driving images.",
        discussion: "Regresses expression and pose from each driving image and applies them to the person's head."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "retarget", providedBy: "the base model and person-specific transfer")
    }
}
