import Checksum
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Networks
import Reconstruction
import Tensor

/// The recipe of person-specific transfer (paper §3.4), stored in every adapters file.
public struct TransferConfiguration: Sendable, Codable, Equatable {
    /// Bottleneck width r of the Houlsby adapter after each block's feed-forward layer.
    public var bottleneck = 16
    /// Adam's rate for the adapters and layer norms (the paper's 1e-3).
    public var learningRate: Float = 1e-3
    public var warmupSteps = 10
    /// At most this many steps; early stopping on the held-out split usually ends sooner.
    public var maximumSteps = 240
    public var batchSize = 16
    /// Held-out NME is measured every this many steps; training stops after `patience`
    /// measurements without improvement and keeps the best state.
    public var validationInterval = 20
    public var patience = 3
    /// Share of the person's photos held out for early stopping (at least one photo when there
    /// are three or more; with fewer, nothing is held out and the steps are fixed).
    public var holdoutFraction: Float = 0.2
    /// Photos below this count are not adapted on: base + refinement only.
    public var minimumPhotos = 4
    /// Also train the MLP head (beyond the paper, which trains adapters and layer norms only).
    public var trainHead = false
    public var losses = CoarseLossWeights()
    public var augmentation = Augmentation()
    public var seed: UInt64 = 1

    public init() {}
}

/// What a transfer did, written beside the adapters (`transfer.json`).
public struct TransferReport: Sendable, Codable {
    public var baseModel: String
    public var configuration: TransferConfiguration
    public var photosTrained: [String]
    public var photosHeldOut: [String]
    /// Held-out landmark NME (against the detector's landmarks: the photos have no ground truth).
    public var heldOutBefore: ValidationResult?
    public var heldOutAfter: ValidationResult?
    public var steps: Int
    public var bestStep: Int
    public var seconds: Double
    public var warmStarted: Bool
    /// Loss of the first and last training steps.
    public var firstLoss: Float?
    public var lastLoss: Float?
    /// False when the adapted model was not better on the held-out photos (then it is not used).
    public var improved: Bool
    public var note: String
}

/// Person-specific transfer: Houlsby adapters after every transformer block's feed-forward layer
/// (before the residual sum that feeds the next layer norm) plus every layer norm are trained on
/// one person's photos with L_C (Eq. 2), the base weights frozen (paper §3.4).
///
/// Same-person batches make L_sc pull every photo's β towards one identity, which is what makes
/// the adapted model consistent for the person. Early stopping on a held-out split; a warm start
/// from the person's previous adapters when new photos arrive.
public enum PersonTransfer {
    /// True for the parameters transfer trains: adapters and layer norms (and with `head` the MLP head).
    public static func isTransferred(_ name: String, head: Bool = false) -> Bool {
        name.contains(".adapter.") || name.contains("norm") || (head && name.hasPrefix("head."))
    }

    /// A dataset of one person's located photos: each face aligned to the 256² crop by its landmarks
    /// (as the base model's training data and inference are), the landmarks as pseudo-labels.
    public static func dataset(_ photos: [LocatedPhoto], aligner: FaceAligner, person: String) throws -> FaceDataset {
        var samples: [FaceDatasetManifest.Sample] = []
        var crops = Data()
        for photo in photos {
            let crop = try aligner.crop(photo.image, landmarks: photo.landmarks)
            let t = crop.photoToCrop
            samples.append(.init(index: samples.count, source: person, name: photo.name, person: person,
                                 landmarks: photo.landmarks.flatMap { let p = t.apply($0); return [p.x, p.y] },
                                 labels: "detector", alignedBy: "detector", templateResidual: 0))
            crops.append(contentsOf: DatasetBuilder.rgb(crop.image))
        }
        let manifest = FaceDatasetManifest(cropSize: aligner.size, created: ISO8601DateFormatter().string(from: Date()),
                                           sources: [person], samples: samples, rejected: [], maximumTemplateResidual: 0)
        return FaceDataset(manifest: manifest, crops: crops)
    }

