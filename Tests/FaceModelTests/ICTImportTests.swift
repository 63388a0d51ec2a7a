import XCTest
@testable import FaceModel

/// ICT-FaceKit's original folder layout from ../shared/models/ict-facekit (skipped when absent).
final class ICTImportTests: XCTestCase {
    func testFaceAreaImportsWithBlendshapesAndLandmarks() throws {
        let folder = try TestData.shared("models/ict-facekit")
        let model = try ICTFaceKitImporter.load(folder, faceOnly: true)
        XCTAssertEqual(model.vertexCount, 9409)
        // The face area's 9230 quads, plus any other polygon whose corners are all face-area vertices.
        XCTAssertGreaterThanOrEqual(model.triangleCount, 9230 * 2)
        XCTAssertLessThan(model.triangleCount, 9230 * 2 + 10)
        XCTAssertEqual(model.identityCount, 5)
        XCTAssertEqual(Set(model.expressionNames), ["browInnerUp_L", "browInnerUp_R", "eyeBlink_L", "eyeBlink_R", "jawOpen",
                                                     "mouthFunnel", "mouthSmile_L", "mouthSmile_R"])
        XCTAssertEqual(model.landmarks.count, 68)
        let evaluator = try FaceEvaluator(model: model)
        let neutral = try evaluator.evaluate(.neutral(for: model))
        // Nose tip (landmark 30, vertex 4942): 0.4 cm up, 13.1 cm forward in the file's centimetres.
        XCTAssertEqual(neutral.landmarks[30].z, 0.131, accuracy: 0.001)
        XCTAssertEqual(neutral.landmarks[30].x, 0, accuracy: 1e-4)
        // jawOpen lowers the chin (landmark 8) by centimetres.
        var open = FaceCode.neutral(for: model)
        open.expression[model.expressionNames.firstIndex(of: "jawOpen")!] = 1
        let opened = try evaluator.evaluate(open)
        XCTAssertLessThan(opened.landmarks[8].y, neutral.landmarks[8].y - 0.01)
        // Regions: nose and ears found, with plausible sizes.
        let nose = model.vertexRegions.filter { $0 == .nose }.count, ears = model.vertexRegions.filter { $0 == .ears }.count
        XCTAssertGreaterThan(nose, 200)
        XCTAssertGreaterThan(ears, 100)
        XCTAssertEqual(model.vertexRegions[4942], .nose)
        // Normals at the nose tip face forward.
        XCTAssertGreaterThan(neutral.normal(4942).z, 0.7)
        try checkSilhouette(model, evaluator)
    }

    /// Eq. 1 on a real face: frontal, the jaw-line landmarks face the camera; turned 40° the far
    /// side's are occluded and match outline vertices, which lie on the image's far edge of the face.
    func checkSilhouette(_ model: MorphableModel, _ evaluator: FaceEvaluator) throws {
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        let camera = OrthoCamera(scale: 1000, translation: [128, 128])
        let front = evaluator.silhouette(try evaluator.evaluate(.neutral(for: model)), camera: camera, edges: edges)
        XCTAssertEqual(front.boundaryVisible.filter { !$0 }.count, 0)
        var turned = FaceCode.neutral(for: model)
        turned.setRotation([0, 0.7, 0], ofJoint: 0)  // the face turns to its left: image right
        let out = try evaluator.evaluate(turned)
        let sil = evaluator.silhouette(out, camera: camera, edges: edges)
        let occluded = (0..<17).filter { !sil.boundaryVisible[$0] }
        XCTAssertFalse(occluded.isEmpty)
        XCTAssertTrue(occluded.allSatisfy { $0 >= 9 }, "only the far side (landmarks 9–16) turns away: \(occluded)")
        XCTAssertTrue(sil.edgeVertices.allSatisfy { ![.nose, .ears].contains(model.vertexRegions[$0]) })
        for case .vertex(let v) in sil.matches(sil.boundaryLandmarks) {
            XCTAssertTrue(sil.edgeVertices.contains(v))
        }
    }

    func testMissingFolderIsATypedError() {
        XCTAssertThrowsError(try ICTFaceKitImporter.load(URL(fileURLWithPath: "/nonexistent/ict"))) { error in
            guard case FaceModelError.missingEntry = error else { return XCTFail("\(error)") }
        }
    }
}

final class ICTFullModelTests: XCTestCase {
    func testFullModelKeepsEveryPartWithRegions() throws {
        let folder = try TestData.shared("models/ict-facekit")
        let model = try ICTFaceKitImporter.load(folder, maxIdentities: 2)
        XCTAssertEqual(model.vertexCount, 26719)
        XCTAssertEqual(model.identityCount, 2)
        XCTAssertEqual(model.vertexRegions[15000], .mouthInterior, "gums and tongue")
        XCTAssertEqual(model.vertexRegions[22000], .eyeballs)
        XCTAssertTrue([.scalp, .neck, .ears].contains(model.vertexRegions[10000]))
        // Silhouette candidates exclude interior parts.
        XCTAssertFalse(model.silhouetteMask[15000])
        XCTAssertTrue(model.silhouetteMask[0])
        // Identity deltas are metres: a PCA mode moves vertices by millimetres to centimetres.
        let maxDelta = model.identityBasis.map(abs).max()!
        XCTAssertGreaterThan(maxDelta, 0.001)
        XCTAssertLessThan(maxDelta, 0.1)
    }
}
