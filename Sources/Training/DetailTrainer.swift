import Foundation
import FaceModel
import Networks
import Reconstruction
import Render
import Tensor

/// The recipe of `likeness train-details`, stored (as JSON) in every checkpoint and shipped model.
public struct DetailTrainingConfiguration: Sendable, Codable, Equatable {
    /// The UNet teacher (Eq. 4) first, then the MAE student (Eq. 6) taught by it.
    public enum Stage: String, Sendable, Codable { case teacher, student }

    public var stage: Stage
    public var network = DetailConfiguration()
    public var losses = DetailLossWeights()
    /// Each batch is frames of one person (Eq. 7 swaps textures within it).
    public var batchSize = 8
    public var steps = 2000
    public var learningRate: Float = 1e-3
    public var minimumLearningRate: Float = 2e-5
    public var warmupSteps = 100
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 1
    public var validationInterval = 200
    public var seed: UInt64 = 1
    /// The teacher's content hash (student stage).
    public var teacher: String?

    public init(stage: Stage) { self.stage = stage }
}

/// A detail network as the trainer drives it: inputs `[B, 5, d, d]` → D `[B, 1, d, d]` metres.
public protocol DetailNetwork: Module {
    var configuration: DetailConfiguration { get }
    func callAsFunction(_ inputs: Tensor) throws -> Tensor
}
extension DetailTeacher: DetailNetwork {}
extension DetailMAE: DetailNetwork {}

/// The coarse faces of detail-dataset samples as constant render inputs, and their renders with a
/// displacement map (`MeshRendering` at the dataset's render size; the crop camera divided by the
/// render factor).
public final class DetailRendering: @unchecked Sendable {
    public let rendering: MeshRendering
    let evaluator: FaceEvaluator
    let albedo: AlbedoTexture
    let factor: Float

    public init(model: MorphableModel, albedoModel: AlbedoModel, dataset: DetailDataset) throws {
        try albedoModel.checkPairs(with: model)
        evaluator = try FaceEvaluator(model: model)
        rendering = try MeshRendering(model: model, width: dataset.renderSize, height: dataset.renderSize)
        albedo = AlbedoTexture(model: albedoModel, components: dataset.manifest.samples.first?.albedo.count ?? 0)
        factor = Float(dataset.manifest.renderFactor)
    }

    /// What stays fixed while D changes: `[B, N, 3]` vertices, `[B, 3]` camera, `[B, 27]` light,
    /// `[B, d, d, 3]` albedo, the photo `[B, r, r, 3]` and its skin `[B, r, r, 1]`.
    public struct Scene {
        public var vertices: Tensor, camera: Tensor, lighting: Tensor, albedo: Tensor
        public var target: Tensor, skin: Tensor
    }

    public func scene(_ data: DetailDataset, _ indices: [Int]) throws -> Scene {
        let n = evaluator.model.vertexCount
        let vertices = Tensor(uninitialized: [indices.count, n, 3])
        var camera: [Float] = [], light: [Float] = [], alpha: [Float] = []
        for (b, i) in indices.enumerated() {
            let v = try evaluator.evaluate(data.code(i)).vertices
            v.withUnsafeBufferPointer { (vertices.data + b * 3 * n).update(from: $0.baseAddress!, count: 3 * n) }
            let s = data.manifest.samples[i]
            camera += s.camera.map { $0 / factor }
            light += s.light
            alpha += s.albedo
        }
        let (target, skin) = data.targets(indices)
        return Scene(vertices: vertices, camera: Tensor(camera, shape: [indices.count, 3]), lighting: Tensor(light, shape: [indices.count, 27]),
                     albedo: albedo(Tensor(alpha, shape: [indices.count, albedo.componentCount])), target: target, skin: skin)
    }

    /// The render of `scene` with `displacement` (nil: the coarse face alone) and its L_phoD mask.
    public func render(_ scene: Scene, displacement: Tensor?) -> (image: Tensor, mask: Tensor) {
        let frame = rendering(vertices: scene.vertices, camera: scene.camera, lighting: scene.lighting, albedo: scene.albedo,
                              displacement: displacement)
        return (frame.image, frame.mask * scene.skin)
    }
}

/// Photometric figures of a validation pass: L_phoD with the network's details and without any.
public struct DetailValidation: Sendable, Codable {
    public var withDetails: Float, withoutDetails: Float
    /// Mean |d| over the face domain (how much detail there is), and for the student the L1 to its teacher.
    public var meanDisplacement: Float, teacherL1: Float?
    public var count: Int
}

