import XCTest
@testable import Render

/// Finite-difference checks of `Renderer.backward` at fixed visibility (the map it
/// differentiates): every input kind — vertex positions, camera, SH lighting, albedo texture and
/// displacement map — against central differences of a masked L2 photometric loss in Double.
final class RenderGradientTests: XCTestCase {
    struct Problem {
        var mesh: RenderMesh
        var scene: RenderScene
        let renderer: Renderer
        let target: TextureMap
        let visibility: Rasterization
        let mask: [Float]

        /// L(inputs) at fixed visibility, accumulated in Double.
        func loss(mesh: RenderMesh? = nil, scene: RenderScene? = nil) -> Double {
            let out = try! renderer.render(mesh: mesh ?? self.mesh, scene: scene ?? self.scene,
                                           fixedVisibility: visibility)
            let total = mask.reduce(0, +)
            var sum = 0.0
            for p in 0..<(renderer.width * renderer.height) where mask[p] != 0 {
                for c in 0..<3 {
                    let r = Double(out.image.data[3 * p + c]) - Double(target.data[3 * p + c])
                    sum += Double(mask[p]) * r * r
                }
            }
            return sum / Double(total)
        }

        func gradients() throws -> RenderGradients {
            let out = try renderer.render(mesh: mesh, scene: scene, fixedVisibility: visibility)
            let (_, dImage) = try PhotometricLoss.evaluate(rendered: out.image, target: target, mask: mask, norm: .l2)
            return try renderer.backward(mesh: mesh, scene: scene, output: out, imageGradient: dImage)
        }
    }

    /// A 24×18 procedural head at 64×64, coloured lighting, a smooth displacement map and a
    /// target rendered with other lighting and albedo, so residuals are non-zero everywhere.
    func makeProblem(displacement: Bool) throws -> Problem {
        let mesh = ProceduralHead.mesh(longitudes: 24, latitudes: 18)
        let renderer = try Renderer(width: 64, height: 64)
        let camera = OrthographicCamera.framing(positions: mesh.positions, width: 64, height: 64)
        let light = try SphericalHarmonics(coefficients: (0..<27).map { i in
            i < 3 ? 2.0 + 0.1 * Float(i) : 0.3 * sin(Float(i) * 1.7) })
        var disp: TextureMap?
        if displacement {
            let d = 32
            disp = try TextureMap(width: d, height: d, channels: 1, data: (0..<(d * d)).map { k in
                0.004 * sin(Float(k % d) * 0.5) * cos(Float(k / d) * 0.4) })
        }
        let scene = RenderScene(camera: camera, lighting: light, albedo: ProceduralHead.checkerAlbedo(size: 32),
                                displacement: disp)
        var targetScene = scene
        targetScene.lighting = .studio
        targetScene.albedo = try TextureMap(width: 8, height: 8, channels: 3,
                                            data: (0..<192).map { 0.5 + 0.3 * sin(Float($0)) })
        let target = try renderer.render(mesh: mesh, scene: targetScene)
        let visibility = try renderer.render(mesh: mesh, scene: scene).rasterization
        // Keep pixels whose triangle is well inside (all barycentrics ≥ 0.02) so that moving a
        // vertex by ε cannot move the pixel to another triangle in the finite differences either.
        var mask = [Float](repeating: 0, count: 64 * 64)
        for p in visibility.coveredPixels.map(Int.init) {
            let b = visibility.barycentrics[(3 * p)..<(3 * p + 3)]
            mask[p] = b.min()! >= 0.02 ? 1 : 0
        }
        return Problem(mesh: mesh, scene: scene, renderer: renderer, target: target.image,
                       visibility: visibility, mask: mask)
    }

    func assertClose(_ analytic: Float, _ numeric: Double, scale: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        let err = abs(Double(analytic) - numeric)
        XCTAssertLessThanOrEqual(err, 0.02 * abs(numeric) + 1e-3 * scale,
                                 "\(what): analytic \(analytic) numeric \(numeric)", file: file, line: line)
    }

    func testLightingAndCameraGradients() throws {
        let problem = try makeProblem(displacement: false)
        let g = try problem.gradients()
        let scaleL = Double(g.lighting.map { abs($0) }.max()!)
        XCTAssertGreaterThan(scaleL, 1e-4)
        for k in 0..<27 {
            let eps: Float = 1e-2
            var plus = problem.scene, minus = problem.scene
            plus.lighting.coefficients[k] += eps
            minus.lighting.coefficients[k] -= eps
            let numeric = (problem.loss(scene: plus) - problem.loss(scene: minus)) / Double(2 * eps)
            assertClose(g.lighting[k], numeric, scale: scaleL, "lighting[\(k)]")
        }
        let eps: Float = 1e-3
        var plus = problem.scene, minus = problem.scene
        plus.camera.scale *= 1 + eps
        minus.camera.scale *= 1 - eps
        let ds = Double(plus.camera.scale - minus.camera.scale)
        let numericS = (problem.loss(scene: plus) - problem.loss(scene: minus)) / ds
        assertClose(g.cameraScale, numericS, scale: abs(numericS), "camera scale")
        for axis in 0..<2 {
            var plus = problem.scene, minus = problem.scene
            plus.camera.translation[axis] += 0.01
            minus.camera.translation[axis] -= 0.01
            let numeric = (problem.loss(scene: plus) - problem.loss(scene: minus)) / 0.02
            assertClose(g.cameraTranslation[axis], numeric, scale: abs(numeric) + 1e-3, "translation[\(axis)]")
        }
    }

