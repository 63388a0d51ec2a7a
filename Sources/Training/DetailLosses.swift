import FaceModel
import Networks
import Reconstruction
import Render
import Tensor

/// Weights of the detail losses (§3.3), stored with every trained detail network.
///
/// Displacement terms are on the normalised map d = D / D_max ∈ (−1, 1). L_mrf (ID-MRF on VGG19
/// features) is left out: VGG19's weights are not available offline (the model card says so);
/// L_smo (total variation, which keeps wrinkle edges while it removes texel noise) is what limits
/// high-frequency artefacts in its place.
public struct DetailLossWeights: Sendable, Codable, Equatable {
    public var photometric: Float = 1
    public var smoothness: Float = 0.05
    public var regularisation: Float = 0.02
    /// L_Tchr in Eq. 6 and Eq. 7 (0 trains the MAE without its teacher: the paper's ablation).
    public var teacher: Float = 2
    public var symmetry: Float = 0.02
    /// L_dc of Eq. 6 (0: off).
    public var consistency: Float = 1

    public init() {}
}

/// The UV-space constants the detail losses need: the face domain M_UV, the texel pairs of L_smo
/// and the mirror pairs of L_sym.
public struct DetailUV: @unchecked Sendable {
    public let size: Int
    /// d², 1 on the face's skin texels (face, nose, lips), the domain D lives on.
    public let domain: [Float]
    /// `[1, 1, d, d−1]` and `[1, 1, d−1, d]`: 1 where both texels of a horizontal / vertical pair are in the domain.
    let horizontalPairs: Tensor, verticalPairs: Tensor
    /// How many neighbour pairs both lie in the domain.
    let pairCount: Float
    /// Texels t in the domain whose mirror m(t) is too: (t, m(t)).
    let mirrorPairs: [(Int, Int)]
    /// d², M_UV feathered towards its edge: smoothstep(½, 1, the 7×7 box mean of M_UV) ⊙ M_UV, 0 on
    /// the edge texels and 1 three texels in. The displacements that leave the networks are
    /// multiplied by it, so that D falls to 0 smoothly at the face's edge instead of stepping there
    /// (a step is a crease in the bump-mapped shading).
    public let feather: [Float]

    public init(model: MorphableModel, size: Int) throws {
        let mesh = try RenderMesh(model: model)
        let atlas = try UVAtlas(mesh: mesh, size: size)
        let regions = atlas.regions(of: model)
        let skin: Set<UInt8> = [FaceRegion.face.rawValue, FaceRegion.nose.rawValue, FaceRegion.lips.rawValue]
        let domain: [Float] = regions.map { skin.contains($0) ? 1 : 0 }
        self.domain = domain
        self.size = size
        let d = size
        var h = [Float](repeating: 0, count: d * (d - 1)), v = [Float](repeating: 0, count: (d - 1) * d)
        for y in 0..<d { for x in 0..<(d - 1) { h[y * (d - 1) + x] = domain[y * d + x] * domain[y * d + x + 1] } }
        for y in 0..<(d - 1) { for x in 0..<d { v[y * d + x] = domain[y * d + x] * domain[(y + 1) * d + x] } }
        pairCount = h.reduce(0, +) + v.reduce(0, +)
        horizontalPairs = Tensor(h, shape: [1, 1, d, d - 1])
        verticalPairs = Tensor(v, shape: [1, 1, d - 1, d])
        feather = DetailUV.feathered(domain, size: size)
        let mirror = try UVMirror(mesh: mesh, atlas: atlas)
        mirrorPairs = (0..<(d * d)).compactMap { t in
            let m = Int(mirror.texel[t])
            return m >= 0 && m != t && domain[t] > 0 && domain[m] > 0 ? (t, m) : nil
        }
    }
}

