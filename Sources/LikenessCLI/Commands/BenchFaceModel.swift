import ArgumentParser
import COpenBLAS
import FaceModel
import Foundation

/// `likeness bench facemodel`: one forward pass (vertices + normals + 68 landmarks) of a FLAME-sized
/// model — about 5k vertices, 100 identity and 50 expression modes, five joints with pose
/// correctives — on one core, and the landmark Jacobian, next to single-threaded sgemm.
struct BenchFaceModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facemodel",
        abstract: "Forward pass and landmark Jacobian of a ~5k-vertex morphable model, as ratios to sgemm."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Timed repetitions (the median is reported).")
    var repetitions = 200

    @Option(help: "Also time ICT-FaceKit's face area from this FaceXModel folder.")
    var ict: String?

    func run() throws {
        openblas_set_num_threads(1)
        let sgemm = BenchReference.sgemmGFLOPS()
        print(String(format: "sgemm reference (1 thread, 512³): %.1f GFLOP/s", sgemm))
        // 71 rings × 72 segments: 5042 vertices, like FLAME's 5023.
        let model = SyntheticModel.make(rings: 71, segments: 72, identityCount: 100, expressionCount: 50)
        try report(model, label: "synthetic FLAME-sized", sgemm: sgemm)
        do { try report(EmbeddedHead.make(), label: "embedded head", sgemm: sgemm) } catch {
            print("embedded head: not timed (\(error))")
        }
        if let ict {
            try report(ICTFaceKitImporter.load(URL(fileURLWithPath: ict), faceOnly: true), label: "ICT face area", sgemm: sgemm)
        }
    }

    func report(_ model: MorphableModel, label: String, sgemm: Double) throws {
        let evaluator = try FaceEvaluator(model: model)
        var rng = SplitMix64(seed: 7)
        var code = FaceCode(identity: (0..<model.identityCount).map { _ in rng.normal() },
                            expression: (0..<model.expressionCount).map { _ in rng.normal() },
                            pose: [Float](repeating: 0, count: 3 * model.joints.count))
        for j in 0..<min(3, model.joints.count) { code.setRotation([0.1, 0.2, 0.05], ofJoint: j) }
        var output = try evaluator.evaluate(code)
        let forward = BenchReference.medianMilliseconds(repetitions) { output = try! evaluator.evaluate(code) }
        let jacobian = BenchReference.medianMilliseconds(max(10, repetitions / 10)) {
            _ = evaluator.landmarkJacobian(at: output, code: code)
        }
        // The dominant work: the blendshape product, 2·3N·(Kβ + Kψ) flops.
        let flops = 2.0 * Double(model.template.count) * Double(model.identityCount + model.expressionCount)
        let gflops = flops / (forward * 1e6)
        print(String(format: "%@: %d vertices, %d identity + %d expression modes, %d joints",
                     label, model.vertexCount, model.identityCount, model.expressionCount, model.joints.count))
        print(String(format: "  forward (vertices + normals + 68 landmarks): %.3f ms  (blend %.2f GFLOP/s = %.3f × sgemm; target ≤ 1 ms)",
                     forward, gflops, gflops / sgemm))
        print(String(format: "  landmark Jacobian (204 × %d): %.3f ms", model.identityCount + model.expressionCount + 3 * model.joints.count, jacobian))
    }
}
