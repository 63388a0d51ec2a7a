import FaceModel
import Foundation
import Networks
import Tensor
import XCTest
@testable import Training

/// The tiny dataset and encoder recipe the training tests share.
extension XCTestCase {
    /// A dataset of `n` 64² crops whose landmarks are the mean face's projection, shifted per
    /// image along with a bright square, so a network can learn the shift from the pixels.
    func tinyDataset(_ n: Int) throws -> FaceDataset {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-tiny-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let rest = try TrainingRecipeTests.model.evaluate(.neutral(for: TrainingRecipeTests.model))
        var bytes = Data(), samples: [FaceDatasetManifest.Sample] = []
        for i in 0..<n {
            let shift = Float(i % 5) * 2 - 4
            var crop = [UInt8](repeating: 40, count: 64 * 64 * 3)
            for y in 20..<44 { for x in (20 + Int(shift))..<(44 + Int(shift)) { for k in 0..<3 { crop[(y * 64 + x) * 3 + k] = 220 } } }
            bytes.append(contentsOf: crop)
            let points = rest.landmarks.map { SIMD2(200 * $0.x + 32 + shift, -200 * $0.y + 30) }
            samples.append(.init(index: i, source: "tiny", name: "\(i)", person: "p\(i / 2)",
                                 landmarks: points.flatMap { [$0.x, $0.y] }, labels: "pts", alignedBy: "pts", templateResidual: 0))
        }
        try bytes.write(to: dir.appendingPathComponent("crops.u8"))
        let manifest = FaceDatasetManifest(cropSize: 64, created: "test", sources: ["tiny"], samples: samples, rejected: [],
                                           maximumTemplateResidual: 1)
        try JSONEncoder().encode(manifest).write(to: dir.appendingPathComponent("dataset.json"))
        return try FaceDataset(directory: dir)
    }

    func tinyConfiguration(_ data: FaceDataset) throws -> BaseTrainingConfiguration {
        var encoder = try BaseTrainer.encoderConfiguration(for: TrainingRecipeTests.model, dataset: data)
        encoder.inputSize = 64
        encoder.vit = ViTConfiguration(imageSize: 32, patchSize: 16, dim: 32, depth: 1, heads: 2, mlpRatio: 2)
        encoder.headHidden = 32
        var c = BaseTrainingConfiguration(encoder: encoder)
        c.batchSize = 4
        c.steps = 40
        c.warmupSteps = 2
        c.learningRate = 3e-3
        c.augmentation = .none
        return c
    }

    /// A transfer recipe for the tiny base: `steps` steps, batch 4, lr 3e-3, no augmentation,
    /// bottleneck 4.
    func tinyTransfer(steps: Int) -> TransferConfiguration {
        var c = TransferConfiguration()
        (c.maximumSteps, c.batchSize, c.learningRate, c.augmentation, c.bottleneck) = (steps, 4, 3e-3, .none, 4)
        return c
    }

}

/// A file or folder under `../shared` (or `LIKENESS_SHARED`); skips the test when it is absent.
func sharedData(_ path: String) throws -> URL {
    let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized
    let url = root.appendingPathComponent(path)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw XCTSkip("\(path) not found under \(root.path) (set LIKENESS_SHARED); skipping")
    }
    return url
}
