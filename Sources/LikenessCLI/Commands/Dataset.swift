import ArgumentParser
import FaceDetect
import Foundation
import FaceModel
import Reconstruction
import ShippedModels
import Training

struct Dataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Training data for the base model.",
        subcommands: [DatasetBuild.self, DatasetSynthesize.self, DatasetDetails.self, DatasetEval.self]
    )
}

/// `likeness dataset build`: aligned 256² crops, 68 landmarks and person groups (see `DatasetBuilder`).
struct DatasetBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a training set of aligned 256×256 face crops with 68 landmarks.",
        discussion: """
            Each positional folder holds photos of ONE person (george-w-bush, a frame sequence), and \
            each positional video (.mp4, .mov, .mkv, …) is one person too: every --video-stride-th frame \
            is used. Each --faces folder holds photos of different people (300-W, UTKFace). Landmarks come from a \
            photo's .pts where present, else from the built-in detector (pseudo-labels). Writes \
            dataset.json (samples, rejected photos with reasons) and crops.u8 to --output. Never build \
            a training set from faces-300w/afw: it is the validation set.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Folders of photos, or videos, of one person each.")
    var persons: [String] = []

    @Option(help: "Take every this-many-th frame of a video.")
    var videoStride = 5

    @Option(help: "A folder of photos of different people (repeatable).")
    var faces: [String] = []

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "At most this many photos from each folder (for quick sets).")
    var limit: Int?

    @Option(help: "Reject pseudo-labelled faces whose landmarks lie further than this from the template (eye-corner distances).")
    var maximumResidual: Float = 0.45

    func validate() throws {
        if persons.isEmpty && faces.isEmpty { throw ValidationError("give at least one folder of photos or a video") }
        if videoStride < 1 { throw ValidationError("--video-stride must be at least 1") }
    }

    func run() throws {
        let sources = persons.map { DatasetBuilder.Source(path: $0, eachPhotoItsOwnPerson: false) }
            + faces.map { DatasetBuilder.Source(path: $0, eachPhotoItsOwnPerson: true) }
        var builder = DatasetBuilder(sources: sources, frontEnd: try FaceFrontEnd.standard())
        builder.limitPerSource = limit
        builder.videoFrameStride = videoStride
        builder.maximumTemplateResidual = maximumResidual
        let start = Date()
        var bar: Progress? = nil
        let manifest = try builder.build(into: URL(fileURLWithPath: output)) { done, total in
            if bar == nil { bar = Progress("dataset", total: total) }
            bar?.update(done)
        }
        let byCode = Dictionary(grouping: manifest.rejected, by: \.code).mapValues(\.count)
        let reasons = byCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("\(manifest.samples.count) faces kept, \(manifest.rejected.count) rejected"
              + (reasons.isEmpty ? "" : " (\(reasons))")
              + String(format: " in %.0f s", Date().timeIntervalSince(start)))
        for source in Set(manifest.samples.map(\.source)).sorted() {
            let kept = manifest.samples.filter { $0.source == source }
            print("  \(source): \(kept.count) kept (\(kept.filter { $0.labels == "pts" }.count) with .pts), "
                  + "\(manifest.rejected.filter { $0.source == source }.count) rejected")
        }
        print("wrote \(output)")
    }
}

/// `likeness dataset synthesize`: the embedded head rendered with exact parameters (see `SyntheticFaceGenerator`).
struct DatasetSynthesize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesize",
        abstract: "Render synthetic training faces with their exact parameters.",
        discussion: """
            Each identity (random β and albedo α) is rendered in --views random poses, expressions and \
            lights over backgrounds cut from the crops of --backgrounds (a dataset from `dataset build`), \
            framed as the real crops are aligned. Writes a dataset (source "synthetic") that \
            `train-base --dataset` takes beside the photos; L_par supervises its exact β, ψ and θ.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output folder.") var output: String
    @Option(help: "A dataset whose crops give the backgrounds (never the validation set).") var backgrounds: String
    @Option(help: "Synthetic identities.") var identities = 2000
    @Option(help: "Renders of each identity.") var views = 2
    @Option(help: "Seed.") var seed: UInt64 = 1

    func run() throws {
        let model = EmbeddedHead.make()
        let shipped = AlbedoModel.shipped(for: model)
        guard let albedo = shipped.model else { throw ValidationError("no albedo model pairs with the head: \(shipped.pairingError ?? "none")") }
        let photos = try FaceDataset(directory: URL(fileURLWithPath: backgrounds))
        guard photos.count > 0 else { throw ValidationError("\(backgrounds) holds no crops") }
        let generator = try SyntheticFaceGenerator(model: model, albedo: albedo,
                                                   aligner: try FaceFrontEnd.standard().aligner)
        let start = Date()
        var bar = Progress("synthesize", total: identities)
        let manifest = try generator.build(identities: identities, views: views, backgrounds: photos, seed: seed,
                                           into: URL(fileURLWithPath: output)) { done, _ in bar.update(done) }
        print("\(manifest.samples.count) synthetic faces (\(identities) identities × \(views)) "
              + String(format: "in %.0f s", Date().timeIntervalSince(start)) + "; wrote \(output)")
    }
}

