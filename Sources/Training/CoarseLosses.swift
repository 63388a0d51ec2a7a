import FaceDetect
import FaceModel
import FaceRecognition
import Networks
import Reconstruction
import Render
import Tensor

/// Weights of the coarse loss L_C (Eq. 2), stored with every trained model.
///
/// Landmark terms are in units of the target's outer-eye-corner distance (the NME normaliser), so
/// one set of weights serves every face size. The photometric terms L_pho and L_id default to 0
/// (the shipped recipe: landmarks only); they need an encoder that regresses α and SH light.
/// L_emo and L_lr are not available offline (see the model card).
public struct CoarseLossWeights: Sendable, Codable, Equatable {
    public var silhouette: Float = 1
    public var innerLandmarks: Float = 1
    public var landmarkPairs: Float = 1
    public var identityPrior: Float = 2e-3
    public var expressionPrior: Float = 2e-3
    /// On the neck and eye rotations (the neck is redundant with the global rotation in a landmark
    /// loss; eyes are not seen by 68 landmarks).
    public var posePrior: Float = 1e-1
    public var shapeConsistency: Float = 0.5
    /// L_pho, the masked photometric loss (0: off).
    public var photometric: Float = 0
    /// L1 (the default, DECA's) or L2 residuals in L_pho.
    public var photometricNorm: PhotometricNorm = .l1
    /// L_id, the identity perceptual loss (0: off).
    public var identity: Float = 0
    /// λ_α of L_reg (only where the encoder regresses α).
    public var albedoPrior: Float = 2e-3
    /// L_par, the exact-parameter supervision of synthetic faces (only on batch items that have it).
    public var syntheticParameters: Float = 1
    /// L_agr, identity agreement of same-person pairs in β (ours, not the paper's; 0: off, as in the
    /// base recipe; person-specific transfer turns it on).
    public var identityAgreement: Float = 0

    public enum PhotometricNorm: String, Sendable, Codable { case l1, l2 }

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case silhouette, innerLandmarks, landmarkPairs, identityPrior, expressionPrior, posePrior, shapeConsistency,
             photometric, photometricNorm, identity, albedoPrior, syntheticParameters, identityAgreement
    }

    /// Decodes weights; the photometric terms may be absent (recipes written before them, such as
    /// the shipped base model's), which leaves them at their defaults (off).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        silhouette = try c.decode(Float.self, forKey: .silhouette)
        innerLandmarks = try c.decode(Float.self, forKey: .innerLandmarks)
        landmarkPairs = try c.decode(Float.self, forKey: .landmarkPairs)
        identityPrior = try c.decode(Float.self, forKey: .identityPrior)
        expressionPrior = try c.decode(Float.self, forKey: .expressionPrior)
        posePrior = try c.decode(Float.self, forKey: .posePrior)
        shapeConsistency = try c.decode(Float.self, forKey: .shapeConsistency)
        photometric = try c.decodeIfPresent(Float.self, forKey: .photometric) ?? 0
        photometricNorm = try c.decodeIfPresent(PhotometricNorm.self, forKey: .photometricNorm) ?? .l1
        identity = try c.decodeIfPresent(Float.self, forKey: .identity) ?? 0
        albedoPrior = try c.decodeIfPresent(Float.self, forKey: .albedoPrior) ?? 2e-3
        syntheticParameters = try c.decodeIfPresent(Float.self, forKey: .syntheticParameters) ?? 1
        identityAgreement = try c.decodeIfPresent(Float.self, forKey: .identityAgreement) ?? 0
    }

    /// Whether a term needs the rendered face (and so an encoder that regresses α and light).
    public var rendersFace: Bool { photometric > 0 || identity > 0 }
}

/// The terms of L_C for one batch (each a scalar tensor) and their weighted sum.
public struct CoarseLossTerms {
    public var silhouette: Tensor
    public var innerLandmarks: Tensor
    public var landmarkPairs: Tensor
    public var regularisation: Tensor
    public var shapeConsistency: Tensor?
    public var photometric: Tensor?
    public var identity: Tensor?
    public var synthetic: Tensor?
    public var identityAgreement: Tensor? = nil
    public var total: Tensor