extension DetailUV {
    static func feathered(_ domain: [Float], size d: Int, radius r: Int = 3) -> [Float] {
        (0..<(d * d)).map { t in
            guard domain[t] > 0 else { return 0 }
            let (x, y) = (t % d, t / d)
            var sum: Float = 0
            for dy in -r...r { for dx in -r...r {
                let (u, v) = (x + dx, y + dy)
                if u >= 0, v >= 0, u < d, v < d { sum += domain[v * d + u] }
            } }
            let m = sum / Float((2 * r + 1) * (2 * r + 1)), s = min(max((m - 0.5) * 2, 0), 1)
            return s * s * (3 - 2 * s)
        }
    }
}

/// L_phoD, the detail photometric loss [DECA]: the masked L1 between the photo I and the render of
/// the coarse face with the displacement D bump-mapping its normals,
///
///     L_phoD = Σ_p M(p) ‖I_r(S, A, l, c, D)(p) − I(p)‖₁ / Σ_p M(p)
///
/// over M = covered skin of the render ∩ skin of the photo. `rendered`, `target` `[B, r, r, 3]`,
/// `mask` `[B, r, r, 1]` → scalar.
public func detailPhotometricLoss(_ rendered: Tensor, target: Tensor, mask: Tensor) -> Tensor {
    photometricLoss(rendered, target: target, mask: mask, norm: .l1)
}

/// L_smo, smoothness: the mean absolute difference of d = D/D_max between neighbouring texels of
/// the face domain (total variation),
///
///     L_smo = (Σ_{(p,q) ∈ N} |d_p − d_q|) / |N|.
///
/// `displacement` `[B, 1, d, d]` metres → scalar.
public func detailSmoothnessLoss(_ displacement: Tensor, uv: DetailUV, maximum: Float) -> Tensor {
    let d = uv.size, x = displacement * (1 / maximum)
    let dx = (slice(x, axis: 3, 1..<d) - slice(x, axis: 3, 0..<(d - 1))) * uv.horizontalPairs
    let dy = (slice(x, axis: 2, 1..<d) - slice(x, axis: 2, 0..<(d - 1))) * uv.verticalPairs
    let pairs = Float(displacement.shape[0]) * uv.pairCount
    return (sum(abs(dx)) + sum(abs(dy))) * (1 / max(pairs, 1))
}

/// L_regD, the displacement regulariser: the mean |d| over the face domain, Σ_t M(t) |d_t| / Σ_t M(t).
/// `displacement` `[B, 1, d, d]` metres → scalar.
public func detailRegularisationLoss(_ displacement: Tensor, uv: DetailUV, maximum: Float) -> Tensor {
    let texels = Float(displacement.shape[0]) * uv.domain.reduce(0, +)
    return sum(abs(displacement)) * (1 / (maximum * max(texels, 1)))
}

/// L_sym, the soft symmetry loss [DECA]: d at each face texel against d at its mirror texel,
/// mean over mirror pairs (t, m(t)) of |d_t − d_{m(t)}|. `displacement` `[B, 1, d, d]` → scalar.
public func detailSymmetryLoss(_ displacement: Tensor, uv: DetailUV, maximum: Float) -> Tensor {
    let (b, d2) = (displacement.shape[0], uv.size * uv.size)
    let rows = displacement.reshaped([b * d2, 1])
    var own: [Int] = [], mirrored: [Int] = []
    for i in 0..<b { for (t, m) in uv.mirrorPairs { own.append(i * d2 + t); mirrored.append(i * d2 + m) } }
    return l1Loss(gatherRows(rows, own), gatherRows(rows, mirrored)) * (1 / maximum)
}

