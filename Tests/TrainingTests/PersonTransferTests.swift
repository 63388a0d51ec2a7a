import FaceModel
import Foundation
import Imaging
import Networks
import Tensor
import XCTest
@testable import Training

/// Person-specific transfer on a tiny base model: only adapters and layer norms change (the base
/// weights stay bit-identical), the loss falls, and the adapters round-trip through their file.
final class PersonTransferTests: XCTestCase {
    /// A tiny base model trained for a few steps and saved as `train-base` saves it; `configure`
    /// changes the tiny recipe first.
    func tinyBase(_ data: FaceDataset, configure: (inout BaseTrainingConfiguration) -> Void = { _ in }) throws -> BaseModel {
        var config = try tinyConfiguration(data)
        config.steps = 4
        configure(&config)
        let trainer = try BaseTrainer(configuration: config, model: TrainingRecipeTests.model, train: data, validation: nil)
        for _ in 0..<4 { try trainer.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-base-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try trainer.saveModel(to: url)
        return try BaseModel(contentsOf: url)
    }

    /// The adapters saved to their file and loaded onto `base` reproduce the adapted model exactly.
    func assertRoundTrip(_ adapted: BaseModel, base: BaseModel, report: TransferReport) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-adapters-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try PersonTransfer.save(adapted, report: report, to: url)
        let loaded = try PersonTransfer.personModel(base, adapters: url)
        var g = SeededGenerator(seed: 5)
        let images = Tensor.uniform([2, 3, 64, 64], in: -1...1, using: &g)
        let a = try Autograd.withoutRecording { try adapted.encoder.raw(images) }.values
        let b = try Autograd.withoutRecording { try loaded.encoder.raw(images) }.values
        XCTAssertEqual(a, b, "adapters loaded from their file must reproduce the adapted model exactly")
    }

    func testTransferTrainsOnlyAdaptersAndLayerNormsAndRoundTrips() throws {
        let data = try tinyDataset(10)
        let base = try tinyBase(data)
        let before = Dictionary(uniqueKeysWithValues: base.encoder.namedParameters.map { ($0.name, $0.tensor.values) })
        let c = tinyTransfer(steps: 30)
        let (adapted, report) = try PersonTransfer.adapt(base, model: TrainingRecipeTests.model, train: data, heldOut: nil,
                                                         configuration: c)
        XCTAssertFalse(adapted === base)
        XCTAssertEqual(report.steps, 30)
        XCTAssertLessThan(report.lastLoss!, report.firstLoss!, "the transfer loss must fall")
        var changed = 0
        for (name, tensor) in adapted.encoder.namedParameters {
            if PersonTransfer.isTransferred(name) {
                if let old = before[name], old != tensor.values { changed += 1 }
            } else {
                XCTAssertEqual(before[name], tensor.values, "\(name) is a base weight and must stay bit-identical")
            }
        }
        XCTAssertGreaterThan(changed, 0, "layer norms must train")
        XCTAssertEqual(adapted.encoder.vit.blocks.filter { $0.adapter != nil }.count, adapted.encoder.vit.blocks.count)
        // The shared base model itself is untouched and has no adapters.
        XCTAssertTrue(base.encoder.vit.blocks.allSatisfy { $0.adapter == nil })

        try assertRoundTrip(adapted, base: base, report: report)
    }

    /// L_agr: its value is the mean squared β difference of partners, its gradient matches finite
    /// differences, and in a tiny transfer it draws the person's identities together.
    func testIdentityAgreementValueGradientAndEffect() throws {
        var g = SeededGenerator(seed: 3)
        let beta = Tensor.uniform([4, 5], in: -1...1, using: &g)
        beta.requiresGrad = true
        func code() -> CoarseCode {
            CoarseCode(identity: beta, expression: Tensor(zeros: [4, 2]), pose: Tensor(zeros: [4, 3]), camera: Tensor(zeros: [4, 3]))
        }
        let partner = [1, 0, 3, 2]
        var expected: Float = 0
        let v = beta.values
        for b in 0..<4 { for k in 0..<5 { expected += pow(v[b * 5 + k] - v[partner[b] * 5 + k], 2) / 20 } }
        XCTAssertEqual(identityAgreementLoss(code(), partner: partner).item, expected, accuracy: 1e-6)
        let (mismatches, compared) = GradientCheck().run([beta]) { identityAgreementLoss(code(), partner: partner) }
        XCTAssertEqual(compared, 16)
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches)")

