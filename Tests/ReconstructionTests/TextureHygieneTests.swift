import XCTest
import FaceModel
import Render
import Tensor
@testable import Reconstruction

final class TextureHygieneTests: XCTestCase {
    /// The embedded head with a known left-right symmetric texture, turned 35° and rendered under
    /// flat light over a saturated blue background with its landmarks: the completed texture holds
    /// no background colour anywhere, the seen side keeps the true colours, the hidden side is
    /// filled from the mirror with the true colours, and scalp and neck are plain skin.
    func testNoBackgroundInTextureAndUnseenSideFromMirror() throws {
        let head = EmbeddedHead.make()
        let evaluator = try FaceEvaluator(model: head)
        let d = 256
        // Truth: skin whose tone varies with |u − ½| and v (symmetric), values well away from blue.
        var truth = [Float]()
        for j in 0..<d {
            for i in 0..<d {
                let du = abs((Float(i) + 0.5) / Float(d) - 0.5), v = 1 - (Float(j) + 0.5) / Float(d)
                let f = 0.75 + 0.25 * sin(9 * du) * cos(4 * v)
                truth += [0.82 * f, 0.60 * f, 0.48 * f]
            }
        }
        let albedo = try TextureMap(width: d, height: d, channels: 3, data: truth)
        var code = FaceCode.neutral(for: head)
        code.setRotation([0, 0.61, 0], ofJoint: 0)
        let out = try evaluator.evaluate(code)
        let mesh = try RenderMesh(model: head, positions: out.vertices)
        let camera = OrthoCamera.framing(positions: out.vertices, width: 320, height: 320, fill: 0.85)
        let flat = try SphericalHarmonics(monochrome: [1 / SphericalHarmonics.constants[0], 0, 0, 0, 0, 0, 0, 0, 0])
        let background = try TextureMap(width: 320, height: 320, fill: [0.05, 0.1, 0.95])
        let photo = try Renderer(width: 320, height: 320)
            .render(mesh: mesh, scene: RenderScene(camera: camera, lighting: flat, albedo: albedo, background: background)).image
        let landmarks = out.landmarks.map { camera.project($0) }
        let view = AlbedoBlend.View(photo: photo, mesh: mesh, camera: camera, landmarks: landmarks)
        let atlas = try UVAtlas(mesh: RenderMesh(model: head), size: d)
        let blend = try AlbedoBlend.blend([view], atlas: atlas, model: head)
        let shipped = AlbedoModel.shipped(for: head).model
        let (texture, stats) = try TextureCompletion(albedoModel: shipped).complete(blend, atlas: atlas, model: head)
        XCTAssertEqual(stats.fill, shipped == nil ? "skin-tone" : "albedo-model")
        XCTAssertGreaterThan(stats.seen, 0.05)
        XCTAssertGreaterThan(stats.mirrored, 0.03, "the hidden cheek comes from the seen one")

        let regions = atlas.regions(of: head)
        let mirror = try UVMirror(mesh: RenderMesh(model: head), atlas: atlas)
        var blueish = 0, seenError: Float = 0, seenCount = 0, mirrorError: Float = 0, mirrorCount = 0
        var plain: [SIMD3<Float>] = []
        for t in 0..<(d * d) where atlas.triangleIndex[t] >= 0 {
            let c = SIMD3(texture.data[3 * t], texture.data[3 * t + 1], texture.data[3 * t + 2])
            // Blue dominating, or near the background colour (the sclera and teeth fills are pale, not blue).
            let b = c - SIMD3<Float>(0.05, 0.1, 0.95)
            if c.z > c.x || (b * b).sum() < 0.25 { blueish += 1 }
            let err = abs(c.x - truth[3 * t]) + abs(c.y - truth[3 * t + 1]) + abs(c.z - truth[3 * t + 2])
            if blend.weight[t] > 0 { seenError += err; seenCount += 1 }
            let m = Int(mirror.texel[t])
            if blend.weight[t] == 0, m >= 0, blend.weight[m] > 0, regions[t] == FaceRegion.face.rawValue {
                mirrorError += err; mirrorCount += 1
            }
            if regions[t] == FaceRegion.scalp.rawValue || regions[t] == FaceRegion.neck.rawValue { plain.append(c) }
        }
        XCTAssertEqual(blueish, 0, "background colour in the texture")
        XCTAssertLessThan(seenError / Float(3 * seenCount), 0.03)
        XCTAssertGreaterThan(mirrorCount, 500)
        XCTAssertLessThan(mirrorError / Float(3 * mirrorCount), 0.05)
        XCTAssertGreaterThan(plain.count, 1000)
        let skinLike = plain.filter { $0.x > $0.y && $0.y > $0.z && $0.x > 0.3 }.count
        XCTAssertGreaterThan(Float(skinLike) / Float(plain.count), 0.99, "scalp and neck are plain skin")
    }

