import ArgumentParser
import Daemon
import Foundation

/// The child process of a watcher job (not for direct use): limits its own memory, runs the
/// production stage on the spec's photos and writes the report the daemon reads back.
struct BuildJob: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-job",
        abstract: "Run one watcher job (internal: started by `likeness watch`).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The job spec written by the watcher.")
    var spec: String

    func run() throws {
        let logger = global.makeLogger("likeness.job")
        var stage = ProductionStage()
        stage.textureSize = ProductionStage.textureSize(ProcessInfo.processInfo.environment)
        let status = JobProcess.main(specPath: spec, stage: stage, logger: logger)
        if status != 0 { throw ExitCode(status) }
    }
}
