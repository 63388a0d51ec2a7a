import Foundation
import FaceModel
import Networks
import FaceRecognition
import Reconstruction
import Render
import Tensor

/// The recipe of `likeness train-base`, stored (as JSON) in every checkpoint and shipped model.
public struct BaseTrainingConfiguration: Sendable, Codable, Equatable {
    public var encoder: CoarseEncoderConfiguration
    public var losses = CoarseLossWeights()
    /// Eq. 1 (`.silhouette`) or DECA's dynamic-contour landmark loss (`.marching`, the ablation).
    public var boundary: BoundaryMode = .silhouette
    public var augmentation = Augmentation()
    public var batchSize = 32
    public var steps = 6000
    public var learningRate: Float = 6e-4
    public var minimumLearningRate: Float = 2e-5
    public var warmupSteps = 300
    public var weightDecay: Float = 0.05
    public var gradientClip: Float = 1
    /// Validation (NME on the held-out set) and checkpoint interval, steps.
    public var validationInterval = 250
    public var seed: UInt64 = 1
    /// Sources are drawn with probability ∝ (faces in the source)^sourceBalance (1: uniform over
    /// faces; 0.25 keeps UTKFace's 9,716 crops to under half of each batch).
    public var sourceBalance: Float = 0.25
    /// L_pho and L_id render at crop/factor pixels (nil: 2, so 128² for the 256² crop — the
    /// resolution the ViT sees).
    public var photometricRenderFactor: Int?
    /// SHA-256 of the encoder weights the run started from (`train-base --initialize`); nil: random.
    public var initializedFrom: String?

    public init(encoder: CoarseEncoderConfiguration) { self.encoder = encoder }
}

extension CoarseEncoderConfiguration {
    /// Makes the encoder regress α (the first `albedoComponents` of the albedo model) and SH light
    /// around the studio light (`SphericalHarmonics.studio`), as L_pho and L_id need.
    public mutating func regressAppearance(albedoComponents: Int) {
        albedoCount = albedoComponents
        regressesLighting = true
        meanLighting = SphericalHarmonics.studio.coefficients
    }
}

/// Why a trainer cannot be set up.
public enum TrainingSetupError: Error, CustomStringConvertible {
    case noAppearanceOutputs
    case noAlbedoModel(String)
    case noFaceRecognitionModel(String)
    case emptyDataset

    public var description: String {
        switch self {
        case .emptyDataset: return "the training set has no faces"
        case .noAppearanceOutputs:
            return "L_pho and L_id need an encoder that regresses albedo and SH light (albedoCount > 0, regressesLighting)"
        case .noAlbedoModel(let why): return "L_pho and L_id need the albedo model: \(why)"
        case .noFaceRecognitionModel(let why): return "L_id needs dlib's face-recognition network (Scripts/setup installs it): \(why)"
        }
    }
}

/// Landmark NME figures of a validation pass (crop coordinates; NME is invariant to the crop's
/// similarity, so these are the photo NMEs of the aligned faces).
public struct ValidationResult: Sendable, Codable {
    public var meanAll: Float, medianAll: Float, meanBoundary: Float, meanInner: Float
    public var count: Int
}

/// Trains the coarse encoder with L_C (Eq. 2) on a `FaceDataset`: AdamW, warmup + cosine schedule,
/// gradient clipping, batches of same-person pairs (for L_sc), checkpoints every
/// `validationInterval` steps with the optimiser state (resumable), a CSV log and validation NME.
/// Deterministic for a seed: step t's batch and augmentation come from a generator seeded by (seed, t).
public final class BaseTrainer {
    public let configuration: BaseTrainingConfiguration
    public let encoder: CoarseEncoder
    public let projection: LandmarkProjection
    /// The mesh op of L_par (synthetic faces).
    let geometry: FaceGeometry
    /// The renderer chain of L_pho and L_id (nil when their weights are 0).
    public let rendering: FaceRendering?
    public let identityLoss: IdentityLoss?
    let optimiser: Adam
    let schedule: WarmupCosineSchedule
    let train: FaceDataset
    let validation: FaceDataset?
    let byPerson: [String: [Int]]
    let bySource: [(samples: [Int], cumulative: Float)]
    public private(set) var step = 0
    public private(set) var bestNME: Float = .infinity
    /// The learning rate of the next step.
    public var learningRate: Float { schedule.rate(at: step) }

