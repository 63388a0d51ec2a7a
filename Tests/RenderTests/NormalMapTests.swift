import FaceModel
import XCTest
@testable import Render

/// `TextureMap.normalMap`: analytic normals of linear displacements on planar patches, the flat
/// value for a flat map, and the normal map read back in a tangent frame built here from the mesh
/// reproduces the renderer's bump-mapped normals and shading on the embedded head.
final class NormalMapTests: XCTestCase {
    /// An n×n grid over UV [0, 1]² placed at position(u, v); `flipWinding` reverses the triangles.
    static func patch(n: Int = 8, flipWinding: Bool = false, _ position: (Float, Float) -> SIMD3<Float>) throws -> RenderMesh {
        var positions: [Float] = [], uvs: [Float] = [], triangles: [Int32] = []
        for j in 0...n {
            for i in 0...n {
                let u = Float(i) / Float(n), v = Float(j) / Float(n), p = position(u, v)
                positions += [p.x, p.y, p.z]
                uvs += [u, v]
            }
        }
        for j in 0..<n {
            for i in 0..<n {
                let a = Int32(j * (n + 1) + i), b = a + 1, c = a + Int32(n + 2), d = a + Int32(n + 1)
                triangles += flipWinding ? [a, c, b, a, d, c] : [a, b, c, a, c, d]
            }
        }
        return try RenderMesh(positions: positions, triangles: triangles, uvs: uvs, uvTriangles: triangles)
    }

    /// D(u, v) = a·u + b·v sampled at the centres of a d×d map.
    static func ramp(a: Float, b: Float, size d: Int) throws -> TextureMap {
        try TextureMap(width: d, height: d, channels: 1, data: (0..<(d * d)).map { k in
            a * (Float(k % d) + 0.5) / Float(d) + b * (1 - (Float(k / d) + 0.5) / Float(d))
        })
    }

    static func decoded(_ map: TextureMap, texel k: Int) -> SIMD3<Float> {
        SIMD3(map.data[3 * k], map.data[3 * k + 1], map.data[3 * k + 2]) * 2 - 1
    }

    /// A sheared patch x = s_x u + k v, y = s_y v (P_u = (s_x, 0, 0), P_v = (k, s_y, 0)) under the
    /// height h = a u + b v has the normal ∝ (−∂h/∂x, −∂h/∂y, 1) with ∂h/∂x = a/s_x and
    /// ∂h/∂y = b/s_y − a k/(s_x s_y); in the frame T = x̂, B = ŷ those are the map's components.
    /// Mirrored UVs (u running along −x) keep the tangent-space values: T follows +u, B = w·N×T +v.
    func testLinearRampsGiveTheAnalyticNormal() throws {
        let sx: Float = 0.05, sy: Float = 0.08, k: Float = 0.02, a: Float = 0.004, b: Float = -0.006, d = 32
        let displacement = try Self.ramp(a: a, b: b, size: d)
        let hx = a / sx, hy = b / sy - a * k / (sx * sy)
        let expected = SIMD3<Float>(-hx, -hy, 1) / (hx * hx + hy * hy + 1).squareRoot()
        let sheared = try Self.patch { u, v in SIMD3(sx * u + k * v, sy * v, 0) }
        let map = try TextureMap.normalMap(displacement: displacement, mesh: sheared)
        XCTAssertEqual([map.width, map.height, map.channels], [d, d, 3])
        for texel in 0..<(d * d) {
            let n = Self.decoded(map, texel: texel)
            for c in 0..<3 { XCTAssertEqual(n[c], expected[c], accuracy: 2e-5, "texel \(texel) component \(c)") }
        }
        // Mirrored u, winding flipped so the face still looks along +z: the same tangent-space normal.
        let mirrored = try Self.patch(flipWinding: true) { u, v in SIMD3(-sx * u, sy * v, 0) }
        let straight = SIMD3<Float>(-a / sx, -b / sy, 1) / ((a / sx) * (a / sx) + (b / sy) * (b / sy) + 1).squareRoot()
        let mirroredMap = try TextureMap.normalMap(displacement: displacement, mesh: mirrored)
        for texel in stride(from: 0, to: d * d, by: 7) {
            let n = Self.decoded(mirroredMap, texel: texel)
            for c in 0..<3 { XCTAssertEqual(n[c], straight[c], accuracy: 2e-5, "mirrored texel \(texel)") }
        }
        // A rotated copy of the patch: tangent space does not see the rotation.
        let r = Rodrigues.matrix(SIMD3(0.4, -0.9, 0.3))
        let rotated = try Self.patch { u, v in r * SIMD3(sx * u + k * v, sy * v, 0) }
        let rotatedMap = try TextureMap.normalMap(displacement: displacement, mesh: rotated)
        for (x, y) in zip(rotatedMap.data, map.data) { XCTAssertEqual(x, y, accuracy: 2e-5) }
    }

    /// A constant D has no slope: every texel, in the charts or not, is exactly (0.5, 0.5, 1).
    func testFlatDisplacementIsTheFlatNormalEverywhere() throws {
        let mesh = try RenderMesh(model: EmbeddedHead.make())
        let map = try TextureMap.normalMap(displacement: try TextureMap(width: 64, height: 64, fill: [0.003]), mesh: mesh)
        for texel in 0..<(64 * 64) { XCTAssertEqual(map.data[(3 * texel)..<(3 * texel + 3)], [0.5, 0.5, 1]) }
        XCTAssertThrowsError(try TextureMap.normalMap(displacement: try TextureMap(width: 64, height: 32, fill: [0]), mesh: mesh))
        XCTAssertThrowsError(try TextureMap.normalMap(displacement: try TextureMap(width: 8, height: 8, fill: [0, 0]), mesh: mesh))
    }

