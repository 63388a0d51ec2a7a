import Foundation
import Networks
import Tensor
import XCTest
@testable import Training

/// MAE pre-training (`maskedPatchLoss`, `MAEPretrainer`): the loss against an independent NumPy
/// reference, its gradient against finite differences, a few steps lower it, checkpoints resume
/// exactly, and the saved encoder starts `train-base --initialize`.
final class MAEPretrainingTests: XCTestCase {
    /// prediction pᵢ = sin(0.7 i), target tᵢ = cos(0.3 i) + 0.1 (i mod 5), shape [2, 4, 6],
    /// visible [[0, 2], [1]]. Reference (NumPy, MAE's `norm_pix_loss`):
    ///     mu = t.mean(-1); var = t.var(-1); t̂ = (t − mu)/sqrt(var + 1e-6)
    ///     loss = (((p − t̂)²).mean(-1) · mask).sum() / mask.sum()  →  2.3579692757932222
    func testLossMatchesTheNumPyReferenceAndItsGradientTheFiniteDifferences() {
        let n = 2 * 4 * 6
        let p = Tensor((0..<n).map { sin(0.7 * Float($0)) }, shape: [2, 4, 6], requiresGrad: true)
        let t = Tensor((0..<n).map { cos(0.3 * Float($0)) + 0.1 * Float($0 % 5) }, shape: [2, 4, 6])
        let visible = [[0, 2], [1]]
        XCTAssertEqual(maskedPatchLoss(p, target: t, visible: visible).item, 2.3579692757932222, accuracy: 1e-5)
        let (mismatches, compared) = GradientCheck().run([p]) { maskedPatchLoss(p, target: t, visible: visible) }
        XCTAssertEqual(compared, 16)
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches)")
        // Visible patches get no gradient.
        p.zeroGrad()
        maskedPatchLoss(p, target: t, visible: visible).backward()
        XCTAssertTrue(p.gradValues[0..<6].allSatisfy { $0 == 0 } && p.gradValues[12..<18].allSatisfy { $0 == 0 })
        XCTAssertTrue(p.gradValues[6..<12].contains { $0 != 0 })
    }

    func tinyMAE(_ data: FaceDataset, steps: Int) -> MAEPretrainingConfiguration {
        var c = MAEPretrainingConfiguration(vit: ViTConfiguration(imageSize: 32, patchSize: 8, dim: 32, depth: 1, heads: 2, mlpRatio: 2))
        (c.decoderWidth, c.decoderDepth, c.decoderHeads) = (16, 1, 2)
        (c.batchSize, c.steps, c.warmupSteps, c.learningRate, c.augmentation) = (8, steps, 2, 3e-3, .none)
        return c
    }

    /// 30 steps on the tiny faces lower the held-out L_MAE; a run resumed from its step-15
    /// checkpoint ends with the same weights as the uninterrupted run.
    func testStepsLowerTheLossAndResumeExactly() throws {
        let data = try tinyDataset(16)
        let c = tinyMAE(data, steps: 30)
        let trainer = try MAEPretrainer(configuration: c, train: data)
        let before = try trainer.evaluate(on: data)
        for _ in 0..<15 { try trainer.trainStep() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-mae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try trainer.saveCheckpoint(to: dir.appendingPathComponent("checkpoint.safetensors"))
        for _ in 0..<15 { try trainer.trainStep() }
        let after = try trainer.evaluate(on: data)
        XCTAssertLessThan(after, 0.8 * before, "L_MAE \(before) → \(after)")

        let resumed = try MAEPretrainer(configuration: c, train: data)
        try resumed.resume(from: dir.appendingPathComponent("checkpoint.safetensors"))
        XCTAssertEqual(resumed.step, 15)
        for _ in 0..<15 { try resumed.trainStep() }
        for ((name, a), (_, b)) in zip(trainer.network.namedParameters, resumed.network.namedParameters) {
            XCTAssertEqual(a.values, b.values, name)
        }
        XCTAssertEqual(trainer.network.namedParameters.first { $0.name == "detail_latent" }?.tensor.values.allSatisfy { $0 == 0 }, true,
                       "the detail latent is not trained")

        // The encoder alone loads into a coarse encoder's ViT; its head stays the fresh one.
        let encoderURL = dir.appendingPathComponent("encoder.safetensors")
        try trainer.saveEncoder(to: encoderURL)
        var base = try tinyConfiguration(data)
        base.encoder.vit = c.vit
        let coarse = try BaseTrainer(configuration: base, model: TrainingRecipeTests.model, train: data, validation: nil)
        let head = coarse.encoder.head.mlp.fc1.weight.values
        try coarse.initialize(from: encoderURL)
        let vit = Dictionary(uniqueKeysWithValues: coarse.encoder.vit.namedParameters.map { ($0.name, $0.tensor.values) })
        for (name, t) in trainer.network.encoder.namedParameters { XCTAssertEqual(vit[name], t.values, name) }
        XCTAssertEqual(coarse.encoder.head.mlp.fc1.weight.values, head)
    }
}