/// Trains a detail network on a `DetailDataset`: the UNet teacher with L_UNet (Eq. 4), or the MAE
/// with L_animD (Eq. 6: L_UNet + L_Tchr against a trained teacher + L_sym + L_dc, Eq. 7, swapping
/// the texture between the frames of a same-person batch). AdamW, warmup + cosine, gradient
/// clipping, checkpoints with optimiser state (resumable), deterministic for a seed.
public final class DetailTrainer {
    public let configuration: DetailTrainingConfiguration
    public let network: DetailNetwork
    public let teacher: DetailTeacher?
    public let uv: DetailUV
    public let rendering: DetailRendering
    let optimiser: Adam
    let schedule: WarmupCosineSchedule
    let train: DetailDataset
    let validation: DetailDataset?
    let persons: [(person: String, samples: [Int])]
    public private(set) var step = 0
    public private(set) var best: Float = .infinity
    /// The learning rate of the next step.
    public var learningRate: Float { schedule.rate(at: step) }

    public init(configuration: DetailTrainingConfiguration, model: MorphableModel, albedoModel: AlbedoModel, train: DetailDataset,
                validation: DetailDataset?, teacher: DetailTeacher? = nil) throws {
        var c = configuration
        c.network.uvSize = train.uvSize
        c.network.faceModelHash = model.info.contentHash
        uv = try DetailUV(model: model, size: train.uvSize)
        switch c.stage {
        case .teacher: network = DetailTeacher(c.network, domain: uv.domain, seed: c.seed)
        case .student: network = DetailMAE(c.network, domain: uv.domain, seed: c.seed)
        }
        if c.stage == .student && c.losses.teacher > 0 && teacher == nil {
            throw TensorError.invalidArgument("the student stage with L_Tchr needs a trained teacher")
        }
        teacher?.setTrainable(false)
        self.teacher = teacher
        self.configuration = c
        rendering = try DetailRendering(model: model, albedoModel: albedoModel, dataset: train)
        optimiser = Adam.adamW(parameters: network.trainableParameters, learningRate: c.learningRate, weightDecay: c.weightDecay)
        schedule = WarmupCosineSchedule(baseRate: c.learningRate, warmupSteps: c.warmupSteps, totalSteps: c.steps,
                                        minimumRate: c.minimumLearningRate)
        self.train = train
        self.validation = validation
        persons = train.byPerson
    }

    /// Batch of `step`: a person drawn with probability ∝ √(their frames), then B of their frames.
    func batch(at step: Int) -> [Int] {
        var g = SeededGenerator(seed: configuration.seed &* 1_000_003 &+ UInt64(step))
        let weights = persons.map { Float($0.samples.count).squareRoot() }
        var u = Float.random(in: 0..<weights.reduce(0, +), using: &g)
        var chosen = persons.last!.samples
        for (p, w) in zip(persons, weights) {
            if u < w { chosen = p.samples; break }
            u -= w
        }
        let shuffled = chosen.shuffled(using: &g)
        return (0..<configuration.batchSize).map { shuffled[$0 % shuffled.count] }
    }

    /// The teacher's displacement of samples (constant).
    func teacherDisplacement(_ inputs: Tensor) throws -> Tensor? {
        guard let teacher, configuration.losses.teacher > 0 else { return nil }
        return try Autograd.withoutRecording { try teacher(inputs) }
    }

    /// One optimiser step; returns the loss terms (before the step) and the gradient norm.
    @discardableResult
    public func trainStep() throws -> (terms: [(String, Float)], gradientNorm: Float) {
        let indices = batch(at: step)
        optimiser.learningRate = schedule.rate(at: step)
        let terms = try loss(indices, data: train)
        guard terms.total.item.isFinite else {
            optimiser.zeroGrad()
            step += 1
            return (terms.values, .nan)
        }
        terms.total.backward()
        let norm = clipGradientNorm(optimiser.parameters, maxNorm: configuration.gradientClip)
        optimiser.step()
        optimiser.zeroGrad()
        step += 1
        return (terms.values, norm)
    }