        // One person (as a transfer's photos are), on a base trained long enough for β to vary.
        let tiny = try tinyDataset(10)
        var manifest = tiny.manifest
        for i in manifest.samples.indices { manifest.samples[i].person = "person" }
        let data = FaceDataset(manifest: manifest, crops: tiny.crops)
        var recipe = try tinyConfiguration(tiny)
        recipe.steps = 40
        let trainer = try BaseTrainer(configuration: recipe, model: TrainingRecipeTests.model, train: tiny, validation: nil)
        for _ in 0..<40 { try trainer.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-base-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try trainer.saveModel(to: url)
        let base = try BaseModel(contentsOf: url)
        func spread(_ m: BaseModel) throws -> Float {
            let crops = (0..<data.count).map { i in
                Image(width: 64, height: 64, channels: 3, pixels: data.withCrop(i) { Array(UnsafeBufferPointer(start: $0, count: 64 * 64 * 3)) })
            }
            let ids = try m.predict(crops).map(\.code.identity)
            let mean = (0..<ids[0].count).map { k in ids.map { $0[k] }.reduce(0, +) / Float(ids.count) }
            return (ids.map { zip($0, mean).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }.reduce(0, +) / Float(ids.count)).squareRoot()
        }
        var c = tinyTransfer(steps: 30)
        let (plain, _) = try PersonTransfer.adapt(base, model: TrainingRecipeTests.model, train: data, heldOut: nil, configuration: c)
        c.losses.identityAgreement = 10
        let (agreed, report) = try PersonTransfer.adapt(base, model: TrainingRecipeTests.model, train: data, heldOut: nil, configuration: c)
        XCTAssertEqual(report.configuration.losses.identityAgreement, 10)
        let (before, without, with) = (try spread(base), try spread(plain), try spread(agreed))
        XCTAssertGreaterThan(before, 0.01, "the tiny base's identities vary")
        XCTAssertLessThan(with, 0.7 * before, "L_agr draws the identities together (base \(before), with \(with))")
        XCTAssertLessThan(with, 0.6 * without, "L_agr draws the identities together (base \(before), without \(without), with \(with))")
    }

    /// L_pho in the transfer's L_C (`adapt --photometric`): on a base that regresses α and light
    /// the loss falls; on one that does not, a typed refusal before any step.
    func testPhotometricTransferNeedsAppearanceOutputsAndItsLossFalls() throws {
        let data = try tinyDataset(6)
        let base = try tinyBase(data) { config in
            config.encoder.regressAppearance(albedoComponents: 8)
            config.losses.photometric = 1
            config.photometricRenderFactor = 2
        }
        var c = tinyTransfer(steps: 20)
        c.losses.photometric = 1
        let (_, report) = try PersonTransfer.adapt(base, model: TrainingRecipeTests.model, train: data, heldOut: nil, configuration: c)
        XCTAssertLessThan(report.lastLoss!, report.firstLoss!, "L_C with L_pho must fall")
        XCTAssertEqual(report.configuration.losses.photometric, 1, "the report records the recipe")
        XCTAssertThrowsError(try PersonTransfer.adapt(try tinyBase(data), model: TrainingRecipeTests.model, train: data, heldOut: nil,
                                                      configuration: c)) { error in
            guard case .noAppearanceOutputs = error as? TrainingSetupError else { return XCTFail("\(error)") }
        }
    }

    /// With `trainHead` the MLP head trains too (the ViT's other weights stay bit-identical) and
    /// the head travels in the adapters file.
    func testTrainHeadTrainsTheHeadAndRoundTrips() throws {
        let data = try tinyDataset(8)
        let base = try tinyBase(data)
        let before = Dictionary(uniqueKeysWithValues: base.encoder.namedParameters.map { ($0.name, $0.tensor.values) })
        var c = tinyTransfer(steps: 10)
        c.trainHead = true
        let (adapted, report) = try PersonTransfer.adapt(base, model: TrainingRecipeTests.model, train: data, heldOut: nil,
                                                         configuration: c)
        for (name, tensor) in adapted.encoder.namedParameters where !PersonTransfer.isTransferred(name, head: true) {
            XCTAssertEqual(before[name], tensor.values, "\(name) is a base weight and must stay bit-identical")
        }
        let headChanged = adapted.encoder.namedParameters.filter { $0.name.hasPrefix("head.") && before[$0.name] != $0.tensor.values }
        XCTAssertFalse(headChanged.isEmpty, "the head must train")
        try assertRoundTrip(adapted, base: base, report: report)
    }

    func testHeldOutSplitIsDeterministicAndDisjoint() {
        let items = Array(0..<20)
        let (train, held) = PersonTransfer.split(items, holdoutFraction: 0.2, seed: 3)
        XCTAssertEqual(held.count, 4)
        XCTAssertEqual(Set(train).union(held), Set(items))
        XCTAssertTrue(Set(train).isDisjoint(with: held))
        XCTAssertEqual(PersonTransfer.split(items, holdoutFraction: 0.2, seed: 3).heldOut, held)
        XCTAssertEqual(PersonTransfer.split([1, 2], holdoutFraction: 0.5, seed: 1).heldOut, [], "two photos: nothing held out")
    }
}
