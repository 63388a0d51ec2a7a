import XCTest
import FaceModel
@testable import Reconstruction

final class BoundaryCorrespondenceTests: XCTestCase {
    /// Eq. 1 on a head turned 65°: visible jaw landmarks keep k̃ᵢ, occluded ones go to the nearest
    /// projected silhouette vertex — an endpoint of an edge whose normals flip sign in z — and a
    /// nose or ear vertex is never chosen, even for targets placed right on the nose's outline.
    func testOccludedLandmarksGoToNearestSilhouetteVertexOutsideNoseAndEars() throws {
        let model = SyntheticFace.model()
        let evaluator = try FaceEvaluator(model: model)
        let correspondence = BoundaryCorrespondence(model: model, mode: .silhouette)
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        var checkedOccluded = 0, checkedVisible = 0, temptedByNose = 0
        for yaw: Float in [-1.13, 1.13, 1.57] {
            let code = SyntheticFace.code(model, head: [0, yaw, 0])
            let output = try evaluator.evaluate(code)
            let camera = SyntheticFace.camera
            var targets = try SyntheticFace.targets(model, code, noise: 2)
            // Tempt the selection: put jaw targets on the projected nose tip and an ear.
            let nose = (0..<model.vertexCount).filter { model.vertexRegions[$0] == .nose }
            let ear = (0..<model.vertexCount).filter { model.vertexRegions[$0] == .ears }
            targets[0] = camera.project(output.vertex(nose.max { output.vertex($0).x < output.vertex($1).x }!))
            targets[16] = camera.project(output.vertex(ear.min { output.vertex($0).x < output.vertex($1).x }!))
            // Silhouette vertices by brute force.
            var onEdge = Set<Int>()
            for e in 0..<edges.count {
                let a = Int(edges.endpoints[2 * e]), b = Int(edges.endpoints[2 * e + 1])
                if output.normal(a).z * output.normal(b).z < 0 { onEdge.insert(a); onEdge.insert(b) }
            }
            let allowed = onEdge.filter { ![.nose, .ears, .eyeballs, .mouthInterior, .teeth, .tongue].contains(model.vertexRegions[$0]) }
            XCTAssertTrue(onEdge.contains { model.vertexRegions[$0] == .nose || model.vertexRegions[$0] == .ears },
                          "the raw silhouette at yaw \(yaw) crosses the nose or ears, so the mask matters")
            let matches = correspondence.select(evaluator, output: output, camera: camera, targets: targets)
            for (i, (combination, match)) in matches.enumerated() {
                let c = model.combination(model.landmarks[i])
                let nz = zip(c.vertices, c.weights).reduce(Float(0)) { $0 + $1.1 * output.normal($1.0).z }
                switch match {
                case .landmark:
                    XCTAssertGreaterThan(nz, 0, "landmark \(i) matched directly but occluded")
                    XCTAssertEqual(combination, c)
                    checkedVisible += 1
                case let .silhouetteVertex(v):
                    XCTAssertLessThan(nz, 0, "landmark \(i) visible but sent to the silhouette")
                    XCTAssertTrue(allowed.contains(v), "vertex \(v) (\(model.vertexRegions[v])) is not an allowed silhouette vertex")
                    let d = { (w: Int) -> Float in let q = camera.project(output.vertex(w)) - targets[i]; return (q * q).sum() }
                    XCTAssertLessThanOrEqual(d(v), allowed.map(d).min()! + 1e-3, "landmark \(i): not the nearest silhouette vertex")
                    XCTAssertEqual(combination, .vertex(v))
                    checkedOccluded += 1
                    if i == 0 || i == 16 { temptedByNose += 1 }
                case .contour:
                    XCTFail("marching match in silhouette mode")
                }
            }
        }
        XCTAssertGreaterThan(checkedOccluded, 8)
        XCTAssertGreaterThan(checkedVisible, 8)
        XCTAssertGreaterThan(temptedByNose, 0)
    }

    /// Generated FLAME-style contour tables keep k̃ᵢ while it faces the camera and otherwise move it
    /// out along its horizontal line; the fitter's marching mode uses them.
    func testGeneratedContourTablesMarchToTheOutline() throws {
        let model = SyntheticFace.model()
        let contour = try XCTUnwrap(ContourTables.make(for: model))
        XCTAssertEqual(contour.embeddings.count, ContourTables.yawDegrees.count)
        let frontal = contour.row(forYawDegrees: 0)
        XCTAssertEqual(contour.embeddings[frontal], Array(model.landmarks.prefix(17)))
        let turned = contour.row(forYawDegrees: 40)
        XCTAssertNotEqual(contour.embeddings[turned], Array(model.landmarks.prefix(17)), "some landmarks march at 40°")
        let r = Rodrigues.matrix([0, 40 * Float.pi / 180, 0])
        let rest = try model.evaluate(.neutral(for: model))
        for i in 0..<17 where contour.embeddings[turned][i] != model.landmarks[i] {
            let moved = r * SyntheticFace.surfacePoint(model, contour.embeddings[turned][i], rest)
            let original = r * SyntheticFace.surfacePoint(model, model.landmarks[i], rest)
            let side: Float = original.x >= 0 ? 1 : -1
            XCTAssertGreaterThan(side * moved.x, side * original.x, "landmark \(i) moves outwards, towards the outline")
        }
        let fitter = try LandmarkFitter(model: model, settings: FitSettings(boundary: .marching))
        XCTAssertNotNil(fitter.evaluator.model.dynamicContour)
    }
}

extension SyntheticFace {
    static func surfacePoint(_ model: MorphableModel, _ e: LandmarkEmbedding, _ out: FaceOutput) -> SIMD3<Float> {
        let c = model.combination(e)
        return zip(c.vertices, c.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * out.vertex($1.0) }
    }
}
