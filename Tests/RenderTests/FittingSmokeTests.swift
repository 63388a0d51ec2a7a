import FaceModel
import XCTest
@testable import Render

/// The gradients drive an actual fit: recover a camera shift and the SH lighting of a target
/// render by gradient descent on the masked L2 photometric loss, re-rasterising every step.
final class FittingSmokeTests: XCTestCase {
    func testRecoversCameraShiftAndLighting() throws {
        let mesh = ProceduralHead.mesh(longitudes: 32, latitudes: 24)
        let renderer = try Renderer(width: 64, height: 64)
        let albedo = ProceduralHead.checkerAlbedo(size: 64)
        let start = OrthoCamera.framing(positions: mesh.positions, width: 64, height: 64)
        var truth = RenderScene(camera: start, albedo: albedo)
        truth.camera.translation += [1.5, -1.0]
        truth.lighting.coefficients[3] += 0.4   // light from +x
        truth.lighting.coefficients[10] -= 0.3  // and less from the front, in green
        let target = try renderer.render(mesh: mesh, scene: truth)

        var scene = RenderScene(camera: start, albedo: albedo)
        var rateT: Float = 40, rateL: Float = 4
        var lastLoss = Float.infinity
        for step in 0..<150 {
            let out = try renderer.render(mesh: mesh, scene: scene)
            // Compare where both the render and the target show the head.
            let mask = zip(out.mask, target.mask).map { $0 * $1 }
            let (loss, dImage) = try PhotometricLoss.evaluate(rendered: out.image, target: target.image,
                                                              mask: mask, norm: .l2)
            let g = try renderer.backward(mesh: mesh, scene: scene, output: out, imageGradient: dImage)
            if loss > lastLoss * 1.5 { rateT *= 0.5; rateL *= 0.5 }
            lastLoss = loss
            scene.camera.translation -= rateT * g.cameraTranslation
            for k in 0..<27 { scene.lighting.coefficients[k] -= rateL * g.lighting[k] }
            if step == 149 { print("fit: loss \(loss), t error \(scene.camera.translation - truth.camera.translation)") }
        }
        let error = scene.camera.translation - truth.camera.translation
        XCTAssertLessThan(abs(error.x), 0.05)
        XCTAssertLessThan(abs(error.y), 0.05)
        // Single SH coefficients are not identifiable from the normals a head shows (1, z and
        // 3z² − 1 are nearly collinear for front-facing normals); the shading they produce is.
        for normal: SIMD3<Float> in [[0, 0, 1], [0.6, 0, 0.8], [-0.6, 0, 0.8], [0, 0.6, 0.8], [0, -0.6, 0.8]] {
            let fitted = scene.lighting.shading(normal: normal), wanted = truth.lighting.shading(normal: normal)
            let d = fitted - wanted
            XCTAssertLessThan(max(abs(d.x), abs(d.y), abs(d.z)), 0.01, "shading at \(normal)")
        }
        XCTAssertLessThan(lastLoss, 1e-4)
    }
}
