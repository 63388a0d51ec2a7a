import ArgumentParser
import COpenBLAS
import FaceModel
import Foundation
import Reconstruction

/// `likeness bench fit`: landmark fitting (Levenberg–Marquardt, Eq. 1 correspondences) of one photo
/// and of a shared-identity set, on a FLAME-sized synthetic model, next to sgemm.
struct BenchFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Per-photo and shared-identity landmark fitting time on a ~5k-vertex model, as ratios to sgemm."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Timed repetitions of the single-photo fit (the median is reported).")
    var repetitions = 9

    @Option(help: "Photos in the shared-identity fit.")
    var photos = 55

    func run() throws {
        openblas_set_num_threads(1)
        let sgemm = BenchReference.sgemmGFLOPS()
        print(String(format: "sgemm reference (1 thread, 512³): %.1f GFLOP/s", sgemm))
        let model = SyntheticModel.make(rings: 71, segments: 72, identityCount: 100, expressionCount: 50)
        for mode in BoundaryMode.allCases {
            let fitter = try LandmarkFitter(model: model, settings: FitSettings(boundary: mode))
            let views = try (0..<photos).map { try view(fitter.evaluator, seed: UInt64($0)) }
            let single = BenchReference.medianMilliseconds(repetitions) { _ = try! fitter.fit(views[0]) }
            let start = DispatchTime.now().uptimeNanoseconds
            let shared = try fitter.fitShared(views)
            let sharedMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print("\(mode.rawValue): \(model.vertexCount) vertices, \(model.identityCount) identity + \(model.expressionCount) expression modes")
            print(String(format: "  one photo: %.1f ms (= %.1f GFLOP of sgemm time; target ≤ 1000 ms)",
                         single, single * sgemm / 1000))
            print(String(format: "  %d photos, shared identity: %.1f ms (%.1f ms per photo, %d iterations; = %.1f GFLOP of sgemm time)",
                         photos, sharedMs, sharedMs / Double(photos), shared.iterations, sharedMs * sgemm / 1000))
        }
    }

    /// Landmarks of a random head turned up to ±0.5 rad, seen 1000 px/m.
    private func view(_ evaluator: FaceEvaluator, seed: UInt64) throws -> FitTargets {
        var rng = SplitMix64(seed: seed)
        let model = evaluator.model
        var code = FaceCode.neutral(for: model)
        code.identity = (0..<model.identityCount).map { _ in 0.5 * rng.normal() }
        code.expression = (0..<model.expressionCount).map { _ in 0.3 * rng.normal() }
        code.setRotation([0.1 * rng.normal(), 0.5 * (2 * rng.uniform() - 1), 0.05 * rng.normal()], ofJoint: 0)
        let camera = OrthoCamera(scale: 1000, translation: [240, 240])
        return try FitTargets(evaluator.evaluate(code).landmarks.map { camera.project($0) + SIMD2(rng.normal(), rng.normal()) })
    }
}
