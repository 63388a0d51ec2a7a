import ArgumentParser
import Checksum
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction

struct Albedo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "albedo",
        abstract: "Likeness's statistical albedo model (UV-space PCA of de-lit skin).",
        subcommands: [AlbedoBuild.self]
    )
}

/// `likeness albedo build`: photos → albedo model (see `AlbedoModelBuilder`).
struct AlbedoBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the albedo model from folders of photos (a long job: run it niced, in the background).",
        discussion: """
            Each photo is fitted with the classical landmark fit, unwrapped to the head's UV grid, \
            de-lit with a per-photo 9×3 SH light and reduced to its visible skin; PCA with missing \
            data gives the model. Every 10th photo is held out and scores the model. Writes the \
            model (safetensors, F16, the head's content hash in its metadata) and <output>.report.json. \
            Never build from faces-300w/afw: it is the validation set.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Folders of photos (.pts beside a photo are used as its landmarks); FOLDER:N takes at most N photos from it.")
    var folders: [String]

    @Option(name: .shortAndLong, help: "The model file to write (.safetensors).")
    var output: String

    @Option(help: "At most this many photos from each folder, evenly spaced through it.")
    var limit: Int?

    @Option(help: "Side of the model's UV grid in texels.")
    var size = 128

    @Option(help: "Number of principal components.")
    var components = 80

    @Option(help: "Rounds of PCA imputation.")
    var pcaRounds = 40

    func validate() throws {
        if folders.contains(where: { $0.split(separator: "/").contains("afw") }) {
            throw ValidationError("faces-300w/afw is the validation set: never build a model from it")
        }
        if !(16...512).contains(size) { throw ValidationError("--size must be 16…512") }
        if !(1...200).contains(components) { throw ValidationError("--components must be 1…200") }
    }

    func run() throws {
        let logger = global.makeLogger("likeness.albedo")
        var paths: [String] = [], limits: [String: Int] = [:]
        for folder in folders {
            if let colon = folder.lastIndex(of: ":"), let n = Int(folder[folder.index(after: colon)...]) {
                paths.append(String(folder[..<colon]))
                limits[paths.last!] = n
            } else {
                paths.append(folder)
            }
        }
        var builder = AlbedoModelBuilder(sources: paths, model: EmbeddedHead.make(), frontEnd: try FaceFrontEnd.standard())
        builder.limits = limits
        builder.limitPerSource = limit
        builder.size = size
        builder.components = components
        builder.pcaRounds = pcaRounds
        let (model, report) = try builder.build { logger.info("\($0)") }
        let url = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try model.write(to: url)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: output + ".report.json"))
        try PNGEncoder.encode(model.previewSheet()).write(to: URL(fileURLWithPath: output + ".preview.png"))
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("\(report.trainingPhotos) training photos, \(report.heldOutPhotos) held out, \(report.components) components on \(report.domainTexels) texels")
        print("variance explained: " + report.varianceExplained.map { String(format: "%d: %.1f%%", $0.components, 100 * $0.value) }.joined(separator: ", "))
        print("held-out RMS: " + report.heldOut.map { String(format: "%@ %.4f", $0.components == 0 ? "mean" : "\($0.components)", $0.value) }.joined(separator: ", "))
        print(String(format: "%.0f s (observing %.0f s, PCA %.0f s); %d bytes, sha256 %@", report.secondsTotal,
                     report.secondsObserving, report.secondsPCA, bytes, try SHA256.hex(fileAt: url)))
    }
}
