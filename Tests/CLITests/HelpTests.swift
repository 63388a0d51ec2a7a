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

    func testUnknownSubcommandFails() throws {
        let result = try LikenessBinary.run(["no-such-command"])
        XCTAssertNotEqual(result.status, 0)
    }
}