/// `likeness dataset eval`: landmark NME of a trained encoder on a dataset's crops (as the
/// trainer's validation measures it), per source.
struct DatasetEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Landmark NME of a base model on a dataset's aligned crops, per source."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Dataset folder.") var dataset: String
    @Option(help: "Model or checkpoint (safetensors); the shipped model by default.") var weights: String?
    @Option(help: "At most this many faces per source.") var limit = 300

    func run() throws {
        let data = try FaceDataset(directory: URL(fileURLWithPath: dataset))
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        let model = EmbeddedHead.make()
        try base.check(model)
        let projection = try LandmarkProjection(model: model, boundary: base.training.boundary)
        for source in Set(data.manifest.samples.map(\.source)).sorted() {
            let indices = Array(data.manifest.samples.indices.filter { data.manifest.samples[$0].source == source }.prefix(limit))
            let r = try BaseTrainer.evaluate(base.encoder, projection: projection, on: data, indices: indices)
            print(String(format: "%-16@ %5d faces  NME mean %.4f median %.4f (boundary %.4f, inner %.4f)",
                         source as NSString, r.count, r.meanAll, r.medianAll, r.meanBoundary, r.meanInner))
        }
    }
}

/// `likeness dataset details`: the detail networks' training set (see `DetailDatasetBuilder`).
struct DatasetDetails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "details",
        abstract: "Build the detail networks' training set: UV textures, tension maps and render targets.",
        discussion: """
            Each argument is ONE person: a folder of their photos or a video of them. Every face is \
            reconstructed with the shipped base model and the landmark fit, unwrapped to UV, and given \
            its tension map (Eq. 3), SH light and albedo. Writes details.json, uv.u8, tension.f32 and \
            target.u8 to --output.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Folders of photos of one person, or videos of one person.")
    var sources: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "At most this many faces from each source.")
    var limit = 200

    @Option(help: "Video: use every n-th frame.")
    var frameStride = 4

    func run() throws {
        let model = EmbeddedHead.make()
        let frontEnd = try FaceFrontEnd.standard()
        let shipped = AlbedoModel.shipped(for: model)
        guard let albedo = shipped.model else { throw ValidationError("no albedo model: \(shipped.pairingError ?? "none")") }
        let builder = try DetailDatasetBuilder(model: model, frontEnd: frontEnd, base: try BaseModel(), albedo: albedo)
        let start = Date()
        var faces: [DetailDatasetBuilder.Face] = []
        var counts: [String: [Int]] = [:]
        for source in sources {
            let url = URL(fileURLWithPath: source)
            let located: [LocatedPhoto]
            if VideoFrames.isVideo(source) {
                located = try VideoFrames.locate(url, frontEnd: frontEnd, stride: frameStride, limit: limit)
            } else {
                located = Array(PhotoIntake.locate(Array(try PhotoIntake.photoURLs([source]).prefix(limit)), frontEnd: frontEnd).located)
            }
            let person = url.deletingPathExtension().lastPathComponent
            let kept = builder.prepare(located, person: person)
            counts[source] = [located.count, kept.count]
            faces += kept
            print(String(format: "%@: %d faces located, %d kept (%.0f s)", person, located.count, kept.count, Date().timeIntervalSince(start)))
        }
        let dataset = builder.dataset(faces, sources: counts, albedoModelHash: ShippedModels.albedoModelSHA256)
        try dataset.write(to: URL(fileURLWithPath: output))
        print("\(dataset.count) faces from \(sources.count) sources in \(Int(Date().timeIntervalSince(start))) s; wrote \(output)")
    }
}
