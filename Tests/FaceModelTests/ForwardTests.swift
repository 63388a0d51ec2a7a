import XCTest
@testable import FaceModel

final class ForwardTests: XCTestCase {
    let model = SyntheticModel.make()

    func randomCode(_ seed: UInt64, poseScale: Float = 0.3) -> FaceCode {
        var rng = SplitMix64(seed: seed)
        return FaceCode(identity: (0..<model.identityCount).map { _ in rng.normal() },
                        expression: (0..<model.expressionCount).map { _ in rng.normal() },
                        pose: (0..<(3 * model.joints.count)).map { _ in poseScale * rng.normal() })
    }

    func testNeutralCodeGivesTemplate() throws {
        let out = try model.evaluate(.neutral(for: model))
        XCTAssertEqual(out.vertices, model.template)
        XCTAssertEqual(out.landmarks.count, 68)
    }

    func testGlobalRotationIsRigidAboutRootJoint() throws {
        let evaluator = try FaceEvaluator(model: model)
        var code = FaceCode.neutral(for: model)
        code.identity[0] = 1.5
        code.expression[2] = -0.7
        let shaped = try evaluator.evaluate(code)
        let axis = SIMD3<Float>(0.2, -0.5, 0.3)
        code.setRotation(axis, ofJoint: 0)
        let rotated = try evaluator.evaluate(code)
        let r = Rodrigues.matrix(axis)
        let root = shaped.skeleton.restJoints[0]
        for i in stride(from: 0, to: model.vertexCount, by: 7) {
            let expected = r * (shaped.vertex(i) - root) + root
            XCTAssertEqual(length(rotated.vertex(i) - expected), 0, accuracy: 1e-6)
            XCTAssertEqual(length(rotated.normal(i) - r * shaped.normal(i)), 0, accuracy: 1e-4)
        }
    }

    func testRodriguesIsARotationAndMatchesSmallAngle() {
        let r = Rodrigues.matrix([0.3, -1.1, 0.4])
        let rtr = r.transposed * r
        for (a, b) in zip(rtr.flat, Mat3.identity.flat) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // Rotation about z by 90°: x → y.
        let q = Rodrigues.matrix([0, 0, .pi / 2]) * SIMD3<Float>(1, 0, 0)
        XCTAssertEqual(q.y, 1, accuracy: 1e-6)
        XCTAssertEqual(q.x, 0, accuracy: 1e-6)
    }

    func testRodriguesDerivativeMatchesFiniteDifferences() {
        for v: SIMD3<Float> in [[0.3, -1.1, 0.4], [0, 0, 0], [1e-5, 2e-5, -1e-5]] {
            let analytic = Rodrigues.derivatives(v, rotation: Rodrigues.matrix(v))
            for i in 0..<3 {
                var plus = v, minus = v
                plus[i] += 1e-3
                minus[i] -= 1e-3
                let fd = (Rodrigues.matrix(plus) - Rodrigues.matrix(minus)).flat.map { $0 / 2e-3 }
                for (a, b) in zip(analytic[i].flat, fd) { XCTAssertEqual(a, b, accuracy: 2e-3) }
            }
        }
    }

    func testNormalsOfSpherePointOutwards() throws {
        let out = try model.evaluate(.neutral(for: model))
        for i in 0..<model.vertexCount {
            let p = out.vertex(i)
            XCTAssertGreaterThan(dot(out.normal(i), p / length(p)), 0.95)
        }
    }

    func testPoseCorrectivesAndSkinningMatchDirectFormula() throws {
        // Dense codes take the sgemv path, sparse ones the saxpy path: both against the formulas.
        var sparse = randomCode(6)
        for k in sparse.identity.indices where k != 3 { sparse.identity[k] = 0 }
        for k in sparse.expression.indices where k != 1 { sparse.expression[k] = 0 }
        for code in [randomCode(5), sparse] { try checkDirectFormula(code, vertex: 123) }
    }

    /// Recomputes one vertex from the defining formulas with transparent loops.
    func checkDirectFormula(_ code: FaceCode, vertex i: Int) throws {
        let out = try model.evaluate(code)
        let n = model.vertexCount, jc = model.joints.count
        var s0 = SIMD3<Float>.zero
        for c in 0..<3 {
            var x = model.template[3 * i + c]
            for k in 0..<model.identityCount { x += model.identityBasis[(3 * i + c) * model.identityCount + k] * code.identity[k] }
            for k in 0..<model.expressionCount { x += model.expressionBasis[(3 * i + c) * model.expressionCount + k] * code.expression[k] }
            s0[c] = x
        }
        var feature = [Float]()
        for j in 1..<jc { feature += (Rodrigues.matrix(code.rotation(ofJoint: j)) - .identity).flat }
        for c in 0..<3 { for p in 0..<feature.count { s0[c] += model.poseCorrectives[(3 * i + c) * feature.count + p] * feature[p] } }
        // Joints from the regressor on the shaped mesh (without correctives).
        let shaped = try model.evaluate(FaceCode(identity: code.identity, expression: code.expression, pose: []))
        XCTAssertEqual(shaped.vertices.count, 3 * n)
        var rest = [SIMD3<Float>](repeating: .zero, count: jc)
        for j in 0..<jc { for v in 0..<n { rest[j] += model.jointRegressor[j * n + v] * shaped.vertex(v) } }
        var g = [Mat3](repeating: .identity, count: jc), t = rest
        for j in 0..<jc {
            let r = Rodrigues.matrix(code.rotation(ofJoint: j)), p = model.joints[j].parent
            if p < 0 { g[j] = r } else { g[j] = g[p] * r; t[j] = t[p] + g[p] * (rest[j] - rest[p]) }
        }
        var expected = SIMD3<Float>.zero
        for j in 0..<jc { expected += model.skinWeights[i * jc + j] * (g[j] * (s0 - rest[j]) + t[j]) }
        XCTAssertEqual(length(out.vertex(i) - expected), 0, accuracy: 1e-6)
    }

    func testRestShapeEqualsZeroPoseEvaluation() throws {
        var code = randomCode(8)
        code.pose = []
        let rest = try model.restShape(identity: code.identity, expression: code.expression)
        for (a, b) in zip(rest, try model.evaluate(code).vertices) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertThrowsError(try model.restShape(identity: [Float](repeating: 1, count: 50)))
    }

    func testBadCodeIsATypedError() throws {
        let evaluator = try FaceEvaluator(model: model)
        XCTAssertThrowsError(try evaluator.evaluate(FaceCode(identity: [Float](repeating: 0, count: 99), expression: [], pose: [])))
        XCTAssertThrowsError(try evaluator.evaluate(FaceCode(identity: [.nan], expression: [], pose: [])))
        var broken = model
        broken.skinWeights.removeLast()
        XCTAssertThrowsError(try FaceEvaluator(model: broken)) { error in
            guard case FaceModelError.inconsistentModel = error else { return XCTFail("\(error)") }
        }
    }
}
