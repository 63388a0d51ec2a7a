import ArgumentParser

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every bundle in the Library against its manifest (sha256 of every file).",
        discussion: "Exits non-zero if any bundle is torn or altered."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "verify", providedBy: "the watcher daemon (issue: Watcher daemon and versioned Library)")
    }
}
