import FaceDetect
import FaceModel
import Foundation
import Networks
import Reconstruction
import Tensor
import XCTest
@testable import Training

/// Synthetic training faces: their labels are exact (every landmark term is 0 at the truth), L_par
/// is 0 at the truth and its gradient matches finite differences, the dataset round-trips with its
/// parameters and merges with photos, and a batch with synthetic faces trains.
final class SyntheticFacesTests: XCTestCase {
    static let model = TrainingRecipeTests.model

    func generator() throws -> SyntheticFaceGenerator {
        let albedo = try XCTUnwrap(AlbedoModel.shipped(for: Self.model).model, "the shipped albedo model")
        return try SyntheticFaceGenerator(model: Self.model, albedo: albedo, aligner: try FaceFrontEnd.standard().aligner)
    }

    /// Background crops: random bytes.
    func backgrounds(_ n: Int, size: Int = 256) -> FaceDataset {
        var g = SeededGenerator(seed: 9)
        let crops = Data((0..<(n * size * size * 3)).map { _ in UInt8.random(in: 0...255, using: &g) })
        let samples = (0..<n).map { FaceDatasetManifest.Sample(index: $0, source: "noise", name: "\($0)", person: "\($0)",
                                                                 landmarks: [Float](repeating: 0, count: 136), labels: "pts",
                                                                 alignedBy: "pts", templateResidual: 0) }
        return FaceDataset(manifest: FaceDatasetManifest(cropSize: size, created: "test", sources: ["noise"], samples: samples,
                                                         rejected: [], maximumTemplateResidual: 1), crops: crops)
    }

    func testLabelsAreExactAndLandmarkLossesVanishAtTheTruth() throws {
        let gen = try generator()
        var g = SeededGenerator(seed: 4)
        var items: [SyntheticFaceParameters] = [], labels: [[SIMD2<Float>]] = []
        for _ in 0..<3 {
            let p = try gen.randomParameters(identity: gen.randomIdentity(using: &g), using: &g)
            items.append(p)
            labels.append(try gen.landmarks(p))
        }
        // Framed as the real crops: the landmarks lie near the template (residual below the builder's 0.45).
        let tpl = gen.template.map { SIMD2($0.x, $0.y) }
        for l in labels {
            let residual = zip(l, tpl).map { distance($0, $1) }.reduce(0, +) / 68 / distance(tpl[36], tpl[45])
            XCTAssertLessThan(residual, 0.45)
        }
        let projection = try LandmarkProjection(model: Self.model)
        let terms = coarseLoss(SyntheticFaceGenerator.coarseCode(items), targets: LandmarkTargets(labels), projection: projection,
                               weights: CoarseLossWeights(),
                               synthetic: (SyntheticTargets(items)!, FaceGeometry(evaluator: projection.evaluator)))
        XCTAssertEqual(terms.silhouette.item, 0, accuracy: 1e-4)
        XCTAssertEqual(terms.innerLandmarks.item, 0, accuracy: 1e-4)
        XCTAssertEqual(terms.landmarkPairs.item, 0, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(terms.synthetic).item, 0, accuracy: 1e-6)
    }