    /// - Parameter encoder: the encoder to train (its parameters that `requiresGrad`, e.g. a base
    ///   model's adapters and layer norms for person-specific transfer); nil for a fresh one.
    /// - Parameter albedoModel: the albedo space of L_pho (nil: the shipped one, when the weights
    ///   turn L_pho or L_id on).
    public init(configuration: BaseTrainingConfiguration, model: MorphableModel, train: FaceDataset,
                validation: FaceDataset?, encoder given: CoarseEncoder? = nil, albedoModel: AlbedoModel? = nil) throws {
        self.configuration = configuration
        let encoder = given ?? CoarseEncoder(configuration.encoder, seed: configuration.seed)
        let projection = try LandmarkProjection(model: model, boundary: configuration.boundary)
        self.encoder = encoder
        self.projection = projection
        geometry = FaceGeometry(evaluator: projection.evaluator)
        if configuration.losses.rendersFace {
            let c = encoder.configuration
            guard c.albedoCount > 0, c.regressesLighting else { throw TrainingSetupError.noAppearanceOutputs }
            var albedo = albedoModel
            if albedo == nil {
                let shipped = AlbedoModel.shipped(for: model)
                guard let found = shipped.model else { throw TrainingSetupError.noAlbedoModel(shipped.pairingError ?? "none") }
                albedo = found
            }
            rendering = try FaceRendering(geometry: FaceGeometry(evaluator: projection.evaluator), albedoModel: albedo!,
                                          components: c.albedoCount, cropSize: c.inputSize,
                                          factor: configuration.photometricRenderFactor ?? 2)
        } else {
            rendering = nil
        }
        if configuration.losses.identity > 0 {
            do { identityLoss = IdentityLoss(network: try FaceRecognitionModel()) } catch {
                throw TrainingSetupError.noFaceRecognitionModel("\(FaceRecognitionModel.modelPath): \(error)")
            }
        } else {
            identityLoss = nil
        }
        optimiser = Adam.adamW(parameters: encoder.parameters.filter(\.requiresGrad), learningRate: configuration.learningRate,
                               weightDecay: configuration.weightDecay)
        schedule = WarmupCosineSchedule(baseRate: configuration.learningRate, warmupSteps: configuration.warmupSteps,
                                        totalSteps: configuration.steps, minimumRate: configuration.minimumLearningRate)
        self.train = train
        self.validation = validation
        byPerson = Dictionary(grouping: train.manifest.samples.indices, by: { train.manifest.samples[$0].person })
        var cumulative: Float = 0
        bySource = Dictionary(grouping: train.manifest.samples.indices, by: { train.manifest.samples[$0].source })
            .sorted { $0.key < $1.key }.map { _, samples in
                cumulative += pow(Float(samples.count), configuration.sourceBalance)
                return (samples, cumulative)
            }
    }

    /// The encoder configuration for `model` with the mean camera fitted to the mean landmarks of
    /// `dataset`'s photos (synthetic faces left out: adding them must not move a model's start).
    public static func encoderConfiguration(for model: MorphableModel, dataset: FaceDataset) throws -> CoarseEncoderConfiguration {
        var mean = [SIMD2<Float>](repeating: .zero, count: 68)
        let photos = dataset.manifest.samples.indices.filter { dataset.manifest.samples[$0].parameters == nil }
        let counted = photos.isEmpty ? Array(0..<dataset.count) : photos
        for i in counted { for (k, p) in dataset.landmarks(i).enumerated() { mean[k] += p / Float(counted.count) } }
        let rest = try model.evaluate(.neutral(for: model))
        // Least-squares s, t with s·Π(x_k) + t ≈ mean_k over the inner landmarks.
        let (s, t) = scaleAndShift(from: (17..<68).map { SIMD2(rest.landmarks[$0].x, -rest.landmarks[$0].y) },
                                   to: (17..<68).map { mean[$0] })
        return CoarseEncoderConfiguration(
            identityCount: model.identityCount, expressionCount: model.expressionCount, jointCount: model.joints.count,
            meanScale: s, meanTranslation: [t.x, t.y], faceModel: "\(model.info.name) \(model.info.version)",
            faceModelHash: model.info.contentHash)
    }

