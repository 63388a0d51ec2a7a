import Foundation

/// FLAME/DECA dynamic contour landmarks ("landmark marching"): the jaw-line landmarks 0–16 are
/// re-embedded according to the head's yaw, the baseline that Eq. 1's silhouette loss replaces
/// (the paper's ablation "w/o L_sil").
extension DynamicContour {
    /// The row for a yaw in degrees: DECA rounds the yaw, clamps it to the table (±39° for FLAME)
    /// and picks that row; here, the row whose yaw is nearest.
    public func row(forYawDegrees yaw: Float) -> Int {
        let target = yaw.rounded()
        var best = 0
        for (r, y) in yawDegrees.enumerated() where abs(y - target) < abs(yawDegrees[best] - target) { best = r }
        return best
    }
}

extension PosedSkeleton {
    /// The head's yaw in degrees as FLAME measures it: the y-Euler angle atan2(−R₂₀, √(R₀₀² + R₁₀²))
    /// of the neck chain's rotation R = R_global · R_neck (joint 1's global rotation; the root's if
    /// the model has one joint).
    public var yawDegrees: Float {
        let r = globalRotations[min(1, globalRotations.count - 1)]
        let yaw = atan2(Double(-r.r2.x), Double((r.r0.x * r.r0.x + r.r1.x * r.r1.x).squareRoot()))
        return Float(yaw * 180 / .pi)
    }
}

extension FaceEvaluator {
    /// The 68 landmarks with 0–16 taken from the dynamic contour row for the current yaw
    /// (the static landmarks when the model has no contour tables), plus the row used.
    public func marchedLandmarks(_ output: FaceOutput) -> (landmarks: [SIMD3<Float>], row: Int?) {
        guard let contour = model.dynamicContour else { return (output.landmarks, nil) }
        let row = contour.row(forYawDegrees: output.skeleton.yawDegrees)
        var points = output.landmarks
        for (k, e) in contour.embeddings[row].enumerated() where k < points.count {
            points[k] = surfacePoint(e, in: output.vertices)
        }
        return (points, row)
    }

    /// The embeddings behind `marchedLandmarks` (for their Jacobian via `jacobian(of:)`).
    public func marchedEmbeddings(_ output: FaceOutput) -> [LandmarkEmbedding] {
        guard let contour = model.dynamicContour else { return model.landmarks }
        let row = contour.row(forYawDegrees: output.skeleton.yawDegrees)
        var embeddings = model.landmarks
        for (k, e) in contour.embeddings[row].enumerated() where k < embeddings.count { embeddings[k] = e }
        return embeddings
    }
}
