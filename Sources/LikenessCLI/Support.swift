import ArgumentParser
import FaceModel
import Foundation
import Logging

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log more detail (debug level).")
    var verbose = false

    @Flag(name: .long, help: "Log only warnings and errors.")
    var quiet = false

    /// Bootstraps swift-log once, to standard error, at the level the flags ask for.
    func makeLogger(_ label: String) -> Logger {
        LoggingBootstrap.once
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : (quiet ? .warning : .info)
        return logger
    }
}

private enum LoggingBootstrap {
    static let once: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()
}

/// "1 version", "2 versions", "0 problems": a count and its noun in the right number.
func counted(_ count: Int, _ singular: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}

/// The error a subcommand gives while the part of the project that provides it is not built yet.
struct NotYetAvailable: Error, CustomStringConvertible {
    let command: String
    let providedBy: String
    var description: String {
        "`likeness \(command)` is not available yet: it is provided by \(providedBy)."
    }
}

/// A one-line progress display for long work, shown only when standard error is a terminal.
struct Progress {
    let label: String
    let total: Int
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastDrawn = -1

    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
    }

    mutating func update(_ done: Int) {
        guard isTerminal else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)% (\(done)/\(total))".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Which head model a command works on (`fit`, `export`, `eval landmarks --source fit`): the
/// embedded head by default, or ICT-FaceKit / FLAME when given.
struct ModelOptions: ParsableArguments {
    @Option(help: "ICT-FaceKit FaceXModel folder (instead of the embedded head).")
    var ict: String?

    @Flag(help: "With --ict: only the face area (vertices 0–9408).")
    var faceOnly = false

    @Option(help: "FLAME .npz written by Scripts/flame_to_npz.py (instead of the embedded head).")
    var flame: String?

    @Option(help: "Extra FLAME files (.npz with landmarks/masks, or head_template.obj for UVs).")
    var flameExtra: [String] = []

    func validate() throws {
        if ict != nil, flame != nil { throw ValidationError("give at most one of --ict or --flame") }
    }

    func load() throws -> MorphableModel {
        if let ict { return try ICTFaceKitImporter.load(URL(fileURLWithPath: ict), faceOnly: faceOnly) }
        if let flame {
            return try FlameImporter.load(URL(fileURLWithPath: flame), extras: flameExtra.map { URL(fileURLWithPath: $0) })
        }
        let model = EmbeddedHead.make()
        guard model.landmarks.count == 68 else {
            throw ValidationError("the embedded head has no 68-point landmarks yet; give --ict or --flame")
        }
        return model
    }
}

/// A value given to an option that the command cannot use; names the option and what it takes.
struct OptionValueError: Error, CustomStringConvertible {
    let option: String
    let problem: String
    var description: String { "\(option): \(problem)" }
}

/// The face coefficients commands take on the command line (`export`, `render`), parsed and
/// checked against the model's ranges (`MorphableModel.checkRanges`) in one place.
enum FaceCoefficientOptions {
    /// `--identity β₀,β₁,…` (at most the model's identity count, each within ±5σ).
    static func identity(_ text: String?, for model: MorphableModel, option: String = "--identity") throws -> [Float] {
        guard let text else { return [] }
        let values = try text.split(separator: ",").map { part -> Float in
            guard let value = Float(part.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw OptionValueError(option: option, problem: "'\(part)' is not a number")
            }
            return value
        }
        guard values.count <= model.identityCount else {
            throw OptionValueError(option: option, problem: "the model has \(counted(model.identityCount, "identity coefficient")), got \(values.count)")
        }
        try checked(option) { try model.checkRanges(identity: values) }
        return values
    }

    /// `--expression name=weight` (repeatable) as ψ, every weight within the model's expression range.
    static func expression(_ items: [String], for model: MorphableModel, option: String = "--expression") throws -> [Float] {
        var weights = [Float](repeating: 0, count: model.expressionCount)
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let weight = Float(parts[1]), weight.isFinite else {
                throw OptionValueError(option: option, problem: "wants name=weight, got '\(item)'")
            }
            guard let k = model.expressionNames.firstIndex(of: parts[0]) else {
                let known = model.expressionNames.isEmpty ? "none" : model.expressionNames.joined(separator: ", ")
                throw OptionValueError(option: option, problem: "the model has no expression '\(parts[0])' (it has: \(known))")
            }
            weights[k] = weight
        }
        try checked(option) { try model.checkRanges(expression: weights) }
        return weights
    }

    private static func checked(_ option: String, _ body: () throws -> Void) throws {
        do { try body() } catch let error as FaceModelError {
            guard case .outOfRange = error else { throw error }
            throw OptionValueError(option: option, problem: error.description)
        }
    }
}
