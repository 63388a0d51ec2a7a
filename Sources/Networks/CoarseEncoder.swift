import Foundation
import Tensor

/// Shape and output layout of the coarse encoder `E_c` (paper §3.2), stored with its weights.
///
/// The input is the paper's aligned 256×256 crop. On two CPU cores the ViT itself runs at
/// `inputSize / inputPooling` (128² by default: 2×2 average pooling first, then 16×16 patches, so
/// each token sees a 32×32 patch of the crop) — a quarter of the tokens of a 256² ViT and about
/// a sixth of its training cost, which is what lets the recipe train in the budget (see the model card).
public struct CoarseEncoderConfiguration: Sendable, Equatable, Codable {
    /// Side of the crop the encoder takes, pixels.
    public var inputSize = 256
    /// Average-pooling factor applied before the ViT (1 = none).
    public var inputPooling = 2
    public var vit = CoarseEncoderConfiguration.standardViT
    /// The shipped recipe's ViT (also MAE pre-training's default, so its weights load here).
    public static let standardViT = ViTConfiguration(imageSize: 128, patchSize: 16, dim: 192, depth: 8, heads: 3, mlpRatio: 4)
    /// Width of the MLP head's hidden layer.
    public var headHidden = 384
    /// Kβ, Kψ and the joint count J of the face model the encoder regresses.
    public var identityCount: Int
    public var expressionCount: Int
    public var jointCount: Int
    /// The camera (s, t) of the mean face in the mean crop: the decoded camera is
    /// s = s₀·exp(0.1·ŝ), t = t₀ + 8·t̂ (pixels), so a zero output is the mean face in the mean crop.
    public var meanScale: Float
    /// Radians of axis-angle pose per unit of raw output (nil: 0.25, the first runs' value). Adam moves
    /// each output weight by about the learning rate per step, so this sets how fast pose is learned.
    public var poseScale: Float?
    public var meanTranslation: [Float]
    /// Names of the face model and its content hash, so weights are never paired with another model.
    public var faceModel: String
    public var faceModelHash: String
    /// K_α, the albedo components regressed (0: none, the shipped model's recipe). α is raw, in
    /// standard deviations of the albedo model.
    public var albedoCount = 0
    /// Whether the encoder regresses second-order SH light (27 numbers, 9 bands × RGB): the decoded
    /// light is `meanLighting + 0.5·x`, so a zero output is the mean light (0.5: a unit of raw output
    /// moves the frontal shading by about 0.14, the scale of one albedo standard deviation).
    public var regressesLighting = false
    /// The light of a zero output (27, `SphericalHarmonics` layout); nil is all zero.
    public var meanLighting: [Float]?

    public init(identityCount: Int, expressionCount: Int, jointCount: Int, meanScale: Float,
                meanTranslation: [Float], faceModel: String, faceModelHash: String) {
        self.identityCount = identityCount
        self.expressionCount = expressionCount
        self.jointCount = jointCount
        self.meanScale = meanScale
        self.meanTranslation = meanTranslation
        self.faceModel = faceModel
        self.faceModelHash = faceModelHash
    }

    /// Length of the raw output vector: β, ψ, θ (3 per joint), camera (s, tx, ty), then α and SH
    /// light when regressed (after the camera, so a configuration without them keeps its layout).
    public var outputCount: Int { identityCount + expressionCount + 3 * jointCount + 3 + albedoCount + (regressesLighting ? 27 : 0) }

    private enum CodingKeys: String, CodingKey {
        case inputSize, inputPooling, vit, headHidden, identityCount, expressionCount, jointCount, meanScale, poseScale,
             meanTranslation, faceModel, faceModelHash, albedoCount, regressesLighting, meanLighting
    }

    /// Decodes a configuration; `albedoCount`, `regressesLighting` and `meanLighting` may be absent
    /// (configurations written before they existed, such as the shipped base model's: no α, no light).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputSize = try c.decode(Int.self, forKey: .inputSize)
        inputPooling = try c.decode(Int.self, forKey: .inputPooling)
        vit = try c.decode(ViTConfiguration.self, forKey: .vit)
        headHidden = try c.decode(Int.self, forKey: .headHidden)
        identityCount = try c.decode(Int.self, forKey: .identityCount)
        expressionCount = try c.decode(Int.self, forKey: .expressionCount)
        jointCount = try c.decode(Int.self, forKey: .jointCount)
        meanScale = try c.decode(Float.self, forKey: .meanScale)
        poseScale = try c.decodeIfPresent(Float.self, forKey: .poseScale)
        meanTranslation = try c.decode([Float].self, forKey: .meanTranslation)
        faceModel = try c.decode(String.self, forKey: .faceModel)
        faceModelHash = try c.decode(String.self, forKey: .faceModelHash)
        albedoCount = try c.decodeIfPresent(Int.self, forKey: .albedoCount) ?? 0
        regressesLighting = try c.decodeIfPresent(Bool.self, forKey: .regressesLighting) ?? false
        meanLighting = try c.decodeIfPresent([Float].self, forKey: .meanLighting)
    }
}

