import ArgumentParser

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch Inbox/<person>/ folders and publish versioned bundles to Library/<person>/vNNNN/.",
        discussion: "Runs until SIGINT or SIGTERM. Photos in the inbox are never modified, moved or deleted."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw NotYetAvailable(command: "watch", providedBy: "the watcher daemon (issue: Watcher daemon and versioned Library)")
    }
}