    /// Splits photos into (train, held out), deterministically for `seed`.
    public static func split<T>(_ items: [T], holdoutFraction: Float, seed: UInt64) -> (train: [T], heldOut: [T]) {
        guard items.count >= 3, holdoutFraction > 0 else { return (items, []) }
        var g = SeededGenerator(seed: seed)
        let order = Array(items.indices).shuffled(using: &g)
        let n = min(items.count - 2, max(1, Int((Float(items.count) * holdoutFraction).rounded())))
        return (order.dropFirst(n).sorted().map { items[$0] }, order.prefix(n).sorted().map { items[$0] })
    }

    /// Adapts a fresh copy of `base` to one person's photos. Returns the adapted model (the base
    /// model's weights untouched, adapters inserted) — or `base` itself when there are too few
    /// photos or adaptation did not help — and the report. `progress(step, maxSteps, loss)`
    /// reports each step.
    public static func adapt(_ base: BaseModel, model: MorphableModel, photos: [LocatedPhoto], aligner: FaceAligner,
                             configuration c: TransferConfiguration = TransferConfiguration(),
                             warmStart: URL? = nil,
                             progress: (Int, Int, Float) -> Void = { _, _, _ in }) throws -> (BaseModel, TransferReport) {
        guard photos.count >= c.minimumPhotos else {
            let report = TransferReport(
                baseModel: base.contentHash, configuration: c, photosTrained: photos.map(\.name), photosHeldOut: [],
                heldOutBefore: nil, heldOutAfter: nil, steps: 0, bestStep: 0, seconds: 0, warmStarted: false,
                firstLoss: nil, lastLoss: nil, improved: false,
                note: "\(photos.count) photos: too few to adapt on (at least \(c.minimumPhotos)); the base model with refinement is used")
            return (base, report)
        }
        let (trainPhotos, heldPhotos) = split(photos, holdoutFraction: c.holdoutFraction, seed: c.seed)
        let train = try dataset(trainPhotos, aligner: aligner, person: "person")
        let held = heldPhotos.isEmpty ? nil : try dataset(heldPhotos, aligner: aligner, person: "person")
        return try adapt(base, model: model, train: train, heldOut: held, configuration: c, warmStart: warmStart,
                         progress: progress)
    }

    /// `adapt` on datasets of the person's faces (training and held-out for early stopping).
    public static func adapt(_ base: BaseModel, model: MorphableModel, train: FaceDataset, heldOut held: FaceDataset?,
                             configuration c: TransferConfiguration = TransferConfiguration(),
                             warmStart: URL? = nil,
                             progress: (Int, Int, Float) -> Void = { _, _, _ in }) throws -> (BaseModel, TransferReport) {
        let start = Date()
        let adapted = try BaseModel(contentsOf: base.url)
        let encoder = adapted.encoder
        var warmStarted = false
        if let warmStart, (try? load(into: adapted, from: warmStart, base: base)) != nil {
            warmStarted = true
        } else {
            var g = SeededGenerator(seed: c.seed)
            encoder.vit.insertAdapters(bottleneck: c.bottleneck, using: &g)
        }
        encoder.setTrainable(where: { isTransferred($0, head: c.trainHead) })
        var report = TransferReport(baseModel: base.contentHash, configuration: c,
                                    photosTrained: train.manifest.samples.map(\.name),
                                    photosHeldOut: held?.manifest.samples.map(\.name) ?? [],
                                    heldOutBefore: nil, heldOutAfter: nil, steps: 0, bestStep: 0, seconds: 0,
                                    warmStarted: warmStarted, firstLoss: nil, lastLoss: nil, improved: false, note: "")
        var recipe = adapted.training
        recipe.losses = c.losses
        recipe.augmentation = c.augmentation
        recipe.batchSize = c.batchSize
        recipe.steps = c.maximumSteps
        recipe.learningRate = c.learningRate
        recipe.minimumLearningRate = c.learningRate * 0.1
        recipe.warmupSteps = c.warmupSteps
        recipe.weightDecay = 0
        recipe.seed = c.seed
        let trainer = try BaseTrainer(configuration: recipe, model: model, train: train, validation: held, encoder: encoder)
        let tensors = encoder.namedParameters.filter { isTransferred($0.name, head: c.trainHead) }.map(\.tensor)
        var best = tensors.map(\.values)
        if let held {
            report.heldOutBefore = try BaseTrainer.evaluate(base.encoder, projection: trainer.projection, on: held)
            report.heldOutAfter = report.heldOutBefore
        }
        var bestNME = report.heldOutBefore?.meanAll ?? .infinity, sinceBest = 0
        while trainer.step < c.maximumSteps {
            let (terms, _) = try trainer.trainStep()
            let loss = terms.last?.1 ?? .nan
            if report.firstLoss == nil { report.firstLoss = loss }
            report.lastLoss = loss
            progress(trainer.step, c.maximumSteps, loss)
            guard let held, trainer.step % c.validationInterval == 0 || trainer.step == c.maximumSteps else { continue }
            let result = try BaseTrainer.evaluate(encoder, projection: trainer.projection, on: held)
            if result.meanAll < bestNME {
                (bestNME, sinceBest, report.bestStep, report.heldOutAfter) = (result.meanAll, 0, trainer.step, result)
                best = tensors.map(\.values)
            } else {
                sinceBest += 1
                if sinceBest >= c.patience { break }
            }
        }
        report.steps = trainer.step
        if held == nil { report.bestStep = trainer.step; best = tensors.map(\.values) }
        for (t, v) in zip(tensors, best) { t.data.update(from: v, count: v.count) }
        encoder.setTrainable(false)
        report.improved = held == nil || report.bestStep > 0
        report.seconds = Date().timeIntervalSince(start)
        if held == nil {
            report.note = "\(train.count) photos: no held-out split; trained \(trainer.step) steps"
        } else if let before = report.heldOutBefore, let after = report.heldOutAfter, report.improved {
            report.note = String(format: "held-out NME %.4f → %.4f (best at step %d of %d)", before.meanAll, after.meanAll,
                                 report.bestStep, trainer.step)
        } else {
            report.note = String(format: "adaptation did not lower the held-out NME (%.4f); the base model is used",
                                 report.heldOutBefore?.meanAll ?? .nan)
        }
        return (report.improved ? adapted : base, report)
    }

