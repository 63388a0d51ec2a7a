import XCTest
import FaceModel
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
    func makeProblem(displacement: Bool, rotation: Mat3 = .identity) throws -> Problem {
        let mesh = ProceduralHead.mesh(longitudes: 24, latitudes: 18)
        let renderer = try Renderer(width: 64, height: 64)
        var camera = OrthoCamera.framing(positions: mesh.positions, width: 64, height: 64)
        camera.rotation = rotation
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

    /// Compares `analytic` with central differences (loss(i, +ε) − loss(i, −ε))/2ε at the `top`
    /// entries with the largest gradients and every `every`-th entry (zeros included).
    func checkFiniteDifferences(_ analytic: [Float], top: Int, every: Int, eps: Float, _ what: String,
                                loss: (Int, Float) -> Double, file: StaticString = #filePath, line: UInt = #line) {
        let scale = Double(analytic.map { abs($0) }.max() ?? 0)
        XCTAssertGreaterThan(scale, 1e-5, "\(what): gradient is all zero", file: file, line: line)
        let ranked = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }
        for i in Array(ranked.prefix(top)) + stride(from: every / 2, to: analytic.count, by: every) {
            let numeric = (loss(i, eps) - loss(i, -eps)) / Double(2 * eps)
            assertClose(analytic[i], numeric, scale: scale, "\(what)[\(i)]", file: file, line: line)
        }
    }

    func testRotatedCameraGradients() throws {
        let yaw16 = Mat3(rows: [0.96, 0, 0.28], [0, 1, 0], [-0.28, 0, 0.96])
        for r in [yaw16, .identity] {
            let problem = try makeProblem(displacement: false, rotation: r)
            let g = try problem.gradients()
            if r != .identity {
                checkFiniteDifferences(g.positions, top: 8, every: 131, eps: 2e-5, "positions (rotated)") { i, eps in
                    var mesh = problem.mesh
                    mesh.positions[i] += eps
                    return problem.loss(mesh: mesh)
                }
            }
            checkFiniteDifferences(g.cameraRotation.flat, top: 9, every: 100, eps: 1e-4, "rotation") { i, eps in
                var flat = r.flat
                flat[i] += eps
                var scene = problem.scene
                scene.camera.rotation = Mat3(rows: [flat[0], flat[1], flat[2]], [flat[3], flat[4], flat[5]],
                                             [flat[6], flat[7], flat[8]])
                return problem.loss(scene: scene)
            }
        }
    }

    func testAlbedoGradient() throws {
        let problem = try makeProblem(displacement: false)
        let g = try problem.gradients()
        checkFiniteDifferences(g.albedo, top: 10, every: 311, eps: 0.05, "albedo") { i, eps in
            var scene = problem.scene
            scene.albedo.data[i] += eps
            return problem.loss(scene: scene)
        }
    }

    func testPositionGradients() throws {
        for withDisplacement in [false, true] {
            let problem = try makeProblem(displacement: withDisplacement)
            let g = try problem.gradients()
            checkFiniteDifferences(g.positions, top: 12, every: 97, eps: 2e-5,
                                   "positions (displacement \(withDisplacement))") { i, eps in
                var mesh = problem.mesh
                mesh.positions[i] += eps
                return problem.loss(mesh: mesh)
            }
        }
    }

    func testDisplacementGradient() throws {
        let problem = try makeProblem(displacement: true)
        let g = try problem.gradients()
        checkFiniteDifferences(try XCTUnwrap(g.displacement), top: 10, every: 37, eps: 1e-4, "displacement") { i, eps in
            var scene = problem.scene
            scene.displacement!.data[i] += eps
            return problem.loss(scene: scene)
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

