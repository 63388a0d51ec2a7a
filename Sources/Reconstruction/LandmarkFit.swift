import FaceModel
import Foundation

/// Landmark-only model fitting: identity β, expression ψ, global head rotation and a weak-
/// perspective camera (scale s, translation t) fitted to 68 image landmarks by Levenberg–Marquardt.
///
///     E(β, ψ, θ₀, s, t) = Σᵢ ‖s·Π(vᵢ(β, ψ, θ)) + t − ℓᵢ‖² / d² + λβ‖β‖² + λψ‖ψ‖²
///
/// vᵢ are the model's landmarks (0–16 from the dynamic contour for the current yaw when the model
/// has one — FLAME's "landmark marching"), Π the orthographic projection of `OrthoCamera`, d the
/// target's outer-eye-corner distance (so the priors do not depend on image size). Each iteration
/// solves (JᵀJ + λ·diag + μI)δ = −g with J from `FaceEvaluator.jacobian(of:)` and the camera
/// columns of `project`; ψ is kept in ARKit's range [0, 1] by projection after each step.
public enum LandmarkFit {
    public struct Options: Sendable {
        public var iterations = 40
        public var identityPrior: Float = 1e-5
        public var expressionPrior: Float = 1e-6
        public var useDynamicContour = true
        /// Weight of the jaw-line residuals (0–16) relative to the inner points.
        public var jawWeight: Float = 1
        public init() {}
    }

    public struct Result: Sendable {
        public var code: FaceCode
        public var camera: OrthoCamera
        /// Fitted landmarks in the image (pixels).
        public var landmarks: [SIMD2<Float>]
        /// Mean point error / outer-eye-corner distance of the target.
        public var nme: Float
    }

    public enum FitError: Error, CustomStringConvertible {
        case wrongLandmarkCount(Int)
        case degenerateTarget
        public var description: String {
            switch self {
            case .wrongLandmarkCount(let n): return "landmark fit needs the 68 iBUG points, got \(n)"
            case .degenerateTarget: return "the target landmarks have no extent (eye corners coincide)"
            }
        }
    }

    /// NME of predicted points against a target: mean distance / ‖target₃₆ − target₄₅‖.
    public static func nme(_ predicted: [SIMD2<Float>], _ target: [SIMD2<Float>]) -> Float {
        let d = length(target[36] - target[45])
        return zip(predicted, target).map { length($0 - $1) }.reduce(0, +) / (Float(target.count) * d)
    }

    static func length(_ v: SIMD2<Float>) -> Float { (v * v).sum().squareRoot() }