    /// Writes the adapted model's adapters and layer norms with the recipe and the base model's hash.
    public static func save(_ adapted: BaseModel, report: TransferReport, to url: URL) throws {
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        try Checkpoint.save(adapted.encoder, to: url, selection: { isTransferred($0, head: report.configuration.trainHead) }, metadata: [
            "content": "person-adapters", "baseModel": report.baseModel,
            "configuration": String(decoding: try json.encode(report.configuration), as: UTF8.self),
        ])
    }

    public enum AdaptersError: Error, CustomStringConvertible {
        case notAdapters(String)
        case otherBaseModel(file: String, expected: String)
        public var description: String {
            switch self {
            case .notAdapters(let path): return "\(path) holds no person adapters"
            case let .otherBaseModel(file, expected):
                return "the adapters were trained on base model \(file.prefix(12))…, not on the base model in use (\(expected.prefix(12))…)"
            }
        }
    }

    /// Loads adapters written by `save` into `adapted` (a fresh copy of `base`), checking they
    /// were trained on `base`.
    public static func load(into adapted: BaseModel, from url: URL, base: BaseModel) throws {
        let file = try SafeTensorsFile.read(contentsOf: url)
        guard file.metadata?["content"] == "person-adapters" else { throw AdaptersError.notAdapters(url.path) }
        guard file.metadata?["baseModel"] == base.contentHash else {
            throw AdaptersError.otherBaseModel(file: file.metadata?["baseModel"] ?? "unknown", expected: base.contentHash)
        }
        var g = SeededGenerator(seed: 0)
        let vit = adapted.encoder.vit
        vit.removeAdapters()
        for (i, block) in vit.blocks.enumerated() {
            guard let down = file["vit.blocks.\(i).adapter.down.weight"], down.shape.count == 2 else { continue }
            block.adapter = Adapter(dim: block.norm1.weight.count, bottleneck: down.shape[0], using: &g)
        }
        let head = file.names.contains { $0.hasPrefix("head.") && !$0.contains("norm") }
        try Checkpoint.load(into: adapted.encoder, from: file, selection: { isTransferred($0, head: head) })
        adapted.encoder.setTrainable(false)
    }

    /// The base model with a person's adapters (from a bundle's `adapters.safetensors`).
    public static func personModel(_ base: BaseModel, adapters url: URL) throws -> BaseModel {
        let adapted = try BaseModel(contentsOf: base.url)
        try load(into: adapted, from: url, base: base)
        return adapted
    }
}