    /// (name, value) for logs.
    public var values: [(String, Float)] {
        [("sil", silhouette.item), ("inL", innerLandmarks.item), ("spL", landmarkPairs.item),
         ("reg", regularisation.item)] + (shapeConsistency.map { [("sc", $0.item)] } ?? [])
            + (photometric.map { [("pho", $0.item)] } ?? []) + (identity.map { [("id", $0.item)] } ?? [])
            + (synthetic.map { [("par", $0.item)] } ?? []) + (identityAgreement.map { [("agr", $0.item)] } ?? [])
            + [("total", total.item)]
    }
}

/// Landmark targets of a batch: points `[B, 68, 2]` (crop pixels) and 1/σ per item `[B, 1, 1]`,
/// σ = |k₃₆ − k₄₅| the outer-eye-corner distance.
public struct LandmarkTargets {
    public let points: [[SIMD2<Float>]]
    public let tensor: Tensor
    public let inverseNormaliser: Tensor

    public init(_ points: [[SIMD2<Float>]]) {
        self.points = points
        tensor = Tensor(points.flatMap { $0.flatMap { [$0.x, $0.y] } }, shape: [points.count, 68, 2])
        inverseNormaliser = Tensor(points.map { p in
            let d = p[36] - p[45]
            return 1 / max((d * d).sum().squareRoot(), 1)
        }, shape: [points.count, 1, 1])
    }
}

/// Mean over items and points of d(u, k)/σ with d the L1 distance |Δx| + |Δy| (`[B, P, 2]` inputs).
func normalisedL1(_ predicted: Tensor, _ target: Tensor, _ inverseNormaliser: Tensor) -> Tensor {
    mean(abs(predicted - target) * inverseNormaliser) * 2
}

/// Eq. 1, the silhouette vertex re-projection loss, over the 17 jaw-line landmarks:
///
///     L_sil = Σ_{i, N_z,i > 0} d(kᵢ, k̃ᵢ) + Σ_{i, N_z,i < 0} min_{v_e ∈ Ṽ_e} d(kᵢ, v_e)
///
/// `projected` rows 0–16 are already the points Eq. 1 pairs with kᵢ (`LandmarkProjection` with
/// `.silhouette`: k̃ᵢ if it faces the camera, else the nearest silhouette vertex of Ṽ_e, nose and
/// ears masked by Z), so the loss is their L1 distance to the targets, averaged and normalised by σ.
/// With `.marching` the same function is DECA's landmark loss on dynamic contour points (the
/// ablation "w/o L_sil").
public func silhouetteLoss(_ projected: Tensor, _ targets: LandmarkTargets) -> Tensor {
    normalisedL1(slice(projected, axis: 1, 0..<17), slice(targets.tensor, axis: 1, 0..<17), targets.inverseNormaliser)
}

/// L_inL, the landmark loss of the static inner landmarks 17–67: mean d(u_k, k_k)/σ, d = L1.
public func innerLandmarkLoss(_ projected: Tensor, _ targets: LandmarkTargets) -> Tensor {
    normalisedL1(slice(projected, axis: 1, 17..<68), slice(targets.tensor, axis: 1, 17..<68), targets.inverseNormaliser)
}

/// L_spL, the special landmark pairs loss: eye and mouth opening compared translation-invariantly,
///
///     L_spL = mean_{(a, b)} d(u_a − u_b, k_a − k_b)/σ
///
/// over the eyelid and lip pairs (a upper, b lower) of `FitTargets.pairs`.
public func landmarkPairLoss(_ projected: Tensor, _ targets: LandmarkTargets) -> Tensor {
    func differences(_ x: Tensor) -> Tensor {
        concat(FitTargets.pairs.map { slice(x, axis: 1, $0.0..<($0.0 + 1)) - slice(x, axis: 1, $0.1..<($0.1 + 1)) }, axis: 1)
    }
    return normalisedL1(differences(projected), differences(targets.tensor), targets.inverseNormaliser)
}