/// The decoded, typed output of the coarse encoder for a batch (all `[B, …]`, differentiable).
///
/// - `identity` β `[B, Kβ]` in standard deviations (raw);
/// - `expression` ψ `[B, Kψ]`, ARKit blendshape weights in (0, 1): σ(x − 2), so a zero output is
///   an almost neutral face;
/// - `pose` θ `[B, 3J]`, axis-angle per joint, `poseScale`·x;
/// - `camera` `[B, 3]`: (s, tx, ty) of `OrthoCamera` in crop pixels;
/// - `albedo` α `[B, Kα]` (raw, standard deviations of the albedo model), when regressed;
/// - `lighting` `[B, 27]` SH light (`meanLighting + 0.5·x`), when regressed.
public struct CoarseCode {
    public var identity: Tensor
    public var expression: Tensor
    public var pose: Tensor
    public var camera: Tensor
    public var albedo: Tensor?
    public var lighting: Tensor?

    public init(identity: Tensor, expression: Tensor, pose: Tensor, camera: Tensor, albedo: Tensor? = nil,
                lighting: Tensor? = nil) {
        self.identity = identity
        self.expression = expression
        self.pose = pose
        self.camera = camera
        self.albedo = albedo
        self.lighting = lighting
    }

    public var batchSize: Int { identity.shape[0] }
}

/// The coarse encoder E_c: ViT + MLP head with one hidden layer → `CoarseCode` (paper §3.2).
///
/// `[B, 3, 256, 256]` normalised crops → pooled `[B, 3, 128, 128]` → ViT tokens `[B, 1 + N, D]` →
/// class token `[B, D]` → MLP `[B, P]` → decoded code (β, ψ, θ, camera; α and SH light when the
/// configuration asks for them, which L_pho and L_id need). The head's output layer starts at zero, so an
/// untrained encoder predicts the mean face in the mean pose.
///
/// Parameters: `vit.…` (see `VisionTransformer`), `head.fc1.…`, `head.fc2.…`.
public final class CoarseEncoder: Module {
    public let configuration: CoarseEncoderConfiguration
    public let vit: VisionTransformer
    public let head: MLPHead

    public init(_ c: CoarseEncoderConfiguration, seed: UInt64 = 0) {
        configuration = c
        var g = SeededGenerator(seed: seed)
        vit = VisionTransformer(c.vit, using: &g)
        head = MLPHead(dim: c.vit.dim, hidden: c.headHidden, outputs: c.outputCount, using: &g)
        head.mlp.fc2.weight.data.update(repeating: 0, count: head.mlp.fc2.weight.count)
    }

    public var children: [(String, Module)] { [("vit", vit), ("head", head)] }

    /// Pixel normalisation: bytes → (x/255 − 0.5)/0.25.
    public static func normalise(_ byte: UInt8) -> Float { (Float(byte) / 255 - 0.5) * 4 }

    /// Raw head outputs `[B, P]` for crops `[B, 3, inputSize, inputSize]`.
    public func raw(_ images: Tensor) throws -> Tensor {
        let c = configuration
        guard images.rank == 4, images.shape[1] == 3, images.shape[2] == c.inputSize, images.shape[3] == c.inputSize else {
            throw TensorError.shapeMismatch(expected: [images.shape.first ?? 1, 3, c.inputSize, c.inputSize],
                                            got: images.shape, context: "coarse encoder input")
        }
        let pooled = c.inputPooling > 1 ? avgPool2d(images, kernel: c.inputPooling) : images
        return head(classToken(try vit.forward(pooled)))
    }

    /// The decoded code for crops `[B, 3, inputSize, inputSize]`.
    public func callAsFunction(_ images: Tensor) throws -> CoarseCode {
        decode(try raw(images))
    }

    /// Splits and maps raw outputs `[B, P]` to the typed code (see `CoarseCode`).
    public func decode(_ raw: Tensor) -> CoarseCode {
        let c = configuration
        var at = 0
        func take(_ n: Int) -> Tensor { defer { at += n }; return slice(raw, axis: 1, at..<(at + n)) }
        let identity = take(c.identityCount)
        let expression = sigmoid(take(c.expressionCount) - 2)
        let pose = take(3 * c.jointCount) * (c.poseScale ?? 0.25)
        let s = exp(take(1) * 0.1) * c.meanScale
        let t = take(2) * 8 + Tensor(c.meanTranslation, shape: [1, 2])
        let albedo = c.albedoCount > 0 ? take(c.albedoCount) : nil
        let lighting = c.regressesLighting
            ? take(27) * 0.5 + Tensor(c.meanLighting ?? [Float](repeating: 0, count: 27), shape: [1, 27]) : nil
        return CoarseCode(identity: identity, expression: expression, pose: pose,
                          camera: concat([s, t], axis: 1), albedo: albedo, lighting: lighting)
    }
}
