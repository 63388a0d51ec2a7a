import Foundation
import XCTest
import Tensor
@testable import Networks

final class CheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testSaveThenLoadGivesIdenticalOutputs() throws {
        var g = SeededGenerator(seed: 1)
        let saved = VisionTransformer(tinyConfiguration(), using: &g)
        let images = randomImages([2, 3, 16, 16], seed: 2)
        let url = directory.appendingPathComponent("vit.safetensors")
        try Checkpoint.save(saved, to: url)
        let loaded = VisionTransformer(tinyConfiguration(), using: &g)   // different initial weights
        XCTAssertNotEqual(try loaded.forward(images).values, try saved.forward(images).values)
        try Checkpoint.load(into: loaded, from: url)
        XCTAssertEqual(try loaded.forward(images).values.map(\.bitPattern), try saved.forward(images).values.map(\.bitPattern))
        XCTAssertEqual(try SafeTensorsFile.read(contentsOf: url).names.count, saved.namedParameters.count)
    }

    func testMismatchListsMissingUnexpectedAndMisshapedNamesAndLoadsNothing() throws {
        var g = SeededGenerator(seed: 3)
        let url = directory.appendingPathComponent("deep.safetensors")
        let deep = VisionTransformer(tinyConfiguration(depth: 3), using: &g)
        deep.insertAdapters(bottleneck: 2, blocks: [0], using: &g)
        try Checkpoint.save(deep, to: url)
        var wide = tinyConfiguration(depth: 2)
        wide.mlpRatio = 3
        let target = VisionTransformer(wide, using: &g)
        let before = parameterBits(target)
        XCTAssertThrowsError(try Checkpoint.load(into: target, from: url)) { error in
            guard case let .mismatch(missing, unexpected, misshaped)? = error as? CheckpointError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(missing, [])
            XCTAssertTrue(unexpected.contains("blocks.2.attn.qkv.weight"))
            XCTAssertTrue(unexpected.contains("blocks.0.adapter.up.weight"))
            XCTAssertEqual(misshaped.map(\.name).sorted(), ["blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc1.weight",
                                                           "blocks.0.mlp.fc2.weight", "blocks.1.mlp.fc1.bias",
                                                           "blocks.1.mlp.fc1.weight", "blocks.1.mlp.fc2.weight"])
            XCTAssertEqual(misshaped.first { $0.name == "blocks.0.mlp.fc1.weight" }?.expected, [48, 16])
            XCTAssertTrue("\(error)".contains("nothing was loaded"))
        }
        XCTAssertEqual(parameterBits(target), before, "a failed load changes nothing")
        let shallow = VisionTransformer(tinyConfiguration(depth: 4), using: &g)
        XCTAssertThrowsError(try Checkpoint.load(into: shallow, from: url, selection: { !$0.contains("adapter") })) { error in
            guard case let .mismatch(missing, unexpected, _)? = error as? CheckpointError else { return XCTFail() }
            XCTAssertTrue(missing.contains("blocks.3.norm1.weight"))
            XCTAssertEqual(unexpected, [])
        }
    }

    func testUnreadableFileIsATypedError() {
        var g = SeededGenerator(seed: 4)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        let url = directory.appendingPathComponent("absent.safetensors")
        XCTAssertThrowsError(try Checkpoint.load(into: vit, from: url)) { XCTAssertTrue($0 is SafeTensorsError) }
    }

    /// Adapters are saved alone and restored onto a base model loaded separately; loading them
    /// changes no base weight, and the result matches the trained model exactly.
    func testAdaptersSaveAndLoadSeparatelyFromBaseWeights() throws {
        var g = SeededGenerator(seed: 5)
        let trained = VisionTransformer(tinyConfiguration(), using: &g)
        let baseURL = directory.appendingPathComponent("base.safetensors")
        try Checkpoint.save(trained, to: baseURL)
        trained.insertAdapters(bottleneck: 3, blocks: [1], using: &g)
        trained.setTrainable(where: VisionTransformer.isAdapterParameter)
        let images = randomImages([2, 3, 16, 16], seed: 6)
        let adam = Adam(parameters: trained.trainableParameters, learningRate: 1e-2)
        for _ in 0..<3 {
            adam.zeroGrad()
            mean(try trained.forward(images)).backward()
            adam.step()
        }
        let adapterURL = directory.appendingPathComponent("adapters.safetensors")
        try trained.saveAdapters(to: adapterURL)
        XCTAssertTrue(try SafeTensorsFile.read(contentsOf: adapterURL).names.allSatisfy(VisionTransformer.isAdapterParameter))

        let restored = VisionTransformer(tinyConfiguration(), using: &g)
        try Checkpoint.load(into: restored, from: baseURL)
        let base = parameterBits(restored)
        try restored.loadAdapters(from: adapterURL)
        XCTAssertNotNil(restored.blocks[1].adapter)
        XCTAssertNil(restored.blocks[0].adapter)
        let after = parameterBits(restored)
        for (name, bits) in base { XCTAssertEqual(after[name], bits, name) }
        XCTAssertEqual(try restored.forward(images).values.map(\.bitPattern), try trained.forward(images).values.map(\.bitPattern))
    }

    func testHalfPrecisionRoundTripIsClose() throws {
        var g = SeededGenerator(seed: 7)
        let lin = Linear(8, 4, using: &g)
        let file = try Checkpoint.file(of: lin, dtype: .bf16)
        let copy = Linear(8, 4, using: &g)
        try Checkpoint.load(into: copy, from: file)
        for (a, b) in zip(lin.weight.values, copy.weight.values) { XCTAssertEqual(a, b, accuracy: abs(a) / 128 + 1e-6) }
    }
}
