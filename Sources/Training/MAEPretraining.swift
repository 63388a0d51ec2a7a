import Foundation
import Networks
import Tensor

/// MAE pre-training of the coarse encoder's ViT on unlabelled faces (He et al. 2022; the paper's
/// encoder starts from a ViT-MAE): 75 % of each crop's 16×16 patches are hidden, the encoder sees
/// the rest, a small decoder predicts the hidden patches' pixels (`maskedPatchLoss`). The encoder's
/// weights (`saveEncoder`) then start `train-base --initialize`, its MLP head fresh.
///
/// The crops are the base model's: aligned 256² faces from `dataset build`, augmented as in
/// `train-base`, 2×2 average pooled to the encoder's 128² input.
public struct MAEPretrainingConfiguration: Codable, Sendable, Equatable {
    /// The encoder, as the coarse encoder's `vit` (same shapes, so its weights load there).
    public var vit: ViTConfiguration
    public var inputPooling = 2
    public var decoderWidth = 128
    public var decoderDepth = 2
    public var decoderHeads = 4
    public var maskingRatio: Float = 0.75
    public var batchSize = 64
    public var steps = 3000
    public var learningRate: Float = 1e-3
    public var minimumLearningRate: Float = 1e-5
    public var warmupSteps = 200
    public var weightDecay: Float = 0.05
    public var gradientClip: Float = 1
    public var augmentation = Augmentation()
    public var seed: UInt64 = 1

    public init(vit: ViTConfiguration) { self.vit = vit }
}

/// L_MAE, the masked-autoencoder loss with normalised pixel targets (He et al. 2022, `norm_pix_loss`):
/// the squared error of the predicted patches against each patch's standardised pixels, over the
/// masked patches only,
///
///     L_MAE = (1/|M|) Σ_{(b,n) ∈ M} (1/P) ‖x̂_{b,n} − (x_{b,n} − μ_{b,n}) / √(σ²_{b,n} + 10⁻⁶)‖²
///
/// - prediction `[B, N, P]` per-patch predictions (`patchify` layout, P = C·p·p);
/// - target `[B, N, P]` the input's patches (`patchify`), a constant;
/// - visible: per sample, the patches the encoder saw (M is the rest of the N).
/// Backward: `dx̂_{b,n} = 2 (x̂_{b,n} − t̂_{b,n}) / (P |M|)` on masked patches, 0 elsewhere.
public func maskedPatchLoss(_ prediction: Tensor, target: Tensor, visible: [[Int]]) -> Tensor {
    precondition(prediction.shape == target.shape && prediction.rank == 3, "MAE loss of \(prediction.shape) against \(target.shape)")
    let (b, n, p) = (prediction.shape[0], prediction.shape[1], prediction.shape[2])
    var masked: [(Int, Int)] = []
    for s in 0..<b {
        let seen = Set(visible[s])
        for k in 0..<n where !seen.contains(k) { masked.append((s, k)) }
    }
    let count = max(masked.count, 1)
    var standardised = [Float](repeating: 0, count: masked.count * p)
    var total = 0.0
    for (m, (s, k)) in masked.enumerated() {
        let row = (s * n + k) * p
        var mean = 0.0, square = 0.0
        for j in 0..<p { let v = Double(target.data[row + j]); mean += v; square += v * v }
        mean /= Double(p)
        let scale = 1 / (max(square / Double(p) - mean * mean, 0) + 1e-6).squareRoot()
        for j in 0..<p {
            let t = Float((Double(target.data[row + j]) - mean) * scale)
            standardised[m * p + j] = t
            let d = Double(prediction.data[row + j] - t)
            total += d * d
        }
    }
    let out = Tensor(scalar: Float(total / Double(p * count)))
    return out.recording([prediction]) { out in
        guard prediction.requiresGrad else { return }
        let g = out.grad![0] * 2 / Float(p * count), dp = prediction.gradBuffer()
        for (m, (s, k)) in masked.enumerated() {
            let row = (s * n + k) * p
            for j in 0..<p { dp[row + j] += g * (prediction.data[row + j] - standardised[m * p + j]) }
        }
    }
}

/// The MAE pre-training loop: AdamW (β₂ 0.95, as MAE), warm-up + cosine, gradient clipping;
/// resumable checkpoints of the whole autoencoder with the optimiser's state.
public final class MAEPretrainer {
    public let configuration: MAEPretrainingConfiguration
    public let network: MaskedAutoencoder
    public private(set) var step = 0
    let optimiser: Adam
    let schedule: WarmupCosineSchedule
    let train: FaceDataset

