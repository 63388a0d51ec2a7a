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

    /// Issue "Embedded default head", item 5(a), on a fixed subset: a landmark-only fit of the
    /// embedded head to the first 60 AFW faces (sorted by name) reaches a median NME below 0.032
    /// (the whole set measures 0.026 with `likeness head likeness`, this subset 0.027).
    func testEmbeddedHeadTakesTheShapeOfRealFaces() throws {
        guard let afw = sharedData("data/faces-300w/afw") else {
            throw XCTSkip("../shared/data/faces-300w/afw not found (set LIKENESS_SHARED)")
        }
        let evaluator = try FaceEvaluator(model: EmbeddedHead.make())
        let names = try FileManager.default.contentsOfDirectory(atPath: afw.path).filter { $0.hasSuffix(".pts") }.sorted()
        var errors: [Float] = []
        for name in names.prefix(60) {
            let text = try String(contentsOf: afw.appendingPathComponent(name), encoding: .utf8)
            let body = text[text.index(after: text.firstIndex(of: "{")!)..<text.lastIndex(of: "}")!]
            let numbers = body.split(whereSeparator: \.isWhitespace).compactMap { Float($0) }
            XCTAssertEqual(numbers.count, 136, name)
            let points = (0..<68).map { SIMD2(numbers[2 * $0], numbers[2 * $0 + 1]) }
            errors.append(try LandmarkFit.fit(evaluator, to: points).nme)
        }
        errors.sort()
        XCTAssertLessThan(errors[errors.count / 2], 0.032, "median NME over \(errors.count) AFW faces")
    }

    func testRejectsWrongLandmarkCount() throws {
        let evaluator = try FaceEvaluator(model: EmbeddedHead.make())
        XCTAssertThrowsError(try LandmarkFit.fit(evaluator, to: [SIMD2<Float>](repeating: .zero, count: 5)))
    }
}
