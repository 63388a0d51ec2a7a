import Foundation

/// Skeleton of the embedded head: joints global → neck → {jaw, leftEye, rightEye} (FLAME's
/// order), linear-blend-skinning weights and a joint regressor that reproduces the joint
/// positions exactly on the mean head (minimum-norm weights over a few nearby vertices).
///
/// Joint rest positions (mean head): global at the neck cut, neck at the atlas (C1, behind the
/// ramus), jaw at the functional hinge of mouth opening (below the condyles: the condyles glide
/// forward as the mouth opens, so the instantaneous centre sits ≈ 2–3 cm below the tragion),
/// eyes at the eyeball centres.
struct HeadRig {
    static let jointNames = ["global", "neck", "jaw", "leftEye", "rightEye"]
    static let jointParents = [-1, 0, 1, 1, 1]
    /// jawOpen's rotation of the jaw joint about +x (radians; ≈ 21°, ~40 mm incisal opening).
    static let jawOpenAngle: Float = 0.37

    let jointPositions: [SIMD3<Float>]
    var jawJoint: SIMD3<Float> { jointPositions[2] }
    /// Weight of the jaw joint per vertex (the rest goes to neck / global).
    let jawWeight: [Float]
    /// N×J row-major skinning weights.
    let skinWeights: [Float]

    init(topo: HeadTopology, positions P: [SIMD3<Float>], layout L: HeadLayout) {
        let neckY: Float = -0.055
        jointPositions = [
            SIMD3(0, -0.160, -0.012), SIMD3(0, neckY, -0.016), SIMD3(0, -0.030, 0.012),
            L.eyeballCenter, SIMD3(-L.eyeballCenter.x, L.eyeballCenter.y, L.eyeballCenter.z),
        ]
        var jaw = [Float](repeating: 0, count: P.count)
        var weights = [Float](repeating: 0, count: P.count * 5)
        for (i, kind) in topo.kinds.enumerated() {
            let p = P[i]
            jaw[i] = Self.jawWeight(kind, p, L)
            var row = [Float](repeating: 0, count: 5)
            switch kind {
            case .eyeball(let side, _):
                row[side == 0 ? 3 : 4] = 1
            default:
                // Neck skin blends from the global joint (cut) to the neck joint (under the jaw).
                let head = HeadShape.smoothstep(-0.135, -0.075, p.y + 0.25 * max(p.z, 0))
                row[0] = 1 - head
                row[1] = head * (1 - jaw[i])
                row[2] = head * jaw[i]
                jaw[i] *= head
            }
            for j in 0..<5 { weights[i * 5 + j] = row[j] }
        }
        jawWeight = jaw
        skinWeights = weights
    }

    /// How much a vertex follows the mandible: the lower lip, chin, jaw and submental skin.
    static func jawWeight(_ kind: HeadVertexKind, _ p: SIMD3<Float>, _ L: HeadLayout) -> Float {
        let M = Float(HeadRings.mouthCount)
        switch kind {
        case .bag(let ring, let m) where ring >= HeadMouth.partRingBase:
            // Upper teeth sit in the skull; lower teeth and tongue ride on the mandible.
            if case .upperTeeth = HeadMouth.part(ring: ring, m: m) { return 0 }
            return 1
        case .mouth(_, let m), .bag(_, let m):
            let th = 2 * Float.pi * Float(m) / M
            var w = HeadShape.smoothstep(0.35, -0.35, sin(th))
            if case .mouth(let ring, _) = kind, ring >= 3 {
                // Outer loops: the upper lip skin stays, the cheeks beside the corners half-follow.
                w = HeadShape.smoothstep(0.5, -0.5, sin(th))
            }
            return w
        case .eyeball, .ear, .pole, .eye, .socket:
            return 0
        case .grid:
            if p.z < -0.012 { return 0 }
            // Boundary runs from just above the lip line at the front back to the joint.
            let t = min(max(p.z / 0.085, 0), 1)
            let boundary = -0.016 + (L.stomionY + 0.001 + 0.016) * t
            var w = HeadShape.smoothstep(boundary + 0.004, boundary - 0.014, p.y)
            w *= HeadShape.smoothstep(-0.012, 0.03, p.z)
            // Below the mandible's lower border (gnathion → gonion) the skin stretches instead of
            // following: fade out over ~3.5 cm under the border.
            let border = L.gnathionY + (L.gonionY - L.gnathionY) * min(max((0.08 - p.z) / 0.08, 0), 1)
            w *= HeadShape.smoothstep(border - 0.035, border + 0.005, p.y)
            return w
        }
    }

    /// J×N regressor: for each joint, minimum-norm affine weights over its nearest K vertices
    /// reproducing the rest position (Σwᵢ = 1, Σwᵢ vᵢ = joint).
    func regressor(_ P: [SIMD3<Float>], topo: HeadTopology) -> [Float] {
        let n = P.count
        var out = [Float](repeating: 0, count: 5 * n)
        for (j, target) in jointPositions.enumerated() {
            var candidates: [Int] = []
            for (i, kind) in topo.kinds.enumerated() {
                switch (j, kind) {
                case (3, .eyeball(0, _)), (4, .eyeball(1, _)): candidates.append(i)
                case (0...2, .grid): candidates.append(i)
                default: break
                }
            }
            candidates.sort { (hlen(P[$0] - target), $0) < (hlen(P[$1] - target), $1) }
            let pick = Array(candidates.prefix(j >= 3 ? candidates.count : 24))
            let w = Self.minimumNormAffine(pick.map { P[$0] }, target: target)
            for (k, i) in pick.enumerated() { out[j * n + i] = w[k] }
        }
        return out
    }

    /// w = Aᵀ(AAᵀ)⁻¹b with A = [x; y; z; 1] (4×K), b = [target; 1] — in Double.
    static func minimumNormAffine(_ pts: [SIMD3<Float>], target: SIMD3<Float>) -> [Float] {
        let k = pts.count
        var A = [[Double]](repeating: [Double](repeating: 0, count: k), count: 4)
        for (i, p) in pts.enumerated() { A[0][i] = Double(p.x); A[1][i] = Double(p.y); A[2][i] = Double(p.z); A[3][i] = 1 }
        var G = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for r in 0..<4 { for c in 0..<4 { G[r][c] = (0..<k).reduce(0) { $0 + A[r][$1] * A[c][$1] } } }
        var b = [Double(target.x), Double(target.y), Double(target.z), 1]
        // Gauss–Jordan on the 4×4 Gram matrix (positive definite for non-coplanar points).
        for col in 0..<4 {
            let piv = (col..<4).max { abs(G[$0][col]) < abs(G[$1][col]) }!
            G.swapAt(col, piv); b.swapAt(col, piv)
            for r in 0..<4 where r != col {
                let f = G[r][col] / G[col][col]
                for c in 0..<4 { G[r][c] -= f * G[col][c] }
                b[r] -= f * b[col]
            }
        }
        let lambda = (0..<4).map { b[$0] / G[$0][$0] }
        return (0..<k).map { i in Float((0..<4).reduce(0) { $0 + A[$1][i] * lambda[$1] }) }
    }
}