    func testAlbedoGradient() throws {
        let problem = try makeProblem(displacement: false)
        let g = try problem.gradients()
        let scale = Double(g.albedo.map { abs($0) }.max()!)
        XCTAssertGreaterThan(scale, 1e-5)
        // The texels with the largest gradients plus a spread of others (including zero ones).
        let ranked = g.albedo.indices.sorted { abs(g.albedo[$0]) > abs(g.albedo[$1]) }
        for i in Array(ranked.prefix(10)) + stride(from: 5, to: g.albedo.count, by: 311) {
            var plus = problem.scene, minus = problem.scene
            plus.perturbAlbedo(i, 0.05)
            minus.perturbAlbedo(i, -0.05)
            let numeric = (problem.loss(scene: plus) - problem.loss(scene: minus)) / 0.1
            assertClose(g.albedo[i], numeric, scale: scale, "albedo[\(i)]")
        }
    }

    func testPositionGradients() throws {
        for withDisplacement in [false, true] {
            let problem = try makeProblem(displacement: withDisplacement)
            let g = try problem.gradients()
            let scale = Double(g.positions.map { abs($0) }.max()!)
            XCTAssertGreaterThan(scale, 1e-3)
            let ranked = g.positions.indices.sorted { abs(g.positions[$0]) > abs(g.positions[$1]) }
            for i in Array(ranked.prefix(12)) + stride(from: 7, to: g.positions.count, by: 97) {
                let eps: Float = 2e-5
                var plus = problem.mesh, minus = problem.mesh
                plus.positions[i] += eps
                minus.positions[i] -= eps
                let numeric = (problem.loss(mesh: plus) - problem.loss(mesh: minus)) / Double(2 * eps)
                assertClose(g.positions[i], numeric, scale: scale,
                            "position[\(i)] displacement=\(withDisplacement)")
            }
        }
    }

    func testDisplacementGradient() throws {
        let problem = try makeProblem(displacement: true)
        let g = try problem.gradients()
        let gd = try XCTUnwrap(g.displacement)
        let scale = Double(gd.map { abs($0) }.max()!)
        XCTAssertGreaterThan(scale, 1e-4)
        let ranked = gd.indices.sorted { abs(gd[$0]) > abs(gd[$1]) }
        for i in Array(ranked.prefix(10)) + stride(from: 3, to: gd.count, by: 37) {
            let eps: Float = 1e-4
            var plus = problem.scene, minus = problem.scene
            plus.displacement!.data[i] += eps
            minus.displacement!.data[i] -= eps
            let numeric = (problem.loss(scene: plus) - problem.loss(scene: minus)) / Double(2 * eps)
            assertClose(gd[i], numeric, scale: scale, "displacement[\(i)]")
        }
    }

    func testPhotometricLossGradient() throws {
        let rendered = try TextureMap(width: 4, height: 3, channels: 3, data: (0..<36).map { sin(Float($0)) })
        let target = try TextureMap(width: 4, height: 3, channels: 3, data: (0..<36).map { cos(Float($0)) })
        let mask: [Float] = [1, 0, 1, 1, 0.5, 1, 0, 1, 1, 1, 1, 0]
        for norm in [PhotometricLoss.Norm.l1, .l2] {
            let (value, grad) = try PhotometricLoss.evaluate(rendered: rendered, target: target, mask: mask, norm: norm)
            XCTAssertGreaterThan(value, 0)
            for i in 0..<36 {
                var plus = rendered, minus = rendered
                plus.data[i] += 1e-3
                minus.data[i] -= 1e-3
                let lp = try PhotometricLoss.evaluate(rendered: plus, target: target, mask: mask, norm: norm).value
                let lm = try PhotometricLoss.evaluate(rendered: minus, target: target, mask: mask, norm: norm).value
                XCTAssertEqual(grad[i], (lp - lm) / 2e-3, accuracy: 2e-3, "\(norm) [\(i)]")
            }
        }
        XCTAssertThrowsError(try PhotometricLoss.evaluate(rendered: rendered, target: target, mask: [1]))
    }
}

extension RenderScene {
    mutating func perturbAlbedo(_ i: Int, _ delta: Float) { albedo.data[i] += delta }
}
