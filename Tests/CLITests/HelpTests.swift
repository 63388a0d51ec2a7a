import XCTest

final class HelpTests: XCTestCase {
    static let subcommands = ["watch", "build", "fit", "reconstruct", "retarget", "export", "eval",
                              "train-base", "render", "status", "retry", "verify", "bench"]

    func testTopLevelHelpListsEverySubcommand() throws {
        let result = try LikenessBinary.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for name in Self.subcommands {
            XCTAssertTrue(result.stdout.contains(name), "--help does not mention \(name)")
        }
    }

    func testEverySubcommandHasHelp() throws {
        for name in Self.subcommands {
            let result = try LikenessBinary.run([name, "--help"])
            XCTAssertEqual(result.status, 0, "\(name) --help failed: \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE: likeness \(name)"), "\(name) help: \(result.stdout)")
        }
    }

    /// swift-argument-parser appends "(default: …)" to an option with a default value; its help
    /// text must not say the default again. Checked in every command's help, nested ones included.
    func testNoOptionStatesItsDefaultTwice() throws {
        var pending = [[String]()], seen = 0
        while let command = pending.popLast() {
            let result = try LikenessBinary.run(command + ["--help"])
            XCTAssertEqual(result.status, 0, "\(command) --help: \(result.stderr)")
            seen += 1
            for block in Self.optionBlocks(result.stdout) where block.contains("(default: ") {
                let said = block.components(separatedBy: "default").count - 1
                XCTAssertEqual(said, 1, "likeness \(command.joined(separator: " ")): the default is stated twice in \"\(block)\"")
            }
            if command.count < 3 { pending += Self.subcommands(result.stdout).map { command + [$0] } }
        }
        XCTAssertGreaterThan(seen, 25, "every command and its subcommands were looked at")
    }

    /// The option entries of a help text, each with its wrapped lines joined.
    static func optionBlocks(_ help: String) -> [String] {
        var blocks: [String] = []
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  -") || line.hasPrefix("  <") { blocks.append(line.trimmingCharacters(in: .whitespaces)) }
            else if line.hasPrefix("      "), !blocks.isEmpty { blocks[blocks.count - 1] += " " + line.trimmingCharacters(in: .whitespaces) }
            else if !line.hasPrefix("  ") { blocks.append("") }
        }
        return blocks.filter { !$0.isEmpty }
    }

    /// The names listed under SUBCOMMANDS (up to its blank line; without the built-in `help`).
    static func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        let lines = help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
        return lines.compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                  name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), name != "help" else { return nil }
            return String(name)
        }
    }

    func testUnknownSubcommandFails() throws {
        let result = try LikenessBinary.run(["no-such-command"])
        XCTAssertNotEqual(result.status, 0)
    }
}