/// Eq. 5, the teacher–student loss: the student's displacement D against the teacher's D_UNet,
///
///     L_Tchr = L_phoD(D, D_UNet) + L_ssim(D, D_UNet)
///
/// with the "photometric" term the L1 between the normalised maps d = D/D_max and L_ssim = 1 − SSIM
/// (3×3 windows) on s = ½ + 2.5·d (the displacements of real faces stay within |d| < 0.2, so s fills
/// [0, 1], the range SSIM's constants are set for). `student`, `teacher` `[B, 1, d, d]` metres (the
/// teacher's a constant) → scalar.
public func teacherStudentLoss(_ student: Tensor, teacher: Tensor, maximum: Float) -> Tensor {
    let s = student * (1 / maximum), t = teacher * (1 / maximum)
    return l1Loss(s, t) + ssimLoss(s * 2.5 + 0.5, t * 2.5 + 0.5)
}

/// The named terms of a detail loss and their weighted total.
public struct DetailLossTerms {
    public var total: Tensor
    public var values: [(String, Float)]
}

/// Eq. 4, the teacher's loss L_UNet = L_phoD + L_mrf + L_smo + L_regD (L_mrf left out: no VGG19
/// offline), for displacements `displacement` `[B, 1, d, d]` and their renders.
public func unetLoss(_ displacement: Tensor, rendered: Tensor, target: Tensor, mask: Tensor, uv: DetailUV,
                     maximum: Float, weights: DetailLossWeights) -> DetailLossTerms {
    let pho = detailPhotometricLoss(rendered, target: target, mask: mask)
    let smo = detailSmoothnessLoss(displacement, uv: uv, maximum: maximum)
    let reg = detailRegularisationLoss(displacement, uv: uv, maximum: maximum)
    let total = pho * weights.photometric + smo * weights.smoothness + reg * weights.regularisation
    return DetailLossTerms(total: total, values: [("phoD", pho.item), ("smo", smo.item), ("regD", reg.item)])
}

/// Eq. 7, the detail consistency loss: the MAE run on the image texture of another frame I' of the
/// same person with this frame's tension, D' = A(I', T_UV), must still explain this frame,
///
///     L_dc = L_animD(I, D_UNet(I), D(I', T_UV)) = L_UNet(D', I) + L_Tchr(D', D_UNet(I))
///
/// (L_sym and L_dc itself are not repeated inside). `swapped` is D' `[B, 1, d, d]`, `rendered` its
/// render of frame I.
public func detailConsistencyLoss(_ swapped: Tensor, rendered: Tensor, target: Tensor, mask: Tensor, teacher: Tensor?,
                                  uv: DetailUV, maximum: Float, weights: DetailLossWeights) -> Tensor {
    var loss = unetLoss(swapped, rendered: rendered, target: target, mask: mask, uv: uv, maximum: maximum, weights: weights).total
    if let teacher, weights.teacher > 0 { loss = loss + teacherStudentLoss(swapped, teacher: teacher, maximum: maximum) * weights.teacher }
    return loss
}

/// Eq. 6, the MAE's loss L_animD = L_UNet + L_Tchr + L_sym + L_dc (weighted). `consistency` is
/// L_dc when the batch has same-person pairs to swap, `teacher` nil when training without L_Tchr.
public func animatableDetailLoss(_ displacement: Tensor, rendered: Tensor, target: Tensor, mask: Tensor, teacher: Tensor?,
                                 consistency: Tensor?, uv: DetailUV, maximum: Float, weights: DetailLossWeights) -> DetailLossTerms {
    var terms = unetLoss(displacement, rendered: rendered, target: target, mask: mask, uv: uv, maximum: maximum, weights: weights)
    if let teacher, weights.teacher > 0 {
        let tchr = teacherStudentLoss(displacement, teacher: teacher, maximum: maximum)
        terms.total = terms.total + tchr * weights.teacher
        terms.values.append(("Tchr", tchr.item))
    }
    let sym = detailSymmetryLoss(displacement, uv: uv, maximum: maximum)
    terms.total = terms.total + sym * weights.symmetry
    terms.values.append(("sym", sym.item))
    if let consistency, weights.consistency > 0 {
        terms.total = terms.total + consistency * weights.consistency
        terms.values.append(("dc", consistency.item))
    }
    return terms
}

