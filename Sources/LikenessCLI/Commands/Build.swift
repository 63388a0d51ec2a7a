import ArgumentParser

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build one person's bundle once from a folder of photos, without watching.",
        discussion: "Publishes into the Library exactly as the watcher would."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "build", providedBy: "the watcher daemon (issue: Watcher daemon and versioned Library)")
    }
}
