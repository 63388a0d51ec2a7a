import FaceModel
import Imaging
import XCTest
@testable import Render

final class PreviewAndMaskTests: XCTestCase {
    func testSkinMaskFollowsRegions() throws {
        let model = EmbeddedHead.make()
        let mask = try TextureMap.skinMask(for: model, size: 128)
        let kept = mask.data.filter { $0 == 1 }.count
        XCTAssertGreaterThan(kept, 128 * 128 / 10)
        XCTAssertLessThan(kept, 128 * 128)
        // Rendering with the mask: masked pixels are a strict, non-empty subset of the covered ones.
        let mesh = try RenderMesh(model: model)
        let renderer = try Renderer(width: 96, height: 96)
        let camera = OrthoCamera.framing(positions: mesh.positions, width: 96, height: 96)
        let albedo = try TextureMap(width: 1, height: 1, fill: [0.6, 0.5, 0.4])
        let out = try renderer.render(mesh: mesh, scene: RenderScene(camera: camera, albedo: albedo, skinMask: mask))
        let covered = out.rasterization.coveredPixels.count, masked = Int(out.mask.reduce(0, +))
        XCTAssertGreaterThan(masked, covered / 4)
        XCTAssertLessThan(masked, covered)
        for p in 0..<(96 * 96) where out.mask[p] == 1 { XCTAssertGreaterThanOrEqual(out.rasterization.triangleIndex[p], 0) }
        // Only skin regions inside the mask: check the triangles' vertex labels.
        let skin: Set<FaceRegion> = [.face, .nose, .lips, .ears]
        var inSkin = 0
        for p in 0..<(96 * 96) where out.mask[p] == 1 {
            let t = Int(out.rasterization.triangleIndex[p])
            let labels = (0..<3).map { model.vertexRegions[Int(model.triangles[3 * t + $0])] }
            inSkin += labels.contains(where: skin.contains) ? 1 : 0
        }
        XCTAssertEqual(inSkin, masked)
    }

    func testCompositingAndPreviews() throws {
        let mesh = try RasterizerTests.twoQuads()
        let camera = OrthoCamera(scale: 10, translation: [16, 16])
        let photo = Image(width: 32, height: 32, channels: 1, pixels: [UInt8](repeating: 200, count: 32 * 32))
        let grey = try Preview.grey(mesh: mesh, camera: camera, width: 32, height: 32, background: photo)
        XCTAssertEqual(grey.channels, 3)
        XCTAssertEqual(grey[0, 0, 0], 200, "the photo shows where nothing is drawn")
        // Shading of a camera-facing plane under the studio light: 0.75 × 0.8164 × 255 ≈ 156.
        XCTAssertEqual(Int(grey[16, 16, 1]), 156, accuracy: 1)
        let marked = Preview.landmarks(on: grey, points: [[3.5, 4.5]], colour: [255, 0, 0], radius: 1)
        XCTAssertEqual([marked[3, 4, 0], marked[3, 4, 1]], [255, 0])
        XCTAssertEqual(marked[6, 4, 0], grey[6, 4, 0])
        let sheet = Preview.contactSheet([grey, marked, Image(width: 10, height: 40, channels: 4)], gap: 2)
        XCTAssertEqual([sheet.width, sheet.height], [2 + 32 + 2 + 32 + 2 + 10 + 2, 40 + 4])
        XCTAssertEqual(sheet[36 + 3, 2 + 4, 0], 255, "the second image starts at x = 2 + 32 + 2")
        XCTAssertThrowsError(try Preview.grey(mesh: mesh, camera: camera, width: 16, height: 16, background: photo))
    }
}