    /// A batch: normalised crops `[B, 3, S, S]`, landmark targets and each item's L_sc partner.
    struct Batch {
        var images: Tensor
        var targets: LandmarkTargets
        var partner: [Int]
        var synthetic: SyntheticTargets?
    }

    /// Batch of `step`: B/2 random samples, each with a random other photo of the same person
    /// (itself, differently augmented, when the person has one photo).
    func batch(at step: Int) -> Batch {
        var g = SeededGenerator(seed: configuration.seed &* 1_000_003 &+ UInt64(step))
        let half = configuration.batchSize / 2
        var picks: [Int] = []
        for _ in 0..<half {
            let u = Float.random(in: 0..<bySource.last!.cumulative, using: &g)
            let source = bySource.first { u < $0.cumulative }?.samples ?? bySource.last!.samples
            let a = source[Int.random(in: 0..<source.count, using: &g)]
            let group = byPerson[train.manifest.samples[a].person] ?? [a]
            let others = group.count > 1 ? group.filter { $0 != a } : group
            picks += [a, others[Int.random(in: 0..<others.count, using: &g)]]
        }
        let seeds = picks.map { _ in g.next() }
        let (images, targets) = Self.load(picks, augmentation: configuration.augmentation, seeds: seeds, from: train)
        return Batch(images: images, targets: LandmarkTargets(targets),
                     partner: (0..<picks.count).map { $0 ^ 1 },
                     synthetic: SyntheticTargets(picks.map { train.manifest.samples[$0].parameters }))
    }

