import FaceModel
import Networks
import Reconstruction
import Tensor

/// Weights of the coarse loss L_C (Eq. 2), stored with every trained model.
///
/// Landmark terms are in units of the target's outer-eye-corner distance (the NME normaliser), so
/// one set of weights serves every face size. L_pho, L_per (L_id, L_emo, L_lr) are not part of
/// this recipe: see the model card.
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

    public init() {}
}

/// The terms of L_C for one batch (each a scalar tensor) and their weighted sum.
public struct CoarseLossTerms {
    public var silhouette: Tensor
    public var innerLandmarks: Tensor
    public var landmarkPairs: Tensor
    public var regularisation: Tensor
    public var shapeConsistency: Tensor?
    public var total: Tensor

    /// (name, value) for logs.
    public var values: [(String, Float)] {
        [("sil", silhouette.item), ("inL", innerLandmarks.item), ("spL", landmarkPairs.item),
         ("reg", regularisation.item)] + (shapeConsistency.map { [("sc", $0.item)] } ?? []) + [("total", total.item)]
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

/// L_reg, the regularisation of β and ψ (the albedo α has no term until the photometric loss
/// trains it), plus a prior on the rotations landmarks cannot pin down:
///
///     L_reg = λ_β mean(β²) + λ_ψ mean(ψ²) + λ_θ mean(θ_neck² + θ_eyes²)
public func regularisationLoss(_ code: CoarseCode, weights: CoarseLossWeights, jointCount: Int) -> Tensor {
    var total = mean(square(code.identity)) * weights.identityPrior + mean(square(code.expression)) * weights.expressionPrior
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

/// Eq. 2, the coarse loss L_C = L_sil + L_inL + L_spL + L_reg + L_sc (weighted; L_pho and L_per
/// are not in this recipe).
public func coarseLoss(_ code: CoarseCode, targets: LandmarkTargets, projection: LandmarkProjection,
                       weights: CoarseLossWeights, partner: [Int]? = nil) -> CoarseLossTerms {
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
    return CoarseLossTerms(silhouette: sil, innerLandmarks: inner, landmarkPairs: pairs, regularisation: reg,
                           shapeConsistency: sc, total: total)
}