/// L_reg, the regularisation of β, ψ and (where the encoder regresses it) α, plus a prior on the
/// rotations landmarks cannot pin down:
///
///     L_reg = λ_β mean(β²) + λ_ψ mean(ψ²) + λ_α mean(α²) + λ_θ mean(θ_neck² + θ_eyes²)
/// (β and α in standard deviations of their models, so this is the Gaussian prior's −log p.)
public func regularisationLoss(_ code: CoarseCode, weights: CoarseLossWeights, jointCount: Int) -> Tensor {
    var total = mean(square(code.identity)) * weights.identityPrior + mean(square(code.expression)) * weights.expressionPrior
    if let alpha = code.albedo, alpha.shape[1] > 0 { total = total + mean(square(alpha)) * weights.albedoPrior }
    if jointCount > 1 {
        // Joint 1 is the neck; the eyes are the last two joints of FLAME and the embedded head; the
        // jaw (joint 2) is left free.
        let neck = slice(code.pose, axis: 1, 3..<6)
        let eyes = jointCount >= 5 ? [slice(code.pose, axis: 1, (3 * jointCount - 6)..<(3 * jointCount))] : []
        total = total + mean(square(concat([neck] + eyes, axis: 1))) * weights.posePrior
    }
    return total
}

/// L_sc, the shape consistency loss (DECA): the identities of two images of the same person are
/// swapped and each image must still be explained,
///
///     L_sc = L_sil(β_{π(b)}, ψ_b, θ_b, c_b) + L_inL(β_{π(b)}, ψ_b, θ_b, c_b)
///
/// with π the permutation that swaps the partners (`partner[b]` is the batch index of b's partner).
public func shapeConsistencyLoss(_ code: CoarseCode, partner: [Int], targets: LandmarkTargets,
                                 projection: LandmarkProjection) -> Tensor {
    var swapped = code
    swapped.identity = gatherRows(code.identity, partner)
    let projected = projection(swapped, targets: targets.points)
    return silhouetteLoss(projected, targets) + innerLandmarkLoss(projected, targets)
}

/// L_agr, identity agreement (ours, beyond the paper): the identities of two photos of the same
/// person should be one, in β itself and not only through the landmarks (L_sc leaves β free along
/// what 68 landmarks cannot see, and the spread of β over a person's photos along with it),
///
///     L_agr = (1/B) Σ_b (1/K_β) ‖β_b − β_{π(b)}‖²
///
/// with π the partner permutation of L_sc. Backward: `dβ_b = 2 (β_b − β_{π(b)}) · 2/(B K_β)` (each
/// pair counted from both ends). β is in the model's standard deviations.
public func identityAgreementLoss(_ code: CoarseCode, partner: [Int]) -> Tensor {
    mean(square(code.identity - gatherRows(code.identity, partner)))
}

/// L_pho, the photometric loss between the crop I and the render I_r over the skin mask M
/// (DECA's, `PhotometricLoss`, per image, averaged over the batch):
///
///     L_pho = (1/B) Σ_b Σ_p M_b(p) ‖I_b(p) − I_r,b(p)‖ / Σ_p M_b(p)
/// with ‖·‖ the L1 norm over RGB (or its square, L2), M = face/nose/lip triangles ∩ rendered
/// coverage (`MeshRendering`). Shapes: rendered and target `[B, H, W, 3]`, mask `[B, H, W, 1]`; an
/// item with an empty mask adds 0. Backward: `PhotometricLoss`'s ∂L/∂I_r, scaled by 1/B.
public func photometricLoss(_ rendered: Tensor, target: Tensor, mask: Tensor,
                            norm: CoarseLossWeights.PhotometricNorm = .l1) -> Tensor {
    let (b, h, w) = (rendered.shape[0], rendered.shape[1], rendered.shape[2])
    precondition(target.shape == rendered.shape && mask.shape == [b, h, w, 1] && rendered.shape[3] == 3,
                 "L_pho of \(rendered.shape) against \(target.shape) with mask \(mask.shape)")
    let pixels = h * w
    var value: Float = 0
    var gradients = [[Float]](repeating: [], count: b)
    for i in 0..<b {
        func map(_ t: Tensor) -> TextureMap {
            try! TextureMap(width: w, height: h, channels: 3, data: Array(UnsafeBufferPointer(start: t.data + i * 3 * pixels, count: 3 * pixels)))
        }
        let m = Array(UnsafeBufferPointer(start: mask.data + i * pixels, count: pixels))
        let (v, g) = try! PhotometricLoss.evaluate(rendered: map(rendered), target: map(target), mask: m,
                                                   norm: norm == .l1 ? .l1 : .l2)
        value += v / Float(b)
        gradients[i] = g
    }
    return Tensor(scalar: value).recording([rendered]) { out in
        let seed = out.grad![0] / Float(b), g = rendered.gradBuffer()
        for i in 0..<b { for k in 0..<(3 * pixels) { g[i * 3 * pixels + k] += seed * gradients[i][k] } }
    }
}