    func testParameterLossGradientMatchesFiniteDifferences() throws {
        let gen = try generator()
        var g = SeededGenerator(seed: 5)
        let truth = try (0..<2).map { _ in try gen.randomParameters(identity: gen.randomIdentity(using: &g), using: &g) }
        let m = Self.model
        let code = CoarseCode(
            identity: Tensor.uniform([3, m.identityCount], in: -1...1, using: &g, requiresGrad: true),
            expression: Tensor.uniform([3, m.expressionCount], in: 0.05...0.6, using: &g, requiresGrad: true),
            pose: Tensor.uniform([3, 3 * m.joints.count], in: -0.1...0.1, using: &g, requiresGrad: true),
            camera: Tensor((0..<3).flatMap { _ in [1500, 128, 120] }, shape: [3, 3]))
        // Item 1 is a photo: it has no parameters and must get no gradient from L_par.
        let targets = try XCTUnwrap(SyntheticTargets([truth[0], nil, truth[1]]))
        XCTAssertEqual(targets.rows, [0, 2])
        let geometry = try FaceGeometry(model: m)
        let loss = syntheticParameterLoss(code, truth: targets, geometry: geometry)
        XCTAssertGreaterThan(loss.item, 0.01)
        loss.backward()
        let gb = code.identity.grad!, gp = code.pose.grad!
        XCTAssertTrue((0..<m.identityCount).allSatisfy { gb[m.identityCount + $0] == 0 }, "the photo gets no L_par gradient")
        XCTAssertTrue((0..<3).allSatisfy { gp[$0] == 0 && gp[6 * m.joints.count + $0] == 0 }, "the global rotation is not supervised")
        for t in [code.identity, code.expression, code.pose] { t.zeroGrad() }
        var check = GradientCheck()
        check.epsilon = 1e-3
        check.relativeTolerance = 3e-2
        check.absoluteTolerance = 1e-4
        check.samplesPerInput = 10
        let (mismatches, compared) = check.run([code.identity, code.expression, code.pose]) {
            syntheticParameterLoss(code, truth: targets, geometry: geometry)
        }
        XCTAssertGreaterThan(compared, 10)
        XCTAssertTrue(mismatches.isEmpty, mismatches.map(\.description).joined(separator: "\n"))
    }

    func testDatasetRoundTripsWithParametersAndMergesWithPhotos() throws {
        var gen = try generator()
        gen.maximumYaw = 0.5
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-synth-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let made = try gen.build(identities: 3, views: 2, backgrounds: backgrounds(4), seed: 7, into: dir)
        XCTAssertEqual(made.samples.count, 6)
        XCTAssertEqual(Set(made.samples.map(\.person)).count, 3)
        let loaded = try FaceDataset(directory: dir)
        XCTAssertEqual(loaded.manifest.samples, made.samples)
        let p = try XCTUnwrap(loaded.manifest.samples[1].parameters)
        XCTAssertEqual(p.identity, try XCTUnwrap(loaded.manifest.samples[0].parameters).identity, "the views of one identity share β")
        XCTAssertEqual(try gen.landmarks(p).flatMap { [$0.x, $0.y] }, loaded.manifest.samples[1].landmarks)
        // The head covers the crop's centre: there the render differs from the noise behind it.
        let centre = loaded.withCrop(0) { c in (0..<3).map { c[3 * (128 * 256 + 128) + $0] } }
        let again = try gen.build(identities: 3, views: 2, backgrounds: backgrounds(4), seed: 7,
                                  into: dir.appendingPathComponent("again"))
        XCTAssertEqual(again.samples, made.samples, "deterministic for a seed")
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("again/crops.u8")), try Data(contentsOf: dir.appendingPathComponent("crops.u8")))
        let skinish = centre.map(Int.init)
        XCTAssertGreaterThan(skinish[0], skinish[2], "a skin tone (R > B) at the face's centre: \(skinish)")

        let merged = try FaceDataset(merging: [backgrounds(2), loaded])
        XCTAssertEqual(merged.count, 8)
        XCTAssertEqual(merged.manifest.samples.map(\.index), Array(0..<8))
        XCTAssertNil(merged.manifest.samples[1].parameters)
        XCTAssertEqual(merged.manifest.samples[2].parameters, loaded.manifest.samples[0].parameters)
        XCTAssertEqual(merged.withCrop(2) { Array(UnsafeBufferPointer(start: $0, count: 256 * 256 * 3)) },
                       loaded.withCrop(0) { Array(UnsafeBufferPointer(start: $0, count: 256 * 256 * 3)) })
        XCTAssertThrowsError(try FaceDataset(merging: [backgrounds(1, size: 64), loaded]))
    }
}
