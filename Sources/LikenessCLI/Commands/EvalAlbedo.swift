import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Reconstruction
import Render
import Training

/// `likeness eval albedo`: is the albedo α the base network regresses worth using? On photos the
/// albedo model was not built from, each photo's de-lit skin (classical fit, `AlbedoObservation`)
/// is split into 8×8 texel blocks; α fitted on some blocks predicts the others. Compared: the
/// model's mean, the network's α alone, and the MAP fit about the mean and about the network's α
/// (`AlbedoModel.fit(prior:)`, what `TextureCompletion` fills unseen skin with).
struct EvalAlbedo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "albedo",
        abstract: "Held-out skin-colour error of the albedo model: the mean, the base network's α, and fits about each.",
        discussion: """
            RMS in albedo units (0…1) over the skin blocks not fitted, for a checkerboard split (half \
            the skin seen) and a quarter split (one block in four). Use photos the albedo model was not \
            built from (faces-300w/afw is held out of both the albedo model and the base model).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Photos, or folders of photos.")
    var photos: [String]

    @Option(help: "A trained base model (safetensors from train-base) instead of the shipped one.")
    var weights: String?

    func run() throws {
        let model = EmbeddedHead.make()
        let (shipped, why) = AlbedoModel.shipped(for: model)
        guard let albedo = shipped else { throw ValidationError("no albedo model: \(why ?? "")") }
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        guard base.training.encoder.albedoCount > 0 else { throw ValidationError("the base model \(base.contentHash.prefix(12)) regresses no albedo") }
        let frontEnd = try FaceFrontEnd.standard()
        let (located, skipped) = PhotoIntake.locate(try PhotoIntake.photoURLs(photos), frontEnd: frontEnd)
        let fitter = try LandmarkFitter(model: model)
        let atlas = try UVAtlas(mesh: RenderMesh(model: model), size: albedo.size)
        let regions = atlas.regions(of: model)
        var observations: [AlbedoObservation] = [], priors: [[Float]?] = [], left: [String: Int] = [:]
        for start in stride(from: 0, to: located.count, by: 16) {
            let part = Array(located[start..<min(start + 16, located.count)])
            let estimates = try base.estimate(part, aligner: frontEnd.aligner, evaluator: fitter.evaluator)
            for (photo, estimate) in zip(part, estimates) {
                guard let fit = try? fitter.fit(FitTargets(photo.landmarks)) else { left["fit-failed", default: 0] += 1; continue }
                let mesh = try RenderMesh(model: model, positions: fitter.evaluator.evaluate(fit.code).vertices)
                let obs = try AlbedoObservation.extract(name: photo.name, photo: photo.image, landmarks: photo.landmarks,
                                                        mesh: mesh, camera: fit.camera, atlas: atlas, regions: regions)
                if obs.isGreyscale { left["greyscale", default: 0] += 1; continue }
                observations.append(obs)
                priors.append(estimate.albedo)
            }
        }
        let notes = left.merging(Dictionary(grouping: skipped, by: \.code).mapValues(\.count)) { $0 + $1 }
        print("\(observations.count) of \(located.count + skipped.count) photos observed"
              + (notes.isEmpty ? "" : " (left out: " + notes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
              + "; albedo model K=\(albedo.componentCount), base model \(base.contentHash.prefix(12)) regresses \(base.training.encoder.albedoCount) components")
        print("split         seen   mean    network α   fit about mean   fit about network α")
        for split in AlbedoBlockSplit.allCases {
            let k = albedo.componentCount
            let plain = try albedo.heldOutRMS(observations, components: [0, k], split: split)
            let primed = try albedo.heldOutRMS(observations, components: [0, k], priors: priors, split: split)
            let name = split.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
            print(name + "  " + (split == .checkerboard ? "1/2 " : "1/4 ")
                  + String(format: "  %.4f  %.4f      %.4f           %.4f", plain[0], primed[0], plain[1], primed[1]))
        }
    }
}
