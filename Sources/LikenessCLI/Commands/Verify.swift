import ArgumentParser
import Foundation
import Library

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every bundle in the Library against its manifest (sha256 of every file).",
        discussion: "Exits non-zero if any bundle is torn or altered."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The Library folder.")
    var library: String = "./Library"

    func run() throws {
        let layout = LibraryLayout(root: URL(fileURLWithPath: library))
        guard FileManager.default.fileExists(atPath: layout.root.path) else {
            throw DaemonCommandFailure("no Library at \(layout.root.path)")
        }
        let result = BundleVerifier(layout: layout).verifyAll()
        for problem in result.problems { print("FAIL \(problem)") }
        print("\(counted(result.versions, "version")) checked, \(counted(result.problems.count, "problem"))")
        if !result.problems.isEmpty { throw ExitCode(1) }
    }
}
