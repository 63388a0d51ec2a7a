import Foundation
import Tensor

// The Networks module: the paper's networks as `Module`s over the Tensor engine.
// - Layers (this file): `Linear`, `LayerNorm`, `Conv2d`, `ConvTranspose2d`, `MLP`.
// - Transformer.swift: `MultiHeadAttention`, `Adapter` (Houlsby), `TransformerBlock` (pre-LN), and
//   `BlockStack` (adapter insertion/removal, adapter-only checkpoints).
// - VisionTransformer.swift: `ViTConfiguration`, `PatchEmbed`, `VisionTransformer`, `MLPHead`.
// - MaskedAutoencoder.swift: `MAEDecoder`, `MaskedAutoencoder` (masking ratio, detail latent).
// - UNet.swift: `DoubleConv`, `UNet` (the detail teacher).

/// Parameterised layers: Linear, LayerNorm, Conv2d, ConvTranspose2d, and the two-layer MLP.
/// Each owns `weight`/`bias` tensors (PyTorch names and layouts) and calls the Tensor op.

/// `y = x·Wᵀ + b`, `W` `[out, in]` Xavier-uniform, `b` zeros.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, using g: inout SeededGenerator) {
        let bound = (6 / Float(inFeatures + outFeatures)).squareRoot()
        weight = Tensor.uniform([outFeatures, inFeatures], in: -bound...bound, using: &g, requiresGrad: true)
        self.bias = bias ? Tensor(zeros: [outFeatures], requiresGrad: true) : nil
    }

    /// A layer with both weight and bias zero (the output projection of an adapter).
    public init(zeros inFeatures: Int, _ outFeatures: Int) {
        weight = Tensor(zeros: [outFeatures, inFeatures], requiresGrad: true)
        bias = Tensor(zeros: [outFeatures], requiresGrad: true)
    }

    public var localParameters: [(String, Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }
}

/// Layer normalisation over the last axis; `weight` (γ) ones, `bias` (β) zeros, ε = 1e-6.
public final class LayerNorm: Module {
    public let weight: Tensor, bias: Tensor
    public let epsilon: Float

    public init(_ dim: Int, epsilon: Float = 1e-6) {
        weight = Tensor(repeating: 1, shape: [dim], requiresGrad: true)
        bias = Tensor(zeros: [dim], requiresGrad: true)
        self.epsilon = epsilon
    }

    public var localParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, gamma: weight, beta: bias, epsilon: epsilon) }
}

/// 2-D convolution, `weight` `[out, in, k, k]` He-normal (std √(2/fan_in)), `bias` zeros.
public final class Conv2d: Module {
    public let weight: Tensor, bias: Tensor
    public let stride: Int, padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                using g: inout SeededGenerator) {
        let std = (2 / Float(inChannels * kernel * kernel)).squareRoot()
        weight = Tensor.truncatedNormal([outChannels, inChannels, kernel, kernel], std: std, using: &g,
                                        requiresGrad: true)
        bias = Tensor(zeros: [outChannels], requiresGrad: true)
        self.stride = stride
        self.padding = padding
    }

    public var localParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// Transposed convolution (learned ×`stride` upsampling), `weight` `[in, out, k, k]`, `bias` zeros.
public final class ConvTranspose2d: Module {
    public let weight: Tensor, bias: Tensor
    public let stride: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int = 2, stride: Int = 2,
                using g: inout SeededGenerator) {
        let std = (2 / Float(inChannels)).squareRoot()
        weight = Tensor.truncatedNormal([inChannels, outChannels, kernel, kernel], std: std, using: &g,
                                        requiresGrad: true)
        bias = Tensor(zeros: [outChannels], requiresGrad: true)
        self.stride = stride
    }

    public var localParameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { convTranspose2d(x, weight: weight, bias: bias, stride: stride) }
}

/// Two-layer perceptron `fc2(GELU(fc1(x)))` — the transformer feed-forward layer and the MLP head.
public final class MLP: Module {
    public let fc1: Linear, fc2: Linear

    public init(_ inFeatures: Int, hidden: Int, _ outFeatures: Int, using g: inout SeededGenerator) {
        fc1 = Linear(inFeatures, hidden, using: &g)
        fc2 = Linear(hidden, outFeatures, using: &g)
    }

    public var children: [(String, Module)] { [("fc1", fc1), ("fc2", fc2)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(gelu(fc1(x))) }
}