    /// Augmented crops and their landmarks (items in parallel). Synthetic faces are never mirrored:
    /// their exact β and ψ belong to the unmirrored face.
    static func load(_ indices: [Int], augmentation: Augmentation, seeds: [UInt64], from data: FaceDataset) -> (Tensor, [[SIMD2<Float>]]) {
        let size = data.cropSize, plane = 3 * size * size
        let images = Tensor(uninitialized: [indices.count, 3, size, size])
        var targets = [[SIMD2<Float>]](repeating: [], count: indices.count)
        targets.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Compute.parallelFor(indices.count, costPerItem: 1 << 20) { range in
                for i in range {
                    var g = SeededGenerator(seed: seeds[i])
                    var augmentation = augmentation
                    if data.manifest.samples[indices[i]].parameters != nil { augmentation.mirrorProbability = 0 }
                    base[i] = data.withCrop(indices[i]) { crop in
                        augmentation.apply(crop: crop, size: size, landmarks: data.landmarks(indices[i]),
                                           into: images.data + i * plane, using: &g)
                    }
                }
            }
        }
        return (images, targets)
    }

    /// One optimiser step; returns the loss terms (before the step) and the gradient norm.
    @discardableResult
    public func trainStep() throws -> (terms: [(String, Float)], gradientNorm: Float) {
        let b = batch(at: step)
        optimiser.learningRate = schedule.rate(at: step)
        let code = try encoder(b.images)
        let terms = coarseLoss(code, targets: b.targets, projection: projection, weights: configuration.losses,
                               partner: b.partner,
                               photometric: rendering.map { PhotometricContext(rendering: $0, images: b.images, identity: identityLoss) },
                               synthetic: b.synthetic.map { ($0, geometry) })
        let values = terms.values
        guard terms.total.item.isFinite else {
            optimiser.zeroGrad()
            step += 1
            return (values, .nan)
        }
        terms.total.backward()
        let norm = clipGradientNorm(optimiser.parameters, maxNorm: configuration.gradientClip)
        optimiser.step()
        optimiser.zeroGrad()
        step += 1
        return (values, norm)
    }

    /// Landmark NME of the encoder on `validation` (no augmentation).
    public func validate() throws -> ValidationResult? {
        guard let validation else { return nil }
        return try BaseTrainer.evaluate(encoder, projection: projection, on: validation)
    }

    /// NME of `encoder`'s projected landmarks on a labelled dataset (the jaw line by Eq. 1's matching).
    public static func evaluate(_ encoder: CoarseEncoder, projection: LandmarkProjection, on data: FaceDataset,
                                indices subset: [Int]? = nil, batchSize: Int = 32) throws -> ValidationResult {
        let chosen = subset ?? Array(0..<data.count)
        var all: [Float] = [], boundary: [Float] = [], inner: [Float] = []
        let trainerLoad = { (indices: [Int]) -> (Tensor, [[SIMD2<Float>]]) in
            let size = data.cropSize, plane = 3 * size * size
            let images = Tensor(uninitialized: [indices.count, 3, size, size])
            var g = SeededGenerator(seed: 0)
            let targets = indices.enumerated().map { i, index in
                data.withCrop(index) { Augmentation.none.apply(crop: $0, size: size, landmarks: data.landmarks(index),
                                                               into: images.data + i * plane, using: &g) }
            }
            return (images, targets)
        }
        for start in stride(from: 0, to: chosen.count, by: batchSize) {
            let indices = Array(chosen[start..<min(start + batchSize, chosen.count)])
            let (images, targets) = trainerLoad(indices)
            let projected = try Autograd.withoutRecording { projection(try encoder(images), targets: targets) }
            for (i, target) in targets.enumerated() {
                let points = (0..<68).map { SIMD2(projected.data[i * 136 + 2 * $0], projected.data[i * 136 + 2 * $0 + 1]) }
                let iod = distance(target[36], target[45])
                let d = zip(points, target).map { distance($0, $1) / iod }
                all.append(d.reduce(0, +) / 68)
                boundary.append(d[0..<17].reduce(0, +) / 17)
                inner.append(d[17...].reduce(0, +) / 51)
            }
        }
        let sorted = all.sorted()
        let median = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        func avg(_ x: [Float]) -> Float { x.isEmpty ? 0 : x.reduce(0, +) / Float(x.count) }
        return ValidationResult(meanAll: avg(all), medianAll: median, meanBoundary: avg(boundary), meanInner: avg(inner),
                                count: all.count)
    }

    // MARK: Checkpoints

    /// Writes weights, optimiser state, step and configuration to `url` (atomically).
    public func saveCheckpoint(to url: URL) throws {
        try writeTrainingCheckpoint(encoder, optimiser: optimiser, metadata: try metadata(extra: ["step": "\(step)", "bestNME": "\(bestNME)"]), to: url)
    }

    /// Restores a checkpoint written by `saveCheckpoint` (weights, optimiser, step).
    public func resume(from url: URL) throws {
        let metadata = try readTrainingCheckpoint(into: encoder, optimiser: optimiser, from: url)
        step = Int(metadata["step"] ?? "0") ?? 0
        bestNME = Float(metadata["bestNME"] ?? "inf") ?? .infinity
    }

    /// Starts from a trained encoder's weights (`train-base --initialize`), e.g. the shipped model
    /// fine-tuned with L_pho: every parameter is copied, except that the head's output layer may
    /// have more outputs than the file's — the appended α and SH-light rows (`outputCount` puts
    /// them after the camera) start at zero, so the start decodes the same β, ψ, θ and camera, the
    /// mean albedo and the mean light. Optimiser state and step start afresh.
    /// A file of MAE pre-trained encoder weights (`MAEPretrainer.saveEncoder`, metadata `content:
    /// mae-encoder`) fills the ViT only; the head keeps its fresh initialisation (mean face).
    /// - Throws: `CheckpointError.mismatch` when anything else differs (nothing is loaded then).
    public func initialize(from url: URL) throws {
        let file = try SafeTensorsFile.read(contentsOf: url)
        if file.metadata?["content"] == MAEPretrainer.encoderContent {
            try Checkpoint.load(into: encoder.vit, from: file)
            return
        }
        let outputs = encoder.head.mlp.fc2
        let grown = [("head.fc2.weight", outputs.weight)] + (outputs.bias.map { [("head.fc2.bias", $0)] } ?? [])
        var missing: [String] = [], misshaped: [CheckpointError.ShapeMismatch] = []
        var rows: [(Tensor, [Float])] = []
        for (name, t) in grown {
            guard let s = file[name] else { missing.append(name); continue }
            guard s.shape.count == t.shape.count, s.shape[0] <= t.shape[0], s.shape.dropFirst() == t.shape.dropFirst() else {
                misshaped.append(.init(name: name, expected: t.shape, found: s.shape))
                continue
            }
            rows.append((t, try s.floats()))
        }
        guard missing.isEmpty, misshaped.isEmpty else { throw CheckpointError.mismatch(missing: missing, unexpected: [], misshaped: misshaped) }
        try Checkpoint.load(into: encoder, from: file, selection: { name in !grown.contains { $0.0 == name } && !name.hasPrefix("adam.") })
        for (t, v) in rows {
            t.data.update(repeating: 0, count: t.count)
            v.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: v.count) }
        }
    }

    /// Records a validation result; true when it is the best so far.
    public func recordValidation(_ nme: Float) -> Bool {
        guard nme < bestNME else { return false }
        bestNME = nme
        return true
    }

    func metadata(extra: [String: String] = [:]) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var m = ["configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self), "content": "coarse-encoder"]
        for (k, v) in extra { m[k] = v }
        return m
    }

    /// Saves the encoder alone (weights + configuration), as the shipped model is saved.
    public func saveModel(to url: URL, dtype: SafeTensorsDType = .f32, extra: [String: String] = [:]) throws {
        try Checkpoint.save(encoder, to: url, dtype: dtype, metadata: try metadata(extra: extra))
    }
}

