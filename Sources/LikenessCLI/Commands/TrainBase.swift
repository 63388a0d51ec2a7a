import ArgumentParser

struct TrainBase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-base",
        abstract: "Train the shared base model self-supervised on annotated photos.",
        discussion: "Long-running; checkpoints are safetensors files."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "train-base", providedBy: "the base model training")
    }
}
