import FaceModel
import Networks
import Tensor
import XCTest
@testable import Training

/// The face → network link: the differentiable landmark projection against finite differences,
/// and the crop → photo camera transfer.
final class LandmarkProjectionTests: XCTestCase {
    static let model = EmbeddedHead.make()

    /// A code near the mean face, upright, filling a 256² crop as the aligned crops do.
    func code(batch: Int, seed: UInt64) -> CoarseCode {
        let m = Self.model
        var g = SeededGenerator(seed: seed)
        let pose = Tensor((0..<(batch * 3 * m.joints.count)).map { j in
            j % (3 * m.joints.count) == 6 ? 0.1 : Float.random(in: -0.03...0.03, using: &g)   // jaw opens a little
        }, shape: [batch, 3 * m.joints.count], requiresGrad: true)
        return CoarseCode(
            identity: Tensor.uniform([batch, m.identityCount], in: -0.5...0.5, using: &g, requiresGrad: true),
            expression: Tensor.uniform([batch, m.expressionCount], in: 0.05...0.5, using: &g, requiresGrad: true),
            pose: pose,
            camera: Tensor((0..<batch).flatMap { _ in [1500, 128, 120] }, shape: [batch, 3], requiresGrad: true))
    }

    func testGradientsMatchFiniteDifferences() throws {
        let projection = try LandmarkProjection(model: Self.model, boundary: .silhouette)
        let c = code(batch: 2, seed: 3)
        // Targets at the projected points themselves: Eq. 1 matches each jaw landmark to a
        // boundary landmark that faces the camera, so the correspondences do not switch under ε.
        let first = Autograd.withoutRecording { projection(c, targets: [[SIMD2<Float>]](repeating: [SIMD2<Float>](repeating: .zero, count: 68), count: 2)) }
        let targets = (0..<2).map { b in (0..<68).map { SIMD2(first.data[b * 136 + 2 * $0], first.data[b * 136 + 2 * $0 + 1]) } }
        var check = GradientCheck()
        check.epsilon = 1e-3
        check.relativeTolerance = 3e-2
        check.absoluteTolerance = 0.5
        check.samplesPerInput = 12
        let (mismatches, compared) = check.run([c.identity, c.expression, c.pose, c.camera]) { projection(c, targets: targets) }
        XCTAssertGreaterThan(compared, 40)
        XCTAssertTrue(mismatches.isEmpty, mismatches.map(\.description).joined(separator: "\n"))
    }

    func testProjectionMatchesTheEvaluator() throws {
        let projection = try LandmarkProjection(model: Self.model)
        let c = code(batch: 1, seed: 5)
        let zeros = [[SIMD2<Float>]](repeating: [SIMD2<Float>](repeating: .zero, count: 68), count: 1)
        let out = Autograd.withoutRecording { projection(c, targets: zeros) }
        let face = FaceCode(identity: c.identity.values, expression: c.expression.values, pose: c.pose.values)
        let output = try projection.evaluator.evaluate(face)
        let camera = OrthoCamera(scale: 1500, translation: SIMD2(128, 120))
        for k in 17..<68 {
            let u = camera.project(output.landmarks[k])
            XCTAssertEqual(out.data[2 * k], u.x, accuracy: 1e-3)
            XCTAssertEqual(out.data[2 * k + 1], u.y, accuracy: 1e-3)
        }
    }
}
