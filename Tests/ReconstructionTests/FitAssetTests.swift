import XCTest
import FaceModel
import Render
@testable import Reconstruction

final class FitAssetTests: XCTestCase {
    /// The spread of identities against shapes evaluated directly by the model.
    func testIdentitySpreadMatchesEvaluatedShapes() throws {
        let model = SyntheticFace.model()
        let a: [Float] = [1, -0.5, 0.2, 0, 0, 0.3, 0, 0], b: [Float] = [0, 0.5, -0.2, 1, 0, 0, 0, 0.4]
        let spread = IdentitySpread([a, b], model: model)
        let mean = zip(a, b).map { ($0 + $1) / 2 }
        let betaRMS = (zip(a, mean).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)).squareRoot()
        XCTAssertEqual(spread.betaRMS, betaRMS, accuracy: 1e-5, "both deviate from the mean by the same amount")
        let evaluator = try FaceEvaluator(model: model)
        func shape(_ beta: [Float]) throws -> [Float] { try evaluator.evaluate(FaceCode(identity: beta, expression: [], pose: [])).vertices }
        let sa = try shape(a), sm = try shape(mean)
        let rms = (zip(sa, sm).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(model.vertexCount)).squareRoot()
        XCTAssertEqual(spread.shapeRMSMetres, rms, accuracy: 1e-6)
        XCTAssertGreaterThan(spread.shapeRMSMetres, 1e-4)
        XCTAssertEqual(IdentitySpread([a, a, a], model: model).shapeRMSMetres, 0, accuracy: 1e-9)
    }

    /// A red photo seen from the front and a blue one seen from the side: texels one view sees keep
    /// its colour, texels both see mix by how squarely each faces them, unseen texels stay empty (weight 0) for `TextureCompletion`.
    func testVisibilityWeightedBlend() throws {
        let model = SyntheticFace.model()
        let evaluator = try FaceEvaluator(model: model)
        let camera = SyntheticFace.camera
        let red = try TextureMap(width: 256, height: 256, fill: [1, 0, 0]), blue = try TextureMap(width: 256, height: 256, fill: [0, 0, 1])
        var views: [AlbedoBlend.View] = []
        for (photo, yaw) in [(red, Float(0)), (blue, Float.pi / 2)] {
            var code = FaceCode.neutral(for: model)
            code.setRotation([0, yaw, 0], ofJoint: 0)
            views.append(AlbedoBlend.View(photo: photo, mesh: try RenderMesh(model: model, positions: evaluator.evaluate(code).vertices),
                                          camera: camera))
        }
        let atlas = try UVAtlas(mesh: RenderMesh(model: model), size: 64)
        let blend = try AlbedoBlend.blend(views, atlas: atlas, model: model)
        let (texture, coverage) = (blend.texture, blend.coverage)
        XCTAssertGreaterThan(coverage, 0.4)
        XCTAssertLessThan(coverage, 0.95, "the back of the head is seen by neither photo")
        var pureRed = 0, pureBlue = 0, mixed = Set<Int>()
        for t in 0..<(64 * 64) where atlas.triangleIndex[t] >= 0 {
            let r = texture.data[3 * t], g = texture.data[3 * t + 1], b = texture.data[3 * t + 2]
            XCTAssertEqual(g, 0, accuracy: 1e-5)
            guard blend.weight[t] > 0 else { XCTAssertEqual(r + b, 0); continue }
            XCTAssertEqual(r + b, 1, accuracy: 1e-4, "a convex blend of red and blue")
            if r > 0.999 { pureRed += 1 } else if b > 0.999 { pureBlue += 1 } else { mixed.insert(Int(r * 1000)) }
        }
        XCTAssertGreaterThan(pureRed, 50)
        XCTAssertGreaterThan(pureBlue, 50)
        XCTAssertGreaterThan(mixed.count, 4, "many different mixing weights")
    }
}
