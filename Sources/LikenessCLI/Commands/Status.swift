import ArgumentParser

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show persons, the job queue, latest versions and rejected photos.",
        discussion: "Reads the Library ledger; never writes."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "status", providedBy: "the watcher daemon (issue: Watcher daemon and versioned Library)")
    }
}
