import Foundation
import XCTest

/// Runs the built `likeness` binary (from the same build folder as the test bundle) and captures
/// its exit status and output: the CLI is tested end to end through the binary.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum LikenessBinary {
    static var url: URL {
        // The test executable (LikenessPackageTests.xctest) sits in .build/<config>/ next to the
        // `likeness` executable; LIKENESS_BINARY overrides.
        if let path = ProcessInfo.processInfo.environment["LIKENESS_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testExecutable.deletingLastPathComponent().appendingPathComponent("likeness")
    }

    static func run(_ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}
