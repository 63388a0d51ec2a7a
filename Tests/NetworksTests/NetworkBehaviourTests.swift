import XCTest
import Tensor
@testable import Networks

final class NetworkBehaviourTests: XCTestCase {
    func testHierarchicalParameterNames() {
        var g = SeededGenerator(seed: 1)
        let vit = VisionTransformer(ViTConfiguration(imageSize: 32, patchSize: 16, dim: 12, depth: 4, heads: 3), using: &g)
        vit.insertAdapters(bottleneck: 4, blocks: [1], using: &g)
        let names = Set(vit.namedParameters.map(\.name))
        for expected in ["patch_embed.proj.weight", "patch_embed.proj.bias", "cls_token", "pos_embed",
                         "blocks.3.mlp.fc1.weight", "blocks.0.attn.qkv.weight", "blocks.2.attn.proj.bias",
                         "blocks.0.norm1.weight", "blocks.3.norm2.bias", "norm.weight",
                         "blocks.1.adapter.down.weight", "blocks.1.adapter.up.bias"] {
            XCTAssertTrue(names.contains(expected), expected)
        }
        XCTAssertFalse(names.contains("blocks.0.adapter.down.weight"))
        XCTAssertEqual(vit.parameter(named: "patch_embed.proj.weight")?.shape, [12, 3, 16, 16])
        XCTAssertEqual(vit.parameter(named: "pos_embed")?.shape, [1, 5, 12])
        XCTAssertEqual(names.count, vit.namedParameters.count, "names are unique")
    }

    func testInsertedAdaptersAreExactlyTheIdentity() throws {
        var g = SeededGenerator(seed: 2)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        let images = randomImages([2, 3, 16, 16], seed: 3)
        let before = try vit.forward(images).values
        vit.insertAdapters(bottleneck: 4, using: &g)
        XCTAssertEqual(try vit.forward(images).values.map(\.bitPattern), before.map(\.bitPattern))
        vit.removeAdapters()
        XCTAssertFalse(vit.namedParameters.contains { VisionTransformer.isAdapterParameter($0.name) })
    }

    func testWrongInputShapeIsATypedError() {
        var g = SeededGenerator(seed: 3)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        XCTAssertThrowsError(try vit.forward(Tensor(zeros: [1, 3, 8, 8]))) { error in
            XCTAssertEqual(error as? TensorError,
                           .shapeMismatch(expected: [1, 3, 16, 16], got: [1, 3, 8, 8], context: "vision transformer input"))
        }
        let unet = UNet(inChannels: 1, outChannels: 1, baseChannels: 2, levels: 2, using: &g)
        XCTAssertThrowsError(try unet.forward(Tensor(zeros: [1, 1, 6, 6])))
    }

    /// A tiny ViT with an MLP head fits random targets for a small batch: the loss falls near zero.
    func testTinyViTOverfitsASmallBatch() throws {
        var g = SeededGenerator(seed: 4)
        let vit = VisionTransformer(ViTConfiguration(imageSize: 16, patchSize: 4, dim: 32, depth: 2, heads: 2), using: &g)
        let head = MLPHead(dim: 32, hidden: 32, outputs: 6, using: &g)
        let images = randomImages([4, 3, 16, 16], seed: 5)
        let targets = Tensor.uniform([4, 6], in: -1...1, using: &g)
        let adam = Adam(parameters: vit.parameters + head.parameters, learningRate: 2e-3)
        let schedule = WarmupCosineSchedule(baseRate: 3e-3, warmupSteps: 20, totalSteps: 400, minimumRate: 1e-5)
        var first: Float = 0, last: Float = 0
        for step in 0..<400 {
            adam.learningRate = schedule.rate(at: step)
            adam.zeroGrad()
            let loss = mseLoss(head(classToken(try vit.forward(images))), targets)
            loss.backward()
            adam.step()
            if step == 0 { first = loss.item }
            last = loss.item
        }
        XCTAssertGreaterThan(first, 0.1)
        XCTAssertLessThan(last, 1e-4, "loss went from \(first) to \(last)")
    }

