import XCTest
import FaceModel
@testable import Reconstruction

/// The landmark fitter recovers a synthetic face made by the embedded head itself.
final class LandmarkFitTests: XCTestCase {
    func testRecoversSyntheticLandmarks() throws {
        let model = EmbeddedHead.make()
        let evaluator = try FaceEvaluator(model: model)
        var code = FaceCode.neutral(for: model)
        for k in 0..<10 { code.identity[k] = Float(k % 3) - 1 }
        code.expression[model.expressionNames.firstIndex(of: "jawOpen")!] = 0.4
        code.expression[model.expressionNames.firstIndex(of: "mouthSmileLeft")!] = 0.6
        code.setRotation(SIMD3(0.1, 0.25, 0.05), ofJoint: 0)
        let camera = OrthoCamera(scale: 1500, translation: SIMD2(128, 140))
        let output = try evaluator.evaluate(code)
        let target = evaluator.marchedLandmarks(output).landmarks.map(camera.project)
        var options = LandmarkFit.Options()
        options.identityPrior = 1e-6
        options.expressionPrior = 1e-6
        options.iterations = 60
        let result = try LandmarkFit.fit(evaluator, to: target, options: options)
        XCTAssertLessThan(result.nme, 0.01, "synthetic NME \(result.nme)")
        XCTAssertEqual(result.code.pose[1], 0.25, accuracy: 0.05, "yaw")
    }

    func testRejectsWrongLandmarkCount() throws {
        let evaluator = try FaceEvaluator(model: EmbeddedHead.make())
        XCTAssertThrowsError(try LandmarkFit.fit(evaluator, to: [SIMD2<Float>](repeating: .zero, count: 5)))
    }
}
