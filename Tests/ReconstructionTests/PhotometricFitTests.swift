import XCTest
import Foundation
import FaceModel
import Render
@testable import Reconstruction

final class PhotometricFitTests: XCTestCase {
    /// Two photos rendered with one albedo under two SH lights: from a grey start, alternating least
    /// squares explains them (the albedo–light split of two views is not unique, so only the residual
    /// is checked); from the true albedo, the true lights and albedo are its fixed point.
    func testExplainsPhotosWithSharedAlbedoAndPerPhotoLight() throws {
        let model = SyntheticFace.model()
        let evaluator = try FaceEvaluator(model: model)
        // A smooth pattern (the fit samples the nearest texel, the renderer bilinearly).
        var pattern = [Float]()
        for j in 0..<32 {
            for i in 0..<32 {
                let u = (Float(i) + 0.5) / 32, v = 1 - (Float(j) + 0.5) / 32
                let f = 0.7 + 0.3 * sin(2 * Float.pi * u) * cos(2 * Float.pi * v)
                pattern += [0.8 * f, 0.6 * f, 0.45 * f]
            }
        }
        let trueAlbedo = try TextureMap(width: 32, height: 32, channels: 3, data: pattern)
        let lights = [SphericalHarmonics.studio,
                      try SphericalHarmonics(monochrome: [1.6, 0.4, -0.1, 0.3, 0, 0.05, 0, 0.05, -0.05])]
        var views: [AlbedoBlend.View] = []
        for (yaw, light) in zip([Float(0), 0.5], lights) {
            var code = FaceCode.neutral(for: model)
            code.setRotation([0, yaw, 0], ofJoint: 0)
            let mesh = try RenderMesh(model: model, positions: evaluator.evaluate(code).vertices)
            let photo = try Renderer(width: 256, height: 256)
                .render(mesh: mesh, scene: RenderScene(camera: SyntheticFace.camera, lighting: light, albedo: trueAlbedo)).image
            views.append(AlbedoBlend.View(photo: photo, mesh: mesh, camera: SyntheticFace.camera))
        }
        let result = try PhotometricFit.fit(views, model: model, initialAlbedo: TextureMap(width: 32, height: 32, fill: [0.5, 0.5, 0.5]),
                                            rounds: 30, stride: 1)
        XCTAssertGreaterThan(result.samples, 1000)
        XCTAssertLessThan(result.rmsAfter, 0.02)
        XCTAssertLessThan(result.rmsAfter, 0.3 * result.rmsBefore)
        // Started from the true albedo, the truth is a fixed point: the lights come out exactly (up to
        // the common scale) and the albedo keeps its pattern.
        let exact = try PhotometricFit.fit(views, model: model, initialAlbedo: trueAlbedo, rounds: 3, stride: 1)
        XCTAssertLessThan(exact.rmsBefore, 0.01)
        let seen = try views.map { Set(try PhotometricFit.gather($0, model: model, size: 32, step: 1).map { Int($0.texel) }) }
        let covered = Array(seen[0].union(seen[1]))
        XCTAssertGreaterThan(covered.count, 100)
        for c in 0..<3 {
            let x = covered.map { trueAlbedo.data[3 * $0 + c] }, y = covered.map { exact.albedo.data[3 * $0 + c] }
            XCTAssertGreaterThan(correlation(x, y), 0.97, "channel \(c)")
        }
        for (estimate, truth) in zip(exact.lights, lights) {
            for band in 1..<9 {
                XCTAssertEqual(estimate.coefficients[3 * band] / estimate.coefficients[0],
                               truth.coefficients[3 * band] / truth.coefficients[0], accuracy: 0.02, "band \(band)")
            }
        }
    }

    private func correlation(_ x: [Float], _ y: [Float]) -> Float {
        let mx = x.reduce(0, +) / Float(x.count), my = y.reduce(0, +) / Float(y.count)
        let sxy = zip(x, y).reduce(Float(0)) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(Float(0)) { $0 + ($1 - mx) * ($1 - mx) }, syy = y.reduce(Float(0)) { $0 + ($1 - my) * ($1 - my) }
        return sxy / (sxx * syy).squareRoot()
    }
}