    /// The mirror map of the embedded head pairs texels whose surface points are mirror images.
    func testUVMirrorPairsMirroredSurfacePoints() throws {
        let head = EmbeddedHead.make()
        let mesh = try RenderMesh(model: head)
        let atlas = try UVAtlas(mesh: mesh, size: 128)
        let mirror = try UVMirror(mesh: mesh, atlas: atlas)
        func point(_ t: Int) -> SIMD3<Float> {
            let f = Int(atlas.triangleIndex[t])
            var p = SIMD3<Float>(0, 0, 0)
            for k in 0..<3 {
                let v = Int(mesh.triangles[3 * f + k]), b: Float = atlas.barycentrics[3 * t + k]
                let corner = SIMD3<Float>(mesh.positions[3 * v], mesh.positions[3 * v + 1], mesh.positions[3 * v + 2])
                p += b * corner
            }
            return p
        }
        let regions = atlas.regions(of: head)
        var distances: [Float] = []
        for t in 0..<(128 * 128) where regions[t] == FaceRegion.face.rawValue {
            let m = Int(mirror.texel[t])
            guard m >= 0 else { continue }
            var q = point(m)
            q.x = -q.x
            distances.append(((point(t) - q) * (point(t) - q)).sum().squareRoot())
        }
        let faceTexels = regions.filter { $0 == FaceRegion.face.rawValue }.count
        XCTAssertGreaterThan(Float(distances.count), 0.95 * Float(faceTexels))
        distances.sort()
        XCTAssertLessThan(distances[distances.count / 2], 0.002, "median mirror error in metres")
        XCTAssertLessThan(distances[distances.count * 95 / 100], 0.006)
    }
    /// A photo that shows no skin (the head turned away from the camera) leaves the whole base to
    /// the albedo model: about the network's α when one is given ("network-albedo"), else the mean.
    func testNothingSeenFillsFromTheNetworksAlbedo() throws {
        let head = EmbeddedHead.make()
        guard let shipped = AlbedoModel.shipped(for: head).model else { throw XCTSkip("no shipped albedo model") }
        let d = shipped.size
        let atlas = try UVAtlas(mesh: RenderMesh(model: head), size: d)
        let blend = AlbedoBlend.Blend(texture: try TextureMap(width: d, height: d, fill: [0, 0, 0]),
                                      weight: [Float](repeating: 0, count: d * d), photoTexture: nil, coverage: 0)
        var g = SeededGenerator(seed: 5)
        let alpha = (0..<50).map { _ in 1.5 * g.normal() }
        let (texture, stats) = try TextureCompletion(albedoModel: shipped, albedoPrior: alpha).complete(blend, atlas: atlas, model: head)
        XCTAssertEqual(stats.fill, "network-albedo")
        XCTAssertEqual(stats.seen, 0)
        let expected = try shipped.evaluate(alpha), mean = try shipped.evaluate([])
        let regions = atlas.regions(of: head)
        var error: Float = 0, distance: Float = 0, n: Float = 0
        for t in 0..<(d * d) where regions[t] == FaceRegion.face.rawValue && shipped.domain[t] > 0 {
            for c in 0..<3 {
                error += abs(texture.data[3 * t + c] - min(max(expected.data[3 * t + c], 0), 1))
                distance += abs(mean.data[3 * t + c] - expected.data[3 * t + c])
            }
            n += 3
        }
        XCTAssertGreaterThan(n, 1000)
        XCTAssertLessThan(error / n, 0.002, "the face is the network's albedo")
        XCTAssertGreaterThan(distance / n, 0.02, "which is not the mean")
        let (_, meanStats) = try TextureCompletion(albedoModel: shipped).complete(blend, atlas: atlas, model: head)
        XCTAssertEqual(meanStats.fill, "skin-tone")
    }
}
