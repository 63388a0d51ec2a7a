import Assets
import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Library
import Reconstruction
import Training

/// `likeness reconstruct`: one face per photo from the base model (paper §3.2), optionally refined
/// by the classical landmark fit.
struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Reconstruct a 3D face from each photo with the base model.",
        discussion: """
            For every photo, writes <output>/<photo>/: parameters/<photo>.json (identity, ARKit \
            expression weights, pose, camera, landmarks), head.glb (named morph targets) and head.obj \
            (+ head.png, head.mtl) textured from the photo's visible skin (the rest from the albedo \
            model, about the α the network regresses), photo-texture.png, \
            preview.png (photo, overlay, landmarks) and summary.json. Photos without a usable face are \
            listed with their reasons and skipped, never fatal. --refine runs a few iterations of the \
            classical landmark fit from the network's estimate.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Photos, or folders of photos.")
    var photos: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Flag(help: "Refine the network's estimate by the classical landmark fit (a few iterations).")
    var refine = false

    @Option(help: "A trained model (safetensors from train-base) instead of the shipped one.")
    var weights: String?

    @Option(help: "Reconstruct with a person's adapters: a person's name in --library, a bundle folder, or an adapters.safetensors file.")
    var person: String?

    @Option(help: "The Library that --person names are looked up in.")
    var library = "./Library"

    @Option(help: "Side of the square texture in texels.")
    var textureSize = 1024

    @Flag(help: "Also reconstruct the facial details with the detail MAE: details/ (the photo's displacement, the wrinkle rig), wrinkles.json and the GLB's normal map.")
    var details = false

    func run() throws {
        let logger = global.makeLogger("likeness.reconstruct")
        let model = EmbeddedHead.make()
        let shipped = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try shipped.check(model)
        let base = try person.map { try PersonTransfer.personModel(shipped, adapters: try Self.adapters(of: $0, library: library)) } ?? shipped
        let frontEnd = try FaceFrontEnd.standard()
        let urls = try PhotoIntake.photoURLs(photos)
        let (located, skipped) = PhotoIntake.locate(urls, frontEnd: frontEnd)
        for s in skipped { print("  skipped \(s.name): [\(s.code)] \(s.reason)") }
        let projection = try LandmarkProjection(model: model)
        let fitter = try LandmarkFitter(model: model)
        let start = Date()
        let estimates = try base.estimate(located, aligner: frontEnd.aligner, evaluator: projection.evaluator)
        let networkSeconds = Date().timeIntervalSince(start)
        let detailModels = try details ? DetailModels.load(weights: nil, teacher: nil, model: model) : nil
        let detailInputs = try detailModels.map {
            try DetailInputBuilder(model: model, aligner: frontEnd.aligner, base: shipped, uvSize: $0.student.training.network.uvSize)
        }
        var writer = PersonFit(model: model, settings: fitter.settings)
        writer.textureSize = textureSize
        for (photo, estimate) in zip(located, estimates) {
            let fit = try photoFit(photo, estimate, projection: projection, fitter: fitter)
            let folder = URL(fileURLWithPath: output).appendingPathComponent(photo.name)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("parameters"), withIntermediateDirectories: true)
            let shared = SharedIdentityFit(identity: fit.code.identity, photos: [fit], energy: fit.energy,
                                           iterations: fit.iterations, seconds: fit.seconds)
            var summary = PersonFitSummary(
                model: model.info, boundary: fitter.settings.boundary, photos: 1, fitted: [photo.name], skipped: [],
                skippedCount: 0, identity: fit.code.identity, energy: fit.energy, iterations: fit.iterations,
                secondsLocating: 0, secondsSharedFit: fit.seconds, albedoCoverage: 0, photometricRMSBefore: nil,
                photometricRMSAfter: nil, separateSpread: nil, separateSecondsPerPhoto: nil, splitHalfSpread: nil, files: [])
            summary.files = try writer.writeAssets([photo], shared, evaluator: projection.evaluator, output: folder, summary: &summary,
                                                   albedoPrior: estimate.albedo)
            if let detailModels, let detailInputs {
                try writeDetails(photo, identity: fit.code.identity, models: detailModels, inputs: detailInputs, model: model, into: folder)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(ReconstructionRecord(baseModel: base.contentHash, baseModelLicence: BaseModel.licence,
                                                    refined: refine, summary: summary))
                .write(to: folder.appendingPathComponent("summary.json"))
            logger.info("\(photo.name): written to \(folder.path)")
        }
        print(String(format: "reconstructed %d of %d photos (network %.1f ms per photo)%@; wrote %@", located.count, urls.count,
                     networkSeconds * 1000 / Double(max(located.count, 1)), refine ? ", refined" : "", output))
        if located.isEmpty { throw ExitCode(2) }
    }

    /// The adapters file `person` names: a file, a bundle folder holding `adapters.safetensors`, or
    /// a person's name whose latest bundle in `library` holds one.
    static func adapters(of person: String, library: String) throws -> URL {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: person, isDirectory: &isFolder) {
            let url = URL(fileURLWithPath: person)
            return isFolder.boolValue ? url.appendingPathComponent("adapters.safetensors") : url
        }
        let name = try PersonName(person)
        let bundle = LibraryLayout(root: URL(fileURLWithPath: library)).latestLink(name)
        let url = bundle.appendingPathComponent("adapters.safetensors")
        guard fm.fileExists(atPath: url.path) else {
            throw ValidationError("no adapters for \(person): \(url.path) does not exist (is \(library) the Library, and has the daemon adapted this person?)")
        }
        return url
    }

    /// The photo's details: `details/displacement.png` (the MAE's D at the photo's own tension,
    /// 16-bit), the rig of this face (`wrinkles.json`, `details/`) and the GLB's normal map.
    func writeDetails(_ photo: LocatedPhoto, identity: [Float], models: (student: DetailModel, teacher: DetailModel),
                      inputs: DetailInputBuilder, model: MorphableModel, into folder: URL) throws {
        let build = try PersonDetails.build(photos: [photo], identity: identity, student: models.student, teacher: models.teacher,
                                            inputs: inputs, transfer: false)
        try DetailOutputs.write(build, identity: identity, model: model, into: folder, glb: folder.appendingPathComponent("head.glb"))
        try PNGEncoder.encode(try DisplacementEncoding.standard.image(build.perFace[0]))
            .write(to: folder.appendingPathComponent("details/displacement.png"))
    }

    /// The base model's estimate as a `PhotoFit`, refined when asked.
    func photoFit(_ photo: LocatedPhoto, _ estimate: FaceEstimate, projection: LandmarkProjection,
                  fitter: LandmarkFitter) throws -> PhotoFit {
        let targets = try FitTargets(photo.landmarks)
        if refine { return try fitter.refine(targets, code: estimate.code, camera: estimate.camera) }
        let points = projection.points(estimate.code, camera: estimate.camera, target: targets.points)
        return PhotoFit(camera: estimate.camera, code: estimate.code, landmarks: points, boundary: [],
                        energy: 0, iterations: 0, seconds: 0)
    }
}

/// `summary.json` of `likeness reconstruct`: the fit summary plus the model that produced it.
struct ReconstructionRecord: Codable {
    var baseModel: String
    var baseModelLicence: String
    var refined: Bool
    var summary: PersonFitSummary
}