    public init(configuration c: MAEPretrainingConfiguration, train: FaceDataset) throws {
        guard train.count > 0 else { throw TrainingSetupError.emptyDataset }
        guard train.cropSize == c.vit.imageSize * c.inputPooling else {
            throw TensorError.shapeMismatch(expected: [c.vit.imageSize * c.inputPooling], got: [train.cropSize], context: "MAE crops")
        }
        configuration = c
        self.train = train
        var g = SeededGenerator(seed: c.seed)
        network = MaskedAutoencoder(encoder: c.vit, decoder: MAEDecoderConfiguration(dim: c.decoderWidth, depth: c.decoderDepth,
                                                                                     heads: c.decoderHeads, outChannels: c.vit.inChannels),
                                    maskingRatio: c.maskingRatio, using: &g)
        // The detail latent is the detail MAE's; the coarse encoder has none, so it stays at zero.
        network.setTrainable { $0 != "detail_latent" }
        optimiser = Adam.adamW(parameters: network.parameters.filter(\.requiresGrad), learningRate: c.learningRate,
                               weightDecay: c.weightDecay, beta2: 0.95)
        schedule = WarmupCosineSchedule(baseRate: c.learningRate, warmupSteps: c.warmupSteps, totalSteps: c.steps,
                                        minimumRate: c.minimumLearningRate)
    }

    public var learningRate: Float { schedule.rate(at: step) }

    /// Pooled, augmented crops `[B, 3, 128, 128]` of `indices`.
    func images(_ indices: [Int], seeds: [UInt64], augmentation: Augmentation, from data: FaceDataset) -> Tensor {
        let (crops, _) = BaseTrainer.load(indices, augmentation: augmentation, seeds: seeds, from: data)
        return configuration.inputPooling > 1 ? avgPool2d(crops, kernel: configuration.inputPooling) : crops
    }

    /// L_MAE of `images` with masks drawn from `g`.
    func loss(_ images: Tensor, using g: inout SeededGenerator) throws -> Tensor {
        let (patches, visible) = try network.forwardPatches(images, using: &g)
        return maskedPatchLoss(patches, target: patchify(images, patch: configuration.vit.patchSize), visible: visible)
    }

    /// One optimiser step on a random batch; returns the loss (before the step) and the gradient norm.
    @discardableResult
    public func trainStep() throws -> (loss: Float, gradientNorm: Float) {
        let c = configuration
        var g = SeededGenerator(seed: c.seed &* 1_000_003 &+ UInt64(step))
        let picks = (0..<c.batchSize).map { _ in Int.random(in: 0..<train.count, using: &g) }
        let seeds = picks.map { _ in g.next() }
        optimiser.learningRate = schedule.rate(at: step)
        let l = try loss(images(picks, seeds: seeds, augmentation: c.augmentation, from: train), using: &g)
        step += 1
        guard l.item.isFinite else { optimiser.zeroGrad(); return (l.item, .nan) }
        l.backward()
        let norm = clipGradientNorm(optimiser.parameters, maxNorm: c.gradientClip)
        optimiser.step()
        optimiser.zeroGrad()
        return (l.item, norm)
    }

    /// L_MAE on the first `count` faces of `data`, unaugmented, with fixed masks (comparable
    /// across steps and runs).
    public func evaluate(on data: FaceDataset, count: Int = 256) throws -> Float {
        let n = min(count, data.count)
        var g = SeededGenerator(seed: 7), total: Float = 0
        for start in stride(from: 0, to: n, by: 32) {
            let indices = Array(start..<min(start + 32, n))
            let x = images(indices, seeds: indices.map { UInt64($0) }, augmentation: .none, from: data)
            total += try Autograd.withoutRecording { try loss(x, using: &g) }.item * Float(indices.count)
        }
        return total / Float(max(n, 1))
    }

    func metadata(_ extra: [String: String] = [:]) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ["configuration": String(decoding: try encoder.encode(configuration), as: UTF8.self), "step": "\(step)"]
            .merging(extra) { _, new in new }
    }

    public func saveCheckpoint(to url: URL) throws {
        try writeTrainingCheckpoint(network, optimiser: optimiser, metadata: try metadata(["content": "mae-checkpoint"]), to: url)
    }

    public func resume(from url: URL) throws {
        step = Int(try readTrainingCheckpoint(into: network, optimiser: optimiser, from: url)["step"] ?? "0") ?? 0
    }

    /// The encoder's weights alone, named as the coarse encoder's `vit.…` without the prefix,
    /// with `content: mae-encoder` (what `BaseTrainer.initialize(from:)` recognises).
    public func saveEncoder(to url: URL) throws {
        try Checkpoint.save(network.encoder, to: url, metadata: try metadata(["content": MAEPretrainer.encoderContent]))
    }

    public static let encoderContent = "mae-encoder"
}