    public static func fit(_ evaluator: FaceEvaluator, to target: [SIMD2<Float>], options: Options = Options()) throws -> Result {
        guard target.count == 68 else { throw FitError.wrongLandmarkCount(target.count) }
        let iod = length(target[36] - target[45])
        guard iod > 0 else { throw FitError.degenerateTarget }
        let model = evaluator.model
        let kb = model.identityCount, ke = model.expressionCount
        // Start from the affine pose of the mean face, as the person fit does, rather than upright.
        let start = try RigidInitialisation.initialState(evaluator, targets: FitTargets(target),
                                                         identity: [Float](repeating: 0, count: kb))
        var code = start.code
        var camera = start.camera
        var mu: Float = 1e-3
        var (energy, _) = try evaluate(evaluator, code: code, camera: camera, target: target, iod: iod, options: options)
        // Parameter vector: β (kb), ψ (ke), θ_global (3), s, tx, ty.
        let n = kb + ke + 3 + 3
        for _ in 0..<options.iterations {
            let output = try evaluator.evaluate(code)
            let embeddings = options.useDynamicContour ? evaluator.marchedEmbeddings(output) : model.landmarks
            let points = embeddings.map { e -> SIMD3<Float> in
                let c = model.combination(e)
                return zip(c.vertices, c.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * output.vertex($1.0) }
            }
            let jac3 = evaluator.jacobian(of: embeddings.map { model.combination($0) }, at: output, code: code)
            let proj = evaluator.project(points, jacobian: jac3, camera: camera)
            // Assemble J (136×n) and r, scaled by 1/iod.
            var J = [Double](repeating: 0, count: 136 * n), r = [Double](repeating: 0, count: 136)
            let cols = proj.parameters.columns
            for row in 0..<136 {
                let p = proj.points[row / 2], t = target[row / 2]
                let w = (row / 2 < 17 ? options.jawWeight : 1) / iod
                r[row] = Double(((row % 2 == 0) ? p.x - t.x : p.y - t.y) * w)
                for c in 0..<(kb + ke) { J[row * n + c] = Double(proj.parameters.values[row * cols + c] * w) }
                for c in 0..<3 { J[row * n + kb + ke + c] = Double(proj.parameters.values[row * cols + kb + ke + c] * w) }
                for c in 0..<3 { J[row * n + kb + ke + 3 + c] = Double(proj.camera[row * 3 + c] * w) }
            }
            var H = [Double](repeating: 0, count: n * n), g = [Double](repeating: 0, count: n)
            for row in 0..<136 {
                let base = row * n
                for a in 0..<n where J[base + a] != 0 {
                    g[a] += J[base + a] * r[row]
                    for b in a..<n { H[a * n + b] += J[base + a] * J[base + b] }
                }
            }
            for a in 0..<n { for b in 0..<a { H[a * n + b] = H[b * n + a] } }
            for k in 0..<kb { H[k * n + k] += Double(options.identityPrior); g[k] += Double(options.identityPrior * code.identity[k]) }
            for k in 0..<ke { H[(kb + k) * n + kb + k] += Double(options.expressionPrior); g[kb + k] += Double(options.expressionPrior * code.expression[k]) }
            var improved = false
            for _ in 0..<6 {
                var A = H
                for a in 0..<n { A[a * n + a] += Double(mu) * max(H[a * n + a], 1e-6) + 1e-9 }
                guard let step = solve(A, g.map { -$0 }, n) else { mu *= 10; continue }
                var trial = code, trialCamera = camera
                for k in 0..<kb { trial.identity[k] += Float(step[k]) }
                for k in 0..<ke { trial.expression[k] = min(max(trial.expression[k] + Float(step[kb + k]), 0), 1) }
                for c in 0..<3 { trial.pose[c] += Float(step[kb + ke + c]) }
                trialCamera.scale += Float(step[kb + ke + 3])
                trialCamera.translation += SIMD2(Float(step[kb + ke + 4]), Float(step[kb + ke + 5]))
                let (e, _) = try evaluate(evaluator, code: trial, camera: trialCamera, target: target, iod: iod, options: options)
                if e < energy {
                    code = trial; camera = trialCamera; energy = e; mu = max(mu / 3, 1e-7); improved = true
                    break
                }
                mu *= 8
            }
            if !improved { break }
        }
        let (_, predicted) = try evaluate(evaluator, code: code, camera: camera, target: target, iod: iod, options: options)
        return Result(code: code, camera: camera, landmarks: predicted, nme: nme(predicted, target))
    }

    /// Energy and projected landmarks for a parameter set.
    static func evaluate(_ evaluator: FaceEvaluator, code: FaceCode, camera: OrthoCamera, target: [SIMD2<Float>],
                         iod: Float, options: Options) throws -> (Float, [SIMD2<Float>]) {
        let output = try evaluator.evaluate(code)
        let points = options.useDynamicContour ? evaluator.marchedLandmarks(output).landmarks : output.landmarks
        let predicted = points.map(camera.project)
        var e: Float = 0
        for (i, (p, t)) in zip(predicted, target).enumerated() {
            let d = (p - t) * ((i < 17 ? options.jawWeight : 1) / iod)
            e += (d * d).sum()
        }
        e += options.identityPrior * code.identity.reduce(0) { $0 + $1 * $1 }
        e += options.expressionPrior * code.expression.reduce(0) { $0 + $1 * $1 }
        return (e, predicted)
    }

    /// Dense Cholesky-free solve (Gaussian elimination with partial pivoting) of A x = b, n×n
    /// (row-major); nil when A is singular.
    public static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var A = a, x = b
        for col in 0..<n {
            var piv = col
            for r in (col + 1)..<n where abs(A[r * n + col]) > abs(A[piv * n + col]) { piv = r }
            if abs(A[piv * n + col]) < 1e-14 { return nil }
            if piv != col {
                for c in 0..<n { A.swapAt(col * n + c, piv * n + c) }
                x.swapAt(col, piv)
            }
            let inv = 1 / A[col * n + col]
            for r in (col + 1)..<n {
                let f = A[r * n + col] * inv
                if f == 0 { continue }
                for c in col..<n { A[r * n + c] -= f * A[col * n + c] }
                x[r] -= f * x[col]
            }
        }
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = x[r]
            for c in (r + 1)..<n { s -= A[r * n + c] * x[c] }
            x[r] = s / A[r * n + r]
        }
        return x
    }
}
