import XCTest
@testable import FaceModel

final class TensionTests: XCTestCase {
    let model = SyntheticModel.make()

    func testAntisymmetricBoundedAndSignedByCompression() throws {
        let evaluator = try FaceEvaluator(model: model)
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        var rng = SplitMix64(seed: 3)
        let code = FaceCode(identity: (0..<model.identityCount).map { _ in rng.normal() },
                            expression: (0..<model.expressionCount).map { _ in 3 * rng.normal() },
                            pose: [0, 0.5, 0, 0, 0, 0, 0.4, 0, 0, 0, 0, 0, 0, 0, 0])
        let s = try evaluator.evaluate(code), rest = try evaluator.evaluate(code.neutralExpression)
        let t = try evaluator.tension(of: s, code: code, edges: edges)
        let back = Tension.perVertex(rest.vertices, reference: s.vertices, edges: edges)
        for (a, b) in zip(t, back) { XCTAssertEqual(a, -b, accuracy: 1e-6) }
        XCTAssertTrue(t.allSatisfy { $0 > -1 && $0 < 1 })
        XCTAssertGreaterThan(t.map(abs).max()!, 0.05, "the expression must produce visible tension")
        // Extreme deformation still stays inside (−1, 1) at a moderate scale.
        let squashed = rest.vertices.map { $0 * 0.2 }
        let strong = Tension.perVertex(squashed, reference: rest.vertices, edges: edges, scale: 100)
        XCTAssertTrue(strong.allSatisfy { $0 > 0 && $0 < 1 }, "uniform shrinking is compression everywhere")
        let stretched = Tension.perVertex(rest.vertices.map { $0 * 1.5 }, reference: rest.vertices, edges: edges)
        XCTAssertTrue(stretched.allSatisfy { $0 < 0 })
        // A single edge check against the exp form of Eq. 3: 1 mm shorter, k = 1000.
        let tri: [Int32] = [0, 1, 2]
        let small = MeshEdges(triangles: tri, vertexCount: 3)
        let ref: [Float] = [0, 0, 0, 0.01, 0, 0, 0, 0.01, 0]
        var cur = ref
        cur[3] = 0.009
        let k: Float = 1000
        let e = { (a: Float, b: Float) in (exp(k * a) - exp(k * b)) / (exp(k * a) + exp(k * b)) }
        let expected0 = (e(0.01, 0.009) + e(0.01, 0.01)) / 2
        XCTAssertEqual(Tension.perVertex(cur, reference: ref, edges: small)[0], expected0, accuracy: 1e-5)
        XCTAssertEqual(small.count, 3)
    }

    func testUVTensionMapInterpolatesVertexValues() throws {
        let evaluator = try FaceEvaluator(model: model)
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        var code = FaceCode.neutral(for: model)
        code.expression[0] = 4
        let out = try evaluator.evaluate(code)
        let map = try evaluator.tensionMap(of: out, code: code, edges: edges)
        XCTAssertEqual(map.width, 256)
        XCTAssertGreaterThan(map.coverage.filter { $0 == 1 }.count, 256 * 200, "the sphere's UVs cover most of the square")
        // Linear per-vertex data rasterises to the same linear function of UV: use v itself.
        var vValue = [Float](repeating: 0, count: model.vertexCount)
        for f in 0..<model.triangleCount { for c in 0..<3 {
            vValue[Int(model.triangles[3 * f + c])] = model.uvs[2 * Int(model.uvTriangles[3 * f + c]) + 1]
        } }
        let vMap = UVRasterizer.rasterize(vValue, channels: 1, model: model, size: 64)
        // Away from the poles and the seam every vertex has one v, so the map equals 1 − (y + ½)/64.
        for y in 8..<56 { for x in 4..<60 where vMap.coverage[y * 64 + x] == 1 {
            XCTAssertEqual(vMap[x, y, 0], 1 - (Float(y) + 0.5) / 64, accuracy: 1e-4)
        } }
        XCTAssertTrue(map.values.allSatisfy { $0 > -1 && $0 < 1 })
    }
}
