import Foundation
import FaceModel

/// A starting camera and head rotation from the detected landmarks, before Levenberg–Marquardt.
///
/// The inner landmarks Xⱼ of the mean face (zero code) and the detections kⱼ give an affine camera
/// k ≈ A X + b by least squares (A 2×3, centred points). For the weak-perspective camera
/// u = s Π(R v) + t with Π(x, y, z) = (x, −y): A's rows are s R₀ and −s R₁, so
/// s = (|A₀| + |A₁|)/2, R₀ = A₀/|A₀|, R₁ = −A₁ orthogonalised against R₀, R₂ = R₀ × R₁.
/// The rotation goes into the root joint's θ (axis-angle); t follows from the landmark centroids.
enum RigidInitialisation {
    static func initialState(_ evaluator: FaceEvaluator, targets: FitTargets, identity: [Float]) throws -> PhotoState {
        let model = evaluator.model
        var code = FaceCode.neutral(for: model)
        code.identity = identity
        let rest = try evaluator.evaluate(code)
        let inner = Array(17..<68)
        let x = inner.map { rest.landmarks[$0] }, k = inner.map { targets.points[$0] }
        let xMean = x.reduce(.zero, +) / Float(x.count), kMean = k.reduce(.zero, +) / Float(k.count)
        // Normal equations of the affine fit: (Σ x xᵀ) aᵀ = Σ x k (per image coordinate).
        var m = SymmetricMatrix(size: 3)
        var bx = [Double](repeating: 0, count: 3), by = bx
        for (p, q) in zip(x, k) {
            let d = p - xMean, e = q - kMean
            for i in 0..<3 {
                for j in 0..<3 { m[i, j] += Double(d[i] * d[j]) }
                bx[i] += Double(d[i] * e.x); by[i] += Double(d[i] * e.y)
            }
        }
        for i in 0..<3 { m[i, i] += 1e-12 }
        guard let ax = m.solve(bx), let ay = m.solve(by) else {
            throw FitError.diverged("the model's landmarks are degenerate")
        }
        let a0 = SIMD3(Float(ax[0]), Float(ax[1]), Float(ax[2])), a1 = SIMD3(Float(ay[0]), Float(ay[1]), Float(ay[2]))
        let n0 = norm(a0), n1 = norm(a1)
        guard n0 > 0, n1 > 0, (n0 + n1).isFinite else { throw FitError.diverged("the landmarks give no camera") }
        let r0 = a0 / n0
        var r1 = -a1 - dot3(-a1, r0) * r0
        r1 /= max(norm(r1), 1e-12)
        let rotation = Mat3(rows: r0, r1, cross3(r0, r1))
        code.setRotation(Rodrigues.axisAngle(rotation), ofJoint: 0)
        let posed = try evaluator.evaluate(code)
        let scale = (n0 + n1) / 2
        let camera0 = OrthoCamera(scale: scale, translation: .zero)
        let projectedMean = inner.map { camera0.project(posed.landmarks[$0]) }.reduce(.zero, +) / Float(inner.count)
        return PhotoState(code: code, camera: OrthoCamera(scale: scale, translation: kMean - projectedMean))
    }
}

@inline(__always) func dot3(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { (a * b).sum() }
@inline(__always) func norm(_ a: SIMD3<Float>) -> Float { dot3(a, a).squareRoot() }
@inline(__always) func cross3(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