    /// The embedded head with a smooth 1 mm displacement: at rendered pixels whose bilinear
    /// footprint lies in the charts, the normal map sampled at the pixel's UV and rebuilt as
    /// x·T + y·B + z·N (frame from the mesh, computed here) matches the renderer's bump-mapped
    /// normal and its SH shading; texels outside the charts are flat.
    func testNormalMapReproducesTheRenderersBumpMapping() throws {
        let model = EmbeddedHead.make()
        let mesh = try RenderMesh(model: model)
        let d = 256
        let displacement = try TextureMap(width: d, height: d, channels: 1, data: (0..<(d * d)).map { k in
            let u = (Float(k % d) + 0.5) / Float(d), v = 1 - (Float(k / d) + 0.5) / Float(d)
            return 0.001 * sin(2 * .pi * 6 * u) * cos(2 * .pi * 5 * v)
        })
        let atlas = try UVAtlas(mesh: mesh, size: d)
        let map = try TextureMap.normalMap(displacement: displacement, mesh: mesh, atlas: atlas)
        for texel in 0..<(d * d) where atlas.triangleIndex[texel] < 0 {
            XCTAssertEqual(map.data[(3 * texel)..<(3 * texel + 3)], [0.5, 0.5, 1])
        }
        let renderer = try Renderer(width: 160, height: 160)
        let camera = OrthoCamera.framing(positions: mesh.positions, width: 160, height: 160)
        let scene = RenderScene(camera: camera, albedo: try TextureMap(width: 1, height: 1, fill: [1, 1, 1]), displacement: displacement)
        let out = try renderer.render(mesh: mesh, scene: scene)
        var errors: [Float] = [], tilts: [Float] = [], shadingErrors: [Float] = []
        for (f, p32) in out.rasterization.coveredPixels.enumerated() {
            let p = Int(p32), t = Int(out.rasterization.triangleIndex[p])
            let u = out.uv[2 * f], v = out.uv[2 * f + 1], tap = map.tap(u: u, v: v)
            guard [tap.i00, tap.i10, tap.i01, tap.i11].allSatisfy({ atlas.triangleIndex[$0] >= 0 }) else { continue }
            let ns = SIMD3(out.smoothNormal[4 * f], out.smoothNormal[4 * f + 1], out.smoothNormal[4 * f + 2])
            let sampled = map.sample(u: u, v: v).map { 2 * $0 - 1 }
            let frame = Self.frame(mesh: mesh, triangle: t, normal: ns)
            var rebuilt = sampled[0] * frame.t + sampled[1] * frame.b + sampled[2] * ns
            rebuilt /= (rebuilt * rebuilt).sum().squareRoot()
            let rendered = SIMD3(out.normal[3 * f], out.normal[3 * f + 1], out.normal[3 * f + 2])
            errors.append(acos(min(1, (rebuilt * rendered).sum())))
            tilts.append(acos(min(1, (ns * rendered).sum())))
            let shade = scene.lighting.shading(normal: rebuilt)
            shadingErrors.append((0..<3).map { abs(shade[$0] - out.shading[3 * f + $0]) }.max()!)
        }
        XCTAssertGreaterThan(errors.count, 3000, "pixels checked")
        let sortedErrors = errors.sorted(), sortedTilts = tilts.sorted()
        let median = sortedErrors[errors.count / 2], p95 = sortedErrors[errors.count * 95 / 100]
        let medianTilt = sortedTilts[tilts.count / 2]
        XCTAssertGreaterThan(medianTilt, 0.03, "the bump tilts the normals by \(medianTilt) rad (median)")
        XCTAssertLessThan(median, 0.06 * medianTilt, "median angle between map and renderer normals")
        XCTAssertLessThan(p95, 0.25 * medianTilt, "95th percentile angle")
        XCTAssertLessThan(shadingErrors.sorted()[shadingErrors.count * 95 / 100], 0.01, "SH shading (95th percentile)")
    }

    /// T = normalize(P_u − (P_u·N)N), B = sign(δ)·N × T with P_u from the triangle's 3-D and UV edges.
    static func frame(mesh: RenderMesh, triangle t: Int, normal n: SIMD3<Float>) -> (t: SIMD3<Float>, b: SIMD3<Float>) {
        func corner(_ k: Int) -> (p: SIMD3<Float>, uv: SIMD2<Float>) {
            let v = Int(mesh.triangles[3 * t + k]), w = Int(mesh.uvTriangles[3 * t + k])
            return (SIMD3(mesh.positions[3 * v], mesh.positions[3 * v + 1], mesh.positions[3 * v + 2]),
                    SIMD2(mesh.uvs[2 * w], mesh.uvs[2 * w + 1]))
        }
        let c0 = corner(0), c1 = corner(1), c2 = corner(2)
        let e1 = c1.p - c0.p, e2 = c2.p - c0.p, d1 = c1.uv - c0.uv, d2 = c2.uv - c0.uv
        let delta = d1.x * d2.y - d2.x * d1.y
        let pu = (d2.y * e1 - d1.y * e2) / delta
        var tangent = pu - (pu * n).sum() * n
        tangent /= (tangent * tangent).sum().squareRoot()
        let b = SIMD3(n.y * tangent.z - n.z * tangent.y, n.z * tangent.x - n.x * tangent.z, n.x * tangent.y - n.y * tangent.x)
        return (tangent, delta > 0 ? b : -b)
    }
}
