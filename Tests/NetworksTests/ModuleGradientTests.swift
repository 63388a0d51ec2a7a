import XCTest
import Tensor
@testable import Networks

/// Finite-difference checks of every module, with respect to inputs and all parameters.
final class ModuleGradientTests: XCTestCase {
    func testLayers() {
        var g = SeededGenerator(seed: 1)
        let x = Tensor.uniform([2, 3, 8], in: -1...1, using: &g, requiresGrad: true)
        let lin = Linear(8, 5, using: &g)
        assertModuleGradients(lin, input: x) { lin(x) }
        let norm = LayerNorm(8)
        assertModuleGradients(norm, input: x) { norm(x) }
        let mlp = MLP(8, hidden: 6, 4, using: &g)
        assertModuleGradients(mlp, input: x) { mlp(x) }
        let attn = MultiHeadAttention(dim: 8, heads: 2, using: &g)
        assertModuleGradients(attn, input: x) { attn(x) }
    }

    func testAdapterAndBlockWithAdapter() {
        var g = SeededGenerator(seed: 2)
        let x = Tensor.uniform([2, 3, 8], in: -1...1, using: &g, requiresGrad: true)
        let adapter = Adapter(dim: 8, bottleneck: 3, using: &g)
        assertModuleGradients(adapter, input: x) { adapter(x) }
        // Trained (non-zero) up-projection, so that every adapter path carries gradient.
        for p in adapter.up.parameters { for i in 0..<p.count { p.data[i] = Float.random(in: -0.5...0.5, using: &g) } }
        assertModuleGradients(adapter, input: x) { adapter(x) }
        let block = TransformerBlock(dim: 8, heads: 2, mlpRatio: 2, using: &g)
        block.adapter = adapter
        assertModuleGradients(block, input: x) { block(x) }
    }

    func testVisionTransformerAndHead() throws {
        var g = SeededGenerator(seed: 3)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        spreadTokenParameters(vit, using: &g)
        let images = randomImages([2, 3, 16, 16], seed: 4)
        images.requiresGrad = true
        assertModuleGradients(vit, input: images, samples: 2) { try! vit.forward(images) }
        let head = MLPHead(dim: 16, hidden: 12, outputs: 5, using: &g)
        let tokens = try vit.forward(images).detached()
        tokens.requiresGrad = true
        assertModuleGradients(head, input: tokens) { head(classToken(tokens)) }
    }

    func testMaskedAutoencoderWithAndWithoutMasking() {
        for ratio: Float in [0, 0.5] {
            var g = SeededGenerator(seed: 5)
            let mae = MaskedAutoencoder(encoder: tinyConfiguration(channels: 4, depth: 1),
                                        decoder: MAEDecoderConfiguration(dim: 8, depth: 1, heads: 2, outChannels: 1),
                                        maskingRatio: ratio, using: &g)
            spreadTokenParameters(mae, using: &g)
            let images = randomImages([2, 4, 16, 16], seed: 6)
            assertModuleGradients(mae, samples: 2) {
                var masks = SeededGenerator(seed: 9)
                return try! mae.forward(images, using: &masks).prediction
            }
        }
    }

    /// The UNet's wiring (convolutions, pooling, skips, learned upsampling) with a smooth activation:
    /// with ReLU, a probe of ±ε moves some of the hundreds of pre-activations across their kink and
    /// the finite difference is not a derivative. ReLU's own backward is checked in the op tests.
    func testUNet() {
        var g = SeededGenerator(seed: 7)
        let unet = UNet(inChannels: 2, outChannels: 1, baseChannels: 4, levels: 2, activation: .gelu, using: &g)
        let x = randomImages([1, 2, 8, 8], seed: 8)
        x.requiresGrad = true
        assertModuleGradients(unet, input: x) { try! unet.forward(x) }
    }
}
