import FaceModel
import XCTest
@testable import Render

final class UVUnwrapTests: XCTestCase {
    /// A photo whose colour is an affine function of the pixel position (reproduced exactly by
    /// bilinear sampling): (x/128, y/128, 0.5).
    static func rampPhoto(size: Int = 128) throws -> TextureMap {
        var data = [Float](repeating: 0.5, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                data[(y * size + x) * 3] = (Float(x) + 0.5) / Float(size)
                data[(y * size + x) * 3 + 1] = (Float(y) + 0.5) / Float(size)
            }
        }
        return try TextureMap(width: size, height: size, channels: 3, data: data)
    }

    func texel(_ u: Float, _ v: Float, size: Int) -> Int {
        Int((1 - v) * Float(size)) * size + Int(u * Float(size))
    }

    func testVisibilityFlagsAndColours() throws {
        let mesh = try RasterizerTests.twoQuads()
        let atlas = try UVAtlas(mesh: mesh, size: 64)
        let photo = try Self.rampPhoto()
        let camera = OrthoCamera(scale: 50, translation: [64, 64])
        let unwrapped = try UVUnwrapper.unwrap(photo: photo, mesh: mesh, camera: camera, atlas: atlas)
        let d = 64
        // Big quad: UV [0, ½]², model x = 4u − 1, y = 4v − 1. Its centre is behind the small quad.
        XCTAssertEqual(unwrapped.status[texel(0.25, 0.25, size: d)], .occluded)
        let corner = texel(0.05, 0.05, size: d)
        XCTAssertEqual(unwrapped.status[corner], .visible)
        // The texel centre u = (i + ½)/64 maps to model x = 4u − 1 and pixel 64 + 50x.
        let u = (Float(corner % d) + 0.5) / Float(d), v = 1 - (Float(corner / d) + 0.5) / Float(d)
        let px = 64 + 50 * (4 * u - 1), py = 64 - 50 * (4 * v - 1)
        XCTAssertEqual(unwrapped.texture.data[3 * corner], px / 128, accuracy: 1e-4)
        XCTAssertEqual(unwrapped.texture.data[3 * corner + 1], py / 128, accuracy: 1e-4)
        // Small quad: UV [½, 1]², fully visible. Outside both charts: flagged.
        XCTAssertEqual(unwrapped.status[texel(0.75, 0.75, size: d)], .visible)
        XCTAssertEqual(unwrapped.status[texel(0.75, 0.25, size: d)], .outsideCharts)
        XCTAssertEqual(unwrapped.texture.data[3 * texel(0.75, 0.25, size: d)], 0)

        let shifted = OrthoCamera(scale: 50, translation: [0, 64])
        let half = try UVUnwrapper.unwrap(photo: photo, mesh: mesh, camera: shifted, atlas: atlas)
        XCTAssertEqual(half.status[corner], .outOfFrame)
        let turned = OrthoCamera(scale: 50, translation: [64, 64], rotation: Rodrigues.matrix([0, .pi, 0]))
        let back = try UVUnwrapper.unwrap(photo: photo, mesh: mesh, camera: turned, atlas: atlas)
        XCTAssertEqual(back.status[corner], .backFacing)
        XCTAssertEqual(back.visibilityMask.reduce(0, +), 0)
    }

    func testTextureRoundTripThroughImage() throws {
        // Texture → image (reverse mapping) → texture (unwrap) reproduces a smooth albedo on the
        // visible, interior part of the head.
        let mesh = ProceduralHead.mesh(longitudes: 64, latitudes: 48)
        let size = 64
        var data = [Float](repeating: 0, count: size * size * 3)
        for k in 0..<(size * size) {
            let u = Float(k % size) / Float(size), v = Float(k / size) / Float(size)
            data[3 * k] = 0.5 + 0.3 * sin(6 * u)
            data[3 * k + 1] = 0.5 + 0.3 * cos(5 * v)
            data[3 * k + 2] = 0.4
        }
        let albedo = try TextureMap(width: size, height: size, channels: 3, data: data)
        let camera = OrthoCamera.framing(positions: mesh.positions, width: 256, height: 256, fill: 0.9)
        let image = try UVUnwrapper.textureToImage(albedo, mesh: mesh, camera: camera, width: 256, height: 256)
        // Only texels facing the camera well (n_z > 0.3): near the silhouette a texel's photo
        // footprint mixes in background.
        let unwrapped = try UVUnwrapper.unwrap(photo: image, mesh: mesh, camera: camera,
                                               atlas: UVAtlas(mesh: mesh, size: size), minimumFacing: 0.3)
        var errors: [Float] = []
        for k in 0..<(size * size) where unwrapped.status[k] == .visible {
            // Interior: all 8 neighbours visible too (silhouette texels blend with the background).
            let x = k % size, y = k / size
            guard x > 0, y > 0, x < size - 1, y < size - 1,
                  [-1, 0, 1].allSatisfy({ dy in [-1, 0, 1].allSatisfy { unwrapped.status[k + dy * size + $0] == .visible } })
            else { continue }
            for c in 0..<3 { errors.append(abs(unwrapped.texture.data[3 * k + c] - data[3 * k + c])) }
        }
        XCTAssertGreaterThan(errors.count, 3 * size * size / 6, "about a third of the head faces the camera")
        XCTAssertLessThan(errors.reduce(0, +) / Float(errors.count), 0.01)
        XCTAssertLessThan(errors.max()!, 0.06)
        let statuses = Set(unwrapped.status)
        XCTAssertTrue(statuses.isSuperset(of: [.visible, .backFacing]))
    }
}
