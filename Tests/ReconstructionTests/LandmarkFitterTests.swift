import XCTest
import FaceModel
@testable import Reconstruction

final class LandmarkFitterTests: XCTestCase {
    /// Landmarks rendered from a known code are fitted back: camera, head rotation, jaw, ψ and β.
    func testRecoversKnownParametersFromExactLandmarks() throws {
        for mode in BoundaryMode.allCases { try recover(mode) }
    }

    private func recover(_ mode: BoundaryMode) throws {
        let model = SyntheticFace.model()
        let truth = SyntheticFace.code(model, head: [0.12, 0.15, -0.05])
        let targets = try FitTargets(SyntheticFace.targets(model, truth))
        var settings = FitSettings(boundary: mode)
        settings.identityPrior = 1e-4
        settings.expressionPrior = 1e-4
        settings.jawPrior = 1e-4
        settings.iterations = 60
        settings.tolerance = 1e-12
        let fit = try LandmarkFitter(model: model, settings: settings).fit(targets)
        let worst = zip(fit.landmarks, targets.points).map { ($0 - $1) * ($0 - $1) }.map { $0.sum().squareRoot() }.max()!
        XCTAssertLessThan(worst, 0.05, "landmark residual in pixels")
        XCTAssertEqual(fit.camera.scale, 1000, accuracy: 5)
        XCTAssertEqual(fit.camera.translation.x, 128, accuracy: 1)
        XCTAssertEqual(fit.camera.translation.y, 128, accuracy: 1)
        for c in 0..<3 { XCTAssertEqual(fit.code.pose[c], truth.pose[c], accuracy: 0.01, "head rotation \(c)") }
        XCTAssertEqual(fit.code.pose[6], truth.pose[6], accuracy: 0.02, "jaw")
        for (a, b) in zip(fit.code.identity, truth.identity) { XCTAssertEqual(a, b, accuracy: 0.05) }
        for (a, b) in zip(fit.code.expression, truth.expression) { XCTAssertEqual(a, b, accuracy: 0.05) }
        if mode == .silhouette {
            XCTAssertTrue(fit.boundary.allSatisfy { $0 == .landmark }, "every jaw landmark faces the camera at 9° of yaw")
        }
    }

    /// One identity fitted to several noisy views is closer to the truth than per-photo identities.
    func testSharedIdentityBeatsPerPhotoIdentity() throws {
        let model = SyntheticFace.model()
        let identity = SyntheticFace.code(model, head: .zero).identity
        let heads: [SIMD3<Float>] = [[0, -0.4, 0], [0.1, -0.2, 0.05], [-0.1, 0, 0], [0.05, 0.2, -0.05], [0, 0.4, 0.1]]
        let targets = try heads.enumerated().map { k, head in
            try FitTargets(SyntheticFace.targets(model, SyntheticFace.code(model, head: head, identity: identity, seed: 20 + UInt64(k)),
                                                 noise: 1.5, seed: 40 + UInt64(k)))
        }
        let fitter = try LandmarkFitter(model: model)
        func error(_ beta: [Float]) -> Float { zip(beta, identity).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }
        let shared = try fitter.fitShared(targets)
        let separate = try targets.map { try fitter.fit($0).code.identity }
        let separateError = separate.map(error).reduce(0, +) / Float(separate.count)
        XCTAssertEqual(shared.photos.count, 5)
        XCTAssertTrue(shared.photos.allSatisfy { $0.code.identity == shared.identity })
        XCTAssertLessThan(error(shared.identity), 0.7 * separateError,
                          "shared β error \(error(shared.identity)) vs mean per-photo \(separateError)")
    }

    /// With the true identity held fixed the fit recovers pose and expression and keeps β exactly;
    /// a wrong-sized identity is a typed error.
    func testFixedIdentityFitKeepsTheIdentity() throws {
        let model = SyntheticFace.model()
        let truth = SyntheticFace.code(model, head: [0.1, -0.2, 0.05])
        let targets = try FitTargets(SyntheticFace.targets(model, truth))
        let fitter = try LandmarkFitter(model: model)
        let fit = try fitter.fit(targets, identity: truth.identity)
        XCTAssertEqual(fit.code.identity, truth.identity)
        func residuals(_ f: PhotoFit) -> [Float] { zip(f.landmarks, targets.points).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() } }
        XCTAssertLessThan(residuals(fit).max()!, 0.5, "landmark residual in pixels with the true identity")
        for c in 0..<3 { XCTAssertEqual(fit.code.pose[c], truth.pose[c], accuracy: 0.02, "head rotation \(c)") }
        let zero = [Float](repeating: 0, count: model.identityCount)
        let wrong = try fitter.fit(targets, identity: zero.map { _ in 3 })
        let meanWrong = residuals(wrong).reduce(0, +) / 68, meanRight = residuals(fit).reduce(0, +) / 68
        XCTAssertGreaterThan(meanWrong, 2 * meanRight, "a wrong identity held fixed explains the landmarks worse")
        XCTAssertThrowsError(try fitter.fit(targets, identity: [0, 0])) {
            XCTAssertEqual($0 as? FitError, .wrongIdentityCount(2, expected: model.identityCount))
        }
    }

    /// ARKit-named blendshapes are weights: the fit keeps them in 0…1 even when the landmarks ask
    /// for negative ones; FLAME-style models keep ψ unbounded.
    func testBlendshapeWeightsStayWithinBounds() throws {
        var model = SyntheticFace.model()
        let truth = SyntheticFace.code(model, head: [0.05, 0.1, 0])
        XCTAssertTrue(truth.expression.contains { $0 < -0.2 }, "the truth needs negative weights")
        let targets = try FitTargets(SyntheticFace.targets(model, truth))
        let unbounded = try LandmarkFitter(model: model).fit(targets)
        XCTAssertNil(try LandmarkFitter(model: model).settings.expressionBounds)
        XCTAssertTrue(unbounded.code.expression.contains { $0 < -0.1 })
        model.expressionNames[0] = "jawOpen"
        let fitter = try LandmarkFitter(model: model)
        XCTAssertEqual(fitter.settings.expressionBounds, 0...1)
        let bounded = try fitter.fit(targets)
        XCTAssertTrue(bounded.code.expression.allSatisfy { (0...1).contains($0) }, "\(bounded.code.expression)")
    }

    func testRejectsUnusableLandmarksWithTypedErrors() throws {
        XCTAssertThrowsError(try FitTargets([SIMD2<Float>](repeating: .zero, count: 5))) {
            XCTAssertEqual($0 as? FitError, .wrongLandmarkCount(5))
        }
        XCTAssertThrowsError(try FitTargets([SIMD2<Float>](repeating: [3, 4], count: 68))) {
            XCTAssertEqual($0 as? FitError, .degenerateLandmarks(eyeCornerDistance: 0))
        }
        var points = SyntheticFace.layout().map { 100 * $0 }
        points[3].x = .nan
        XCTAssertThrowsError(try FitTargets(points)) { XCTAssertEqual($0 as? FitError, .nonFiniteLandmarks) }
        var model = SyntheticFace.model()
        model.landmarks.removeLast()
        XCTAssertThrowsError(try LandmarkFitter(model: model)) { XCTAssertEqual($0 as? FitError, .modelWithoutLandmarks) }
        XCTAssertThrowsError(try LandmarkFitter(model: SyntheticFace.model()).fitShared([])) {
            XCTAssertEqual($0 as? FitError, .noPhotos)
        }
    }
}
