import FaceModel
import XCTest
@testable import Render

final class RasterizerTests: XCTestCase {
    /// Two quads facing the camera: a big one at z = 0 and a small one in front at z = 0.5.
    static func twoQuads() throws -> RenderMesh {
        let positions: [Float] = [-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0,
                                  -0.25, -0.25, 0.5, 0.25, -0.25, 0.5, 0.25, 0.25, 0.5, -0.25, 0.25, 0.5]
        let uvs: [Float] = [0, 0, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 1, 0.5, 1, 1, 0.5, 1]
        let quads: [Int32] = [0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7]  // counter-clockwise seen from +z
        return try RenderMesh(positions: positions, triangles: quads, uvs: uvs, uvTriangles: quads)
    }

    func testCoverageBarycentricsAndDepth() throws {
        let mesh = try Self.twoQuads()
        let camera = OrthoCamera(scale: 20, translation: [32, 32])
        let raster = Rasterizer.rasterize(mesh: mesh, camera: camera, width: 64, height: 64)
        // The big quad spans pixels 12..<52 in x and y: 40×40 pixel centres.
        XCTAssertEqual(raster.coveredPixels.count, 40 * 40)
        let screen = camera.project(positions: mesh.positions)
        for p in raster.coveredPixels.map(Int.init) {
            let t = Int(raster.triangleIndex[p])
            var reconstructed = SIMD2<Float>(0, 0)
            var z: Float = 0
            for k in 0..<3 {
                let v = Int(mesh.triangles[3 * t + k]), b = raster.barycentrics[3 * p + k]
                reconstructed += b * SIMD2(screen[2 * v], screen[2 * v + 1])
                z += b * mesh.positions[3 * v + 2]
            }
            XCTAssertEqual(reconstructed.x, Float(p % 64) + 0.5, accuracy: 1e-4)
            XCTAssertEqual(reconstructed.y, Float(p / 64) + 0.5, accuracy: 1e-4)
            XCTAssertEqual(raster.depth[p], z, accuracy: 1e-5)
        }
        // The small quad (pixels 27..<37) is nearer and wins the z-buffer.
        XCTAssertEqual(raster.triangleIndex[32 * 64 + 32] / 2, 1)
        XCTAssertEqual(raster.depth[32 * 64 + 32], 0.5, accuracy: 1e-6)
        XCTAssertEqual(raster.triangleIndex[15 * 64 + 15] / 2, 0)
        XCTAssertEqual(raster.triangleIndex[5 * 64 + 5], -1)
        // Image y is down: model +y (v = 1 corner) is at the top rows.
        let colours = raster.interpolate(mesh.positions, channels: 3, triangles: mesh.triangles)
        XCTAssertGreaterThan(colours[(13 * 64 + 30) * 3 + 1], 0.9)
    }

    func testBackFacesAreCulled() throws {
        let mesh = try Self.twoQuads()
        let turned = OrthoCamera(scale: 20, translation: [32, 32], rotation: Rodrigues.matrix([0, .pi, 0]))
        XCTAssertTrue(Rasterizer.rasterize(mesh: mesh, camera: turned, width: 64, height: 64).coveredPixels.isEmpty)
        let all = Rasterizer.rasterize(mesh: mesh, camera: turned, width: 64, height: 64, culling: .none)
        XCTAssertEqual(all.coveredPixels.count, 40 * 40)
    }

    func testClosedMeshHasNoCracks() throws {
        // Every pixel inside the projected outline of a closed mesh is covered exactly once.
        let mesh = ProceduralHead.mesh(longitudes: 40, latitudes: 30)
        let camera = OrthoCamera.framing(positions: mesh.positions, width: 96, height: 96)
        let raster = Rasterizer.rasterize(mesh: mesh, camera: camera, width: 96, height: 96)
        for y in 0..<96 {
            let row = (0..<96).map { raster.triangleIndex[y * 96 + $0] >= 0 }
            guard let first = row.firstIndex(of: true), let last = row.lastIndex(of: true) else { continue }
            XCTAssertTrue(row[first...last].allSatisfy { $0 }, "gap in row \(y)")
        }
    }

    func testBadInputGivesTypedErrors() throws {
        XCTAssertThrowsError(try RenderMesh(positions: [0, 0, 0], triangles: [0, 1, 2], uvs: [0, 0], uvTriangles: [0, 0, 0])) {
            XCTAssertEqual($0 as? RenderError, .invalidMesh("triangle vertex index 1 outside 0..<1"))
        }
        XCTAssertThrowsError(try Renderer(width: 0, height: 10))
        let mesh = try Self.twoQuads()
        let renderer = try Renderer(width: 16, height: 16)
        let grey = try TextureMap(width: 1, height: 1, fill: [0.5])
        XCTAssertThrowsError(try renderer.render(mesh: mesh, scene: RenderScene(
            camera: OrthoCamera(scale: 4, translation: [8, 8]), albedo: grey)))  // 1-channel albedo
        XCTAssertThrowsError(try renderer.render(mesh: mesh, scene: RenderScene(
            camera: OrthoCamera(scale: -1, translation: [8, 8]), albedo: try TextureMap(width: 1, height: 1, fill: [1, 1, 1]))))
    }

    func testSphericalHarmonicsConstants() throws {
        // DECA's constants, evaluated by hand: 1/√(4π), (2π/3)√(3/(4π)), …
        let c = SphericalHarmonics.constants
        XCTAssertEqual(c[0], 0.2820948, accuracy: 1e-6)
        XCTAssertEqual(c[1], 1.0233267, accuracy: 1e-6)
        XCTAssertEqual(c[4], 0.8580855, accuracy: 1e-6)
        XCTAssertEqual(c[7], 0.4290427, accuracy: 1e-6)
        XCTAssertEqual(c[8], 0.2477080, accuracy: 1e-6)
        // Studio light: 0.82 facing the camera, brighter from above than from below.
        let studio = SphericalHarmonics.studio
        XCTAssertEqual(studio.shading(normal: [0, 0, 1]).x, 0.5078 + 0.3582 - 0.0495, accuracy: 1e-3)
        XCTAssertGreaterThan(studio.shading(normal: [0, 1, 0]).x, studio.shading(normal: [0, -1, 0]).x)
    }
}
