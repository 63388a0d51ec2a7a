import XCTest
@testable import FaceModel

final class JacobianTests: XCTestCase {
    let model = SyntheticModel.make()

    func testLandmarkJacobianMatchesFiniteDifferences() throws {
        try checkLandmarkJacobian(model)
    }

    func testLandmarkJacobianOfFlameFixtureMatchesFiniteDifferences() throws {
        try checkLandmarkJacobian(FlameImporter.load(TestData.fixture("flame_tiny.npz")))
    }

    func checkLandmarkJacobian(_ model: MorphableModel) throws {
        let evaluator = try FaceEvaluator(model: model)
        var rng = SplitMix64(seed: 9)
        let code = FaceCode(identity: (0..<model.identityCount).map { _ in rng.normal() },
                            expression: (0..<model.expressionCount).map { _ in rng.normal() },
                            pose: (0..<(3 * model.joints.count)).map { _ in 0.3 * rng.normal() })
        let out = try evaluator.evaluate(code)
        let jac = evaluator.landmarkJacobian(at: out, code: code)
        let flat = code.flat
        let h: Float = 1e-2
        var worst: Float = 0
        for col in 0..<jac.columns {
            var plus = flat, minus = flat
            plus[col] += h
            minus[col] -= h
            let a = try evaluator.evaluate(FaceCode(flat: plus, identityCount: model.identityCount, expressionCount: model.expressionCount))
            let b = try evaluator.evaluate(FaceCode(flat: minus, identityCount: model.identityCount, expressionCount: model.expressionCount))
            for p in 0..<68 {
                let fd = (a.landmarks[p] - b.landmarks[p]) / (2 * h)
                for c in 0..<3 { worst = max(worst, abs(fd[c] - jac[3 * p + c, col])) }
            }
        }
        // Landmarks move ~0.1 m per radian: central differences with h = 0.01 agree to ~1e-5.
        XCTAssertLessThan(worst, 5e-5)
        // The Jacobian is not trivially zero.
        XCTAssertGreaterThan(jac.values.map(abs).max() ?? 0, 1e-3)
    }

    func testProjectedJacobianMatchesFiniteDifferences() throws {
        let evaluator = try FaceEvaluator(model: model)
        var code = FaceCode.neutral(for: model)
        code.setRotation([0.1, 0.4, -0.05], ofJoint: 0)
        code.setRotation([0.2, 0, 0], ofJoint: 2)
        let camera = OrthoCamera(scale: 900, translation: [128, 120], rotation: Rodrigues.matrix([0.05, 0, 0.1]))
        let vertices = [3, 50, 170, 250].map(SurfaceCombination.vertex)
        let out = try evaluator.evaluate(code)
        let points = vertices.map { out.vertex($0.vertices[0]) }
        let projected = evaluator.project(points, jacobian: evaluator.jacobian(of: vertices, at: out, code: code), camera: camera)
        let h: Float = 1e-3
        for col in projected.parameters.poseColumns {
            var plus = code.flat, minus = code.flat
            plus[col] += h
            minus[col] -= h
            let a = try evaluator.evaluate(FaceCode(flat: plus, identityCount: model.identityCount, expressionCount: model.expressionCount))
            let b = try evaluator.evaluate(FaceCode(flat: minus, identityCount: model.identityCount, expressionCount: model.expressionCount))
            for (p, v) in vertices.enumerated() {
                let fd = (camera.project(a.vertex(v.vertices[0])) - camera.project(b.vertex(v.vertices[0]))) / (2 * h)
                XCTAssertEqual(fd.x, projected.parameters[2 * p, col], accuracy: 0.05)
                XCTAssertEqual(fd.y, projected.parameters[2 * p + 1, col], accuracy: 0.05)
            }
        }
        // Camera columns: u = s Π(Rv) + t is linear in s and t.
        let moved = OrthoCamera(scale: 901, translation: [128, 120], rotation: camera.rotation)
        let du = moved.project(points[1]) - camera.project(points[1])
        XCTAssertEqual(du.x, projected.camera[6 * 1], accuracy: 1e-3)
        XCTAssertEqual(du.y, projected.camera[6 * 1 + 3], accuracy: 1e-3)
    }
}
