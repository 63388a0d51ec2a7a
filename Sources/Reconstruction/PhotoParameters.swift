import FaceModel

/// The parameters one photo owns in a fit, flattened for the solver:
///
///     l = [ψ (Kψ) | θ of the active joints (3 each: the root, then the jaw if the model has one) | s, tₓ, t_y]
///
/// Identity β is not here: it is shared by all photos of a person (`SharedIdentityFit`).
struct LocalLayout: Sendable {
    let expressionCount: Int
    /// Model joint indices whose rotations are fitted: the root (head rotation) and the jaw.
    let joints: [Int]
    let jawJoint: Int?

    init(model: MorphableModel) {
        expressionCount = model.expressionCount
        let jaw = model.joints.firstIndex { $0.name.lowercased() == "jaw" }
        jawJoint = jaw
        joints = [0] + (jaw.map { [$0] } ?? [])
    }

    var poseOffset: Int { expressionCount }
    var cameraOffset: Int { expressionCount + 3 * joints.count }
    var count: Int { cameraOffset + 3 }

    /// The columns free in the rigid stage: head rotation and camera.
    var rigidColumns: [Int] { Array(poseOffset..<(poseOffset + 3)) + Array(cameraOffset..<count) }
}

/// A photo's current estimate: the full face code (β copied from the shared estimate) and camera.
struct PhotoState: Sendable {
    var code: FaceCode
    var camera: OrthoCamera

    /// The state moved by a local step δl and an identity step δβ; nil when the scale turns non-positive.
    /// Expression coefficients are clamped to `bounds` (the projection of projected LM).
    func moved(local delta: [Double], identity deltaBeta: [Double]?, layout: LocalLayout,
               bounds: ClosedRange<Float>? = nil) -> PhotoState? {
        var next = self
        if let deltaBeta {
            for k in deltaBeta.indices { next.code.identity[k] += Float(deltaBeta[k]) }
        }
        for k in 0..<layout.expressionCount {
            let value = next.code.expression[k] + Float(delta[k])
            next.code.expression[k] = bounds.map { min(max(value, $0.lowerBound), $0.upperBound) } ?? value
        }
        for (a, joint) in layout.joints.enumerated() {
            for c in 0..<3 { next.code.pose[3 * joint + c] += Float(delta[layout.poseOffset + 3 * a + c]) }
        }
        let o = layout.cameraOffset
        next.camera.scale += Float(delta[o])
        next.camera.translation += SIMD2(Float(delta[o + 1]), Float(delta[o + 2]))
        guard next.camera.scale > 0, next.code.flat.allSatisfy({ $0.isFinite }) else { return nil }
        return next
    }
}
