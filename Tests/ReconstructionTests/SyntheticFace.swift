import Foundation
import FaceModel
@testable import Reconstruction

/// A synthetic head for fitting tests: FaceModel's sphere model (skinning, jaw joint, correctives,
/// smooth identity and expression bases, nose and ear regions) with its random landmark embedding
/// replaced by a face-like iBUG layout on the front of the sphere, so that landmarks 0–16 run along
/// the jaw line and the inner ones sit where eyes, nose and mouth would.
enum SyntheticFace {
    static func model(identityCount: Int = 8, expressionCount: Int = 6) -> MorphableModel {
        var model = SyntheticModel.make(rings: 24, segments: 32, identityCount: identityCount,
                                        expressionCount: expressionCount, seed: 7)
        let corners = ContourTables.cornerOfVertex(model)
        model.landmarks = layout().map { uv in
            let x = 0.75 * uv.x, y = 0.75 * uv.y
            let target = 0.1 * SIMD3<Float>(x, y, max(0, 1 - x * x - y * y).squareRoot())
            let nearest = (0..<model.vertexCount).min { a, b in
                distance2(vertex(model, a), target) < distance2(vertex(model, b), target)
            }!
            return corners[nearest]!
        }
        return model
    }

    /// The 68 iBUG points in face coordinates (x right in the image, y up, about ±1).
    static func layout() -> [SIMD2<Float>] {
        var p = [SIMD2<Float>]()
        for t in 0..<17 {
            let a = Float.pi * Float(t) / 16
            p.append([-1.2 * cos(a), 0.1 - 0.9 * sin(a)])
        }
        for t in 0..<5 { p.append([-0.75 + 0.1375 * Float(t), 0.45]) }
        for t in 0..<5 { p.append([0.2 + 0.1375 * Float(t), 0.45]) }
        for t in 0..<4 { p.append([0, 0.3 - 0.1 * Float(t)]) }
        for t in 0..<5 { p.append([-0.2 + 0.1 * Float(t), -0.15]) }
        for cx: Float in [-0.4, 0.4] {
            for t in 0..<6 {
                let a = Float.pi - Float.pi * Float(t) / 3
                p.append([cx + 0.15 * cos(a), 0.25 + 0.06 * sin(a)])
            }
        }
        for t in 0..<12 {
            let a = Float.pi - 2 * Float.pi * Float(t) / 12
            p.append([0.35 * cos(a), -0.4 + 0.15 * sin(a)])
        }
        for t in 0..<8 {
            let a = Float.pi - 2 * Float.pi * Float(t) / 8
            p.append([0.25 * cos(a), -0.4 + 0.06 * sin(a)])
        }
        return p
    }

    static func vertex(_ model: MorphableModel, _ i: Int) -> SIMD3<Float> {
        SIMD3(model.template[3 * i], model.template[3 * i + 1], model.template[3 * i + 2])
    }

    static func distance2(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { ((a - b) * (a - b)).sum() }

    /// A code with the given head rotation, jaw rotation and deterministic β, ψ.
    static func code(_ model: MorphableModel, head: SIMD3<Float>, jaw: Float = 0.08, identity: [Float]? = nil,
                     seed: UInt64 = 3) -> FaceCode {
        var rng = SplitMix64(seed: seed)
        var code = FaceCode.neutral(for: model)
        code.identity = identity ?? (0..<model.identityCount).map { _ in 0.8 * rng.normal() }
        code.expression = (0..<model.expressionCount).map { _ in 0.6 * rng.normal() }
        code.setRotation(head, ofJoint: 0)
        code.setRotation([jaw, 0, 0], ofJoint: 2)
        return code
    }

    /// The camera every test view uses: 1000 px per metre, centred in a 256-pixel image.
    static let camera = OrthoCamera(scale: 1000, translation: [128, 128])

    /// Projected static landmarks of `code`, with optional Gaussian noise in pixels.
    static func targets(_ model: MorphableModel, _ code: FaceCode, noise: Float = 0, seed: UInt64 = 11) throws -> [SIMD2<Float>] {
        var rng = SplitMix64(seed: seed)
        let out = try model.evaluate(code)
        return out.landmarks.map { camera.project($0) + noise * SIMD2(rng.normal(), rng.normal()) }
    }
}