/// L_id, the identity perceptual loss (DECA's): the cosine distance between the face-recognition
/// embeddings of the photo and of the render,
///
///     L_id = (1/B) Σ_b (1 − ⟨f(I_b), f(I'_r,b)⟩ / (‖f(I_b)‖ ‖f(I'_r,b)‖))
/// with f dlib's face-recognition ResNet (`FaceRecognitionModel.forward`, differentiable on the
/// Tensor engine), I'_r the render composited over the photo (I'_r = C⊙I_r + (1 − C)⊙I, C the
/// rendered coverage), both cut to dlib's 150² face chip by the photo's landmarks
/// (`FaceChipDetails.dlib` → `affineResample`, the same cut for both; bilinear, without dlib's
/// image pyramid, which only matters when the chip is under half the face's size) and normalised
/// as dlib does ((255·v − mean_c)/256). The photo's embedding is a constant.
public final class IdentityLoss: @unchecked Sendable {
    public let network: FaceRecognitionModel

    public init(network: FaceRecognitionModel) { self.network = network }

    /// Shapes: rendered, coverage, target as `MeshRendering.Frame` (`[B, r, r, 3]`, `[B, r, r, 1]`)
    /// and `FaceRendering.target`; `landmarks` the B targets' 68 points in crop pixels; `factor`
    /// the render factor (crop pixels per render pixel).
    public func callAsFunction(rendered: Tensor, coverage: Tensor, target: Tensor, landmarks: [[SIMD2<Float>]],
                               factor: Int) -> Tensor {
        let b = rendered.shape[0]
        // The chip maps, in render-pixel coordinates (pixel centres at integers: u/f − ½).
        let maps = landmarks.map { points in
            FaceChipDetails.dlib(landmarks: points.map { Point2($0.x / Float(factor) - 0.5, $0.y / Float(factor) - 0.5) },
                                 size: network.chipSize, padding: 0.25).chipToImage
        }
        let composite = rendered * coverage + target * (1 - coverage)
        let renderEmbedding = network.forward(chipInput(composite, maps))
        let photoEmbedding = Autograd.withoutRecording { network.forward(chipInput(target, maps)) }
        let dot = sum(renderEmbedding * photoEmbedding, axes: [1])
        let norms = sqrt(sum(square(renderEmbedding), axes: [1]) * sum(square(photoEmbedding), axes: [1]) + 1e-12)
        return 1 - sum(dot / norms) * (1 / Float(b))
    }

    /// `[B, r, r, 3]` images in [0, 1] → the network's normalised chips `[B, 3, S, S]`.
    func chipInput(_ images: Tensor, _ maps: [AffineSampling]) -> Tensor {
        let chips = affineResample(permute(images, [0, 3, 1, 2]), maps: maps, size: network.chipSize)
        let shift = Tensor(network.channelMeans.map { -$0 / 256 }, shape: [1, 3, 1, 1])
        return chips * (255 / 256) + shift
    }
}

/// What the photometric terms need besides the code: the renderer chain, the batch's crops
/// (`[B, 3, S, S]`, the encoder's input) and, for L_id, the network.
/// The synthetic items of a batch (`SyntheticFaceGenerator`): their batch rows and exact β, ψ, θ
/// (`[S, Kβ]`, `[S, Kψ]`, `[S, 3J]`); nil when the batch has none.
public struct SyntheticTargets {
    public let rows: [Int]
    public let identity: Tensor
    public let expression: Tensor
    public let pose: Tensor

    public init?(_ items: [SyntheticFaceParameters?]) {
        let rows = items.indices.filter { items[$0] != nil }
        guard !rows.isEmpty else { return nil }
        let truth = SyntheticFaceGenerator.coarseCode(rows.map { items[$0]! })
        self.rows = rows
        identity = truth.identity
        expression = truth.expression
        pose = truth.pose
    }
}

