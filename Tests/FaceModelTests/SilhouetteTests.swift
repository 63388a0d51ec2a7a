import XCTest
@testable import FaceModel

final class SilhouetteTests: XCTestCase {
    let model = SyntheticModel.make(rings: 24, segments: 32, identityCount: 2, expressionCount: 2)

    func testSphereSilhouetteIsItsOutlineWithoutMaskedRegions() throws {
        let evaluator = try FaceEvaluator(model: model)
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        let camera = OrthoCamera(scale: 1000, translation: [128, 128])
        var code = FaceCode.neutral(for: model)
        code.setRotation([0, 0.6, 0], ofJoint: 0)  // yaw: a sphere's outline is still its great circle
        let out = try evaluator.evaluate(code)
        let all = evaluator.silhouette(out, camera: camera, edges: edges, mask: [Bool](repeating: true, count: model.vertexCount))
        XCTAssertGreaterThan(all.edgeVertices.count, 40)
        // The rigidly moved sphere centre: a₀ = J₀ − R₀ J₀ (the root's relative offset).
        let centre = out.skeleton.offsets[0]
        for v in all.edgeVertices {
            // Outline vertices lie within one grid edge (≤ 2πr/32) of the plane z = centre.z ...
            XCTAssertLessThan(abs(out.vertex(v).z - centre.z), 0.1 * 2 * Float.pi / 32)
            // ... and project within a grid step of the circle of radius s·r around the image of the centre.
            XCTAssertEqual(length2(camera.project(out.vertex(v)) - camera.project(centre)), 100, accuracy: 2.5)
        }
        // Frontal view: the outline crosses the synthetic ears (|x| > 9 cm), which Z removes.
        let front = try evaluator.evaluate(.neutral(for: model))
        let unmasked = evaluator.silhouette(front, camera: camera, edges: edges, mask: [Bool](repeating: true, count: model.vertexCount))
        let masked = evaluator.silhouette(front, camera: camera, edges: edges)
        XCTAssertLessThan(masked.edgeVertices.count, unmasked.edgeVertices.count)
                XCTAssertTrue(masked.edgeVertices.allSatisfy { ![.nose, .ears].contains(model.vertexRegions[$0]) })
        XCTAssertEqual(masked.edgePoints.count, masked.edgeVertices.count)
    }

    func testOcclusionAndMatchesFollowNormalSign() throws {
        let evaluator = try FaceEvaluator(model: model)
        let edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        let camera = OrthoCamera(scale: 1000, translation: [128, 128])
        let out = try evaluator.evaluate(.neutral(for: model))
        let sil = evaluator.silhouette(out, camera: camera, edges: edges)
        XCTAssertEqual(sil.boundaryLandmarks.count, 17)
        for i in 0..<17 where abs(out.landmarks[i].z) > 0.01 {
            // On a sphere centred at the origin the normal is the direction of the point
            // (away from the outline, where faceted normals and positions disagree in sign).
            XCTAssertEqual(sil.boundaryVisible[i], out.landmarks[i].z > 0)
        }
        let annotated = (0..<17).map { i in sil.boundaryLandmarks[i] + SIMD2(3, -2) }
        let matches = sil.matches(annotated)
        for i in 0..<17 {
            if sil.boundaryVisible[i] {
                XCTAssertEqual(matches[i], .landmark(i))
            } else {
                guard case .vertex(let v) = matches[i] else { return XCTFail("occluded landmark \(i) must match a vertex") }
                XCTAssertTrue(sil.edgeVertices.contains(v))
                let d = length2(camera.project(out.vertex(v)) - annotated[i])
                XCTAssertTrue(sil.edgePoints.allSatisfy { length2($0 - annotated[i]) >= d - 1e-3 })
            }
        }
        XCTAssertTrue(sil.boundaryVisible.contains(false) && sil.boundaryVisible.contains(true), "the fixture needs both cases")
        // Visible terms contribute exactly |3| + |−2| = 5 px each.
        let visible = sil.boundaryVisible.filter { $0 }.count
        XCTAssertGreaterThanOrEqual(sil.loss(annotated), 5 * Float(visible) - 1e-3)
    }

    func testLandmarkMarchingRowFollowsYaw() {
        let contour = DynamicContour(yawDegrees: (0...39).map(Float.init) + (1...39).map { -Float($0) },
                                     embeddings: [[LandmarkEmbedding]](repeating: [], count: 79))
        XCTAssertEqual(contour.row(forYawDegrees: 12.4), 12)
        XCTAssertEqual(contour.row(forYawDegrees: 80), 39)
        XCTAssertEqual(contour.row(forYawDegrees: -1.2), 40)
        XCTAssertEqual(contour.row(forYawDegrees: -70), 78)
        var sk = PosedSkeleton(restJoints: [.zero, .zero], localRotations: [.identity, .identity],
                               globalRotations: [Rodrigues.matrix([0, 0.3, 0]), Rodrigues.matrix([0, 0.5, 0])],
                               posedJoints: [.zero, .zero], offsets: [.zero, .zero])
        XCTAssertEqual(sk.yawDegrees, 0.5 * 180 / .pi, accuracy: 1e-3)
        sk.globalRotations[1] = Rodrigues.matrix([0, -0.2, 0])
        XCTAssertEqual(sk.yawDegrees, -0.2 * 180 / .pi, accuracy: 1e-3)
    }

    private func length2(_ v: SIMD2<Float>) -> Float { (v * v).sum().squareRoot() }
}
