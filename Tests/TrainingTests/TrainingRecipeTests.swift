import FaceModel
import Foundation
import Networks
import Reconstruction
import Tensor
import XCTest
@testable import Training

/// The recipe on a tiny encoder and a tiny dataset written to disk: the loss falls, a resumed
/// checkpoint continues bit for bit, augmentation carries landmarks with the pixels.
final class TrainingRecipeTests: XCTestCase {
    static let model = EmbeddedHead.make()

    func testMeanCameraPutsTheMeanFaceOnTheMeanLandmarks() throws {
        let data = try tinyDataset(10)
        let c = try BaseTrainer.encoderConfiguration(for: Self.model, dataset: data)
        XCTAssertEqual(c.meanScale, 200, accuracy: 0.5)
        XCTAssertEqual(c.meanTranslation[0], 32, accuracy: 0.5)
        XCTAssertEqual(c.meanTranslation[1], 30, accuracy: 0.5)
    }

    func testLossFallsOnATinyEncoder() throws {
        let data = try tinyDataset(10)
        let trainer = try BaseTrainer(configuration: try tinyConfiguration(data), model: Self.model, train: data, validation: nil)
        var losses: [Float] = []
        for _ in 0..<40 { losses.append(try trainer.trainStep().terms.first { $0.0 == "total" }!.1) }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, 0.7 * first, "loss \(first) → \(last)")
    }

    func testResumedCheckpointContinuesBitForBit() throws {
        let data = try tinyDataset(8)
        let config = try tinyConfiguration(data)
        let straight = try BaseTrainer(configuration: config, model: Self.model, train: data, validation: nil)
        for _ in 0..<4 { try straight.trainStep() }
        let first = try BaseTrainer(configuration: config, model: Self.model, train: data, validation: nil)
        for _ in 0..<2 { try first.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.saveCheckpoint(to: url)
        let resumed = try BaseTrainer(configuration: config, model: Self.model, train: data, validation: nil)
        try resumed.resume(from: url)
        XCTAssertEqual(resumed.step, 2)
        for _ in 0..<2 { try resumed.trainStep() }
        for (a, b) in zip(straight.encoder.namedParameters, resumed.encoder.namedParameters) {
            XCTAssertEqual(a.tensor.values, b.tensor.values, a.name)
        }
    }

    func testMirrorIndexIsAnInvolutionSwappingTheEyeCorners() {
        let m = Augmentation.mirroredIndex
        XCTAssertEqual(m.map { m[$0] }, Array(0..<68))
        XCTAssertEqual(m[36], 45)
        XCTAssertEqual(m[0], 16)
        XCTAssertEqual(m[30], 30)
    }

    func testAugmentationCarriesLandmarksWithThePixels() {
        // A single bright pixel at a landmark must land where the transformed landmark says.
        var crop = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for k in 0..<3 { crop[(20 * 64 + 30) * 3 + k] = 255 }
        var a = Augmentation.none
        a.rotationDegrees = 20; a.scale = 0.1; a.shift = 5; a.mirrorProbability = 1
        var points = [SIMD2<Float>](repeating: SIMD2(32, 32), count: 68)
        points[36] = SIMD2(30, 20)
        var g = SeededGenerator(seed: 4)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 3 * 64 * 64)
        defer { out.deallocate() }
        let moved = crop.withUnsafeBufferPointer { a.apply(crop: $0.baseAddress!, size: 64, landmarks: points, into: out, using: &g) }
        var best = 0
        for p in 0..<(64 * 64) where out[p] > out[best] { best = p }
        let bright = SIMD2(Float(best % 64), Float(best / 64))
        let landmark = moved[45]   // the mirror takes point 36 to index 45
        XCTAssertLessThan(((bright - landmark) * (bright - landmark)).sum().squareRoot(), 1.5)
    }
}