    /// Training only adapters and layer norms (person-specific transfer) leaves every frozen
    /// weight bit-identical and changes the trained ones.
    func testAdapterOnlyTrainingLeavesFrozenWeightsBitIdentical() throws {
        var g = SeededGenerator(seed: 6)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        let head = MLPHead(dim: 16, hidden: 16, outputs: 3, using: &g)
        vit.insertAdapters(bottleneck: 4, using: &g)
        let isTrained = { (name: String) in VisionTransformer.isAdapterParameter(name) || name.contains("norm") }
        vit.setTrainable(where: isTrained)
        head.setTrainable(false)
        let before = parameterBits(vit), headBefore = parameterBits(head)
        let images = randomImages([2, 3, 16, 16], seed: 7), targets = Tensor.uniform([2, 3], in: -1...1, using: &g)
        let adam = Adam.adamW(parameters: vit.trainableParameters, learningRate: 1e-2)
        for _ in 0..<5 {
            adam.zeroGrad()
            mseLoss(head(classToken(try vit.forward(images))), targets).backward()
            adam.step()
        }
        let after = parameterBits(vit)
        for (name, bits) in before {
            if isTrained(name) { XCTAssertNotEqual(after[name], bits, "\(name) was trained") }
            else { XCTAssertEqual(after[name], bits, "\(name) is frozen") }
        }
        XCTAssertEqual(parameterBits(head), headBefore)
        XCTAssertTrue(vit.namedParameters.filter { !isTrained($0.name) }.allSatisfy { $0.tensor.grad == nil })
    }

    func testUNetShapesAndSkips() throws {
        var g = SeededGenerator(seed: 8)
        let unet = UNet(inChannels: 4, outChannels: 1, baseChannels: 4, levels: 3, using: &g)
        XCTAssertEqual(try unet.forward(randomImages([2, 4, 16, 16], seed: 9)).shape, [2, 1, 16, 16])
        XCTAssertEqual(unet.parameter(named: "dec.2.conv1.weight")?.shape, [4, 8, 3, 3])   // skip concat doubles input
        XCTAssertEqual(unet.parameter(named: "up.0.weight")?.shape, [32, 16, 2, 2])
    }

    func testMAEMaskingKeepsTheRightNumberOfPatches() throws {
        var g = SeededGenerator(seed: 10)
        let mae = MaskedAutoencoder(encoder: tinyConfiguration(channels: 4, depth: 1),
                                    decoder: MAEDecoderConfiguration(dim: 8, depth: 1, heads: 2), maskingRatio: 0.75,
                                    using: &g)
        let out = try mae.forward(randomImages([3, 4, 16, 16], seed: 11), using: &g)
        XCTAssertEqual(out.prediction.shape, [3, 1, 16, 16])
        XCTAssertEqual(out.visible.map(\.count), [4, 4, 4])
        let names = Set(mae.namedParameters.map(\.name))
        for expected in ["patch_embed.proj.weight", "cls_token", "blocks.0.attn.qkv.weight", "norm.bias", "detail_latent",
                         "decoder_embed.weight", "mask_token", "decoder_pos_embed", "decoder_blocks.0.mlp.fc2.bias",
                         "decoder_norm.weight", "decoder_pred.weight"] {
            XCTAssertTrue(names.contains(expected), expected)
        }
        XCTAssertEqual(names.count, mae.namedParameters.count)
        mae.maskingRatio = 0
        XCTAssertEqual(try mae.forward(randomImages([1, 4, 16, 16], seed: 12), using: &g).visible, [Array(0..<16)])
        mae.maskingRatio = 1
        XCTAssertThrowsError(try mae.forward(randomImages([1, 4, 16, 16], seed: 12), using: &g))
    }
}
