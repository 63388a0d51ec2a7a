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