    /// The stage's loss on samples `indices` of `data`.
    func loss(_ indices: [Int], data: DetailDataset) throws -> DetailLossTerms {
        let inputs = data.inputs(indices)
        let scene = try rendering.scene(data, indices)
        let d = try network(inputs)
        let (image, mask) = rendering.render(scene, displacement: d)
        let c = configuration, maximum = c.network.maximumDisplacement
        switch c.stage {
        case .teacher:
            return unetLoss(d, rendered: image, target: scene.target, mask: mask, uv: uv, maximum: maximum, weights: c.losses)
        case .student:
            let taught = try teacherDisplacement(inputs)
            var consistency: Tensor?
            if c.losses.consistency > 0, indices.count > 1 {
                let partner = (0..<indices.count).map { indices[($0 + 1) % indices.count] }
                let swapped = try network(data.inputs(indices, textureFrom: partner))
                let (swappedImage, swappedMask) = rendering.render(scene, displacement: swapped)
                consistency = detailConsistencyLoss(swapped, rendered: swappedImage, target: scene.target, mask: swappedMask,
                                                    teacher: taught, uv: uv, maximum: maximum, weights: c.losses)
            }
            return animatableDetailLoss(d, rendered: image, target: scene.target, mask: mask, teacher: taught,
                                        consistency: consistency, uv: uv, maximum: maximum, weights: c.losses)
        }
    }

    /// L_phoD on `validation` with and without the network's details (see `DetailTrainer.evaluate`).
    public func validate() throws -> DetailValidation? {
        guard let validation else { return nil }
        return try DetailTrainer.evaluate(network, teacher: configuration.stage == .student ? teacher : nil,
                                          rendering: rendering, uv: uv, on: validation)
    }

    /// L_phoD of `network`'s details on every sample of `data`, against the coarse render alone.
    public static func evaluate(_ network: DetailNetwork, teacher: DetailTeacher?, rendering: DetailRendering, uv: DetailUV,
                                on data: DetailDataset, batchSize: Int = 8) throws -> DetailValidation {
        var with = 0.0, without = 0.0, amount = 0.0, toTeacher = 0.0, batches = 0.0
        let maximum = network.configuration.maximumDisplacement
        try Autograd.withoutRecording {
            for start in stride(from: 0, to: data.count, by: batchSize) {
                let indices = Array(start..<min(start + batchSize, data.count))
                let inputs = data.inputs(indices)
                let scene = try rendering.scene(data, indices)
                let d = try network(inputs)
                let detailed = rendering.render(scene, displacement: d), coarse = rendering.render(scene, displacement: nil)
                let w = Double(indices.count)
                with += w * Double(detailPhotometricLoss(detailed.image, target: scene.target, mask: detailed.mask).item)
                without += w * Double(detailPhotometricLoss(coarse.image, target: scene.target, mask: coarse.mask).item)
                amount += w * Double(detailRegularisationLoss(d, uv: uv, maximum: maximum).item)
                if let teacher { toTeacher += w * Double(l1Loss(d, try teacher(inputs)).item / maximum) }
                batches += w
            }
        }
        let n = max(batches, 1)
        return DetailValidation(withDetails: Float(with / n), withoutDetails: Float(without / n), meanDisplacement: Float(amount / n),
                                teacherL1: teacher == nil ? nil : Float(toTeacher / n), count: data.count)
    }

    /// Records a validation figure (lower is better); true when it is the best so far.
    public func record(_ value: Float) -> Bool {
        guard value < best else { return false }
        best = value
        return true
    }

    // MARK: Checkpoints

    func metadata(extra: [String: String] = [:]) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var m = ["configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self),
                 "content": configuration.stage == .teacher ? "detail-teacher" : "detail-mae"]
        for (k, v) in extra { m[k] = v }
        return m
    }

    public func saveCheckpoint(to url: URL) throws {
        try writeTrainingCheckpoint(network, optimiser: optimiser, metadata: try metadata(extra: ["step": "\(step)", "best": "\(best)"]), to: url)
    }

    public func resume(from url: URL) throws {
        let metadata = try readTrainingCheckpoint(into: network, optimiser: optimiser, from: url)
        step = Int(metadata["step"] ?? "0") ?? 0
        best = Float(metadata["best"] ?? "inf") ?? .infinity
    }

    /// Saves the network alone (weights + configuration), as shipped.
    public func saveModel(to url: URL, dtype: SafeTensorsDType = .f32, extra: [String: String] = [:]) throws {
        try Checkpoint.save(network, to: url, dtype: dtype, metadata: try metadata(extra: extra))
    }
}