/// A resumable checkpoint: `module`'s weights, the optimiser's state (`adam.*`) and `metadata`.
func writeTrainingCheckpoint(_ module: Module, optimiser: Adam, metadata: [String: String], to url: URL) throws {
    var file = try Checkpoint.file(of: module, metadata: metadata)
    for (name, t) in try optimiser.stateTensors() { try file.set(t, named: name) }
    try file.write(to: url)
}

/// Restores what `writeTrainingCheckpoint` wrote; returns its metadata.
func readTrainingCheckpoint(into module: Module, optimiser: Adam, from url: URL) throws -> [String: String] {
    let file = try SafeTensorsFile.read(contentsOf: url)
    try Checkpoint.load(into: module, from: file, selection: { !$0.hasPrefix("adam.") })
    try optimiser.loadState(from: file)
    return file.metadata ?? [:]
}

/// The least-squares s, t (no rotation) with s·p_k + t ≈ q_k.
func scaleAndShift(from p: [SIMD2<Float>], to q: [SIMD2<Float>]) -> (scale: Float, shift: SIMD2<Float>) {
    let pm = p.reduce(.zero, +) / Float(p.count), qm = q.reduce(.zero, +) / Float(q.count)
    var cross: Float = 0, spread: Float = 0
    for (a, b) in zip(p, q) { cross += ((a - pm) * (b - qm)).sum(); spread += ((a - pm) * (a - pm)).sum() }
    let s = cross / spread
    return (s, qm - s * pm)
}

func distance(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { ((a - b) * (a - b)).sum().squareRoot() }