/// L_par, the supervision of synthetic faces by their exact parameters (issue 13's synthetic data;
/// not a term of the paper's Eq. 2), over the synthetic items b:
///
///     L_par = mean_{b,v} ‖S(β̂_b, ψ̂_b, θ̂⁻_b)_v − S(β_b, ψ_b, θ⁻_b)_v‖₁ / σ₃ + λ_β mean|β̂ − β| + λ_ψ mean|ψ̂ − ψ|
///
/// S the mesh (`FaceGeometry`, metres), θ⁻ the pose without the global rotation (the
/// augmentation's rotation jitter moves that, and the landmark terms already see it), σ₃ = 9 cm —
/// about the outer-eye-corner distance, so the vertex term is in the landmark terms' units — and
/// λ_β = 0.05, λ_ψ = 0.5 to separate identity from expression where two codes make one shape.
/// The vertex term is what landmarks cannot give: depth and the face's whole surface.
public func syntheticParameterLoss(_ code: CoarseCode, truth: SyntheticTargets, geometry: FaceGeometry) -> Tensor {
    let kp = code.pose.shape[1]
    let local = Tensor((0..<kp).map { $0 < 3 ? Float(0) : 1 }, shape: [1, kp])
    let beta = gatherRows(code.identity, truth.rows), psi = gatherRows(code.expression, truth.rows)
    let predicted = geometry(identity: beta, expression: psi, pose: gatherRows(code.pose, truth.rows) * local)
    let target = Autograd.withoutRecording { geometry(identity: truth.identity, expression: truth.expression, pose: truth.pose * local) }
    return mean(abs(predicted - target)) * (3 / 0.09) + mean(abs(beta - truth.identity)) * 0.05
        + mean(abs(psi - truth.expression)) * 0.5
}

public struct PhotometricContext {
    public var rendering: FaceRendering
    public var images: Tensor
    public var identity: IdentityLoss?

    public init(rendering: FaceRendering, images: Tensor, identity: IdentityLoss? = nil) {
        self.rendering = rendering
        self.images = images
        self.identity = identity
    }
}

/// Eq. 2, the coarse loss L_C = L_sil + L_inL + L_spL + L_pho + L_id + L_reg + L_sc (weighted;
/// L_pho and L_id only with a `photometric` context and a non-zero weight; L_emo, L_lr absent),
/// plus L_par on a batch's synthetic items.
public func coarseLoss(_ code: CoarseCode, targets: LandmarkTargets, projection: LandmarkProjection,
                       weights: CoarseLossWeights, partner: [Int]? = nil,
                       photometric: PhotometricContext? = nil,
                       synthetic: (targets: SyntheticTargets, geometry: FaceGeometry)? = nil) -> CoarseLossTerms {
    let projected = projection(code, targets: targets.points)
    let sil = silhouetteLoss(projected, targets)
    let inner = innerLandmarkLoss(projected, targets)
    let pairs = landmarkPairLoss(projected, targets)
    let reg = regularisationLoss(code, weights: weights, jointCount: projection.model.joints.count)
    var total = sil * weights.silhouette + inner * weights.innerLandmarks + pairs * weights.landmarkPairs + reg
    var sc: Tensor? = nil
    if let partner, weights.shapeConsistency > 0 {
        let term = shapeConsistencyLoss(code, partner: partner, targets: targets, projection: projection)
        total = total + term * weights.shapeConsistency
        sc = term
    }
    var agreement: Tensor? = nil
    if let partner, weights.identityAgreement > 0 {
        let term = identityAgreementLoss(code, partner: partner)
        total = total + term * weights.identityAgreement
        agreement = term
    }
    var pho: Tensor? = nil, id: Tensor? = nil
    if let context = photometric, weights.rendersFace {
        let frame = context.rendering(code)
        let target = context.rendering.target(context.images)
        if weights.photometric > 0 {
            let term = photometricLoss(frame.image, target: target, mask: frame.mask, norm: weights.photometricNorm)
            total = total + term * weights.photometric
            pho = term
        }
        if weights.identity > 0, let loss = context.identity {
            let term = loss(rendered: frame.image, coverage: frame.coverage, target: target, landmarks: targets.points,
                            factor: context.rendering.factor)
            total = total + term * weights.identity
            id = term
        }
    }
    var par: Tensor? = nil
    if let synthetic, weights.syntheticParameters > 0 {
        let term = syntheticParameterLoss(code, truth: synthetic.targets, geometry: synthetic.geometry)
        total = total + term * weights.syntheticParameters
        par = term
    }
    return CoarseLossTerms(silhouette: sil, innerLandmarks: inner, landmarkPairs: pairs, regularisation: reg,
                           shapeConsistency: sc, photometric: pho, identity: id, synthetic: par,
                           identityAgreement: agreement, total: total)
}
