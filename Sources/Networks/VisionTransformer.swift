import Tensor

/// Shape of a vision transformer.
public struct ViTConfiguration: Sendable, Equatable, Codable {
    public var imageSize: Int, patchSize: Int, inChannels: Int
    public var dim: Int, depth: Int, heads: Int, mlpRatio: Int

    public init(imageSize: Int = 256, patchSize: Int = 16, inChannels: Int = 3, dim: Int = 192, depth: Int = 12,
                heads: Int = 3, mlpRatio: Int = 4) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.dim = dim
        self.depth = depth
        self.heads = heads
        self.mlpRatio = mlpRatio
    }

    /// Patches per side, `imageSize / patchSize`.
    public var gridSize: Int { imageSize / patchSize }
    /// Number of patches `N`; the encoder sequence has `N + 1` tokens with the class token.
    public var patchCount: Int { gridSize * gridSize }
}

/// 16×16 patch embedding: `[B, C, H, W]` → `[B, N, D]`, a stride-p p×p convolution (`proj`, weight
/// `[D, C, p, p]`) computed as `patchify` + one `linear` GEMM over all patches instead of im2col.
public final class PatchEmbed: Module {
    public let proj: Conv2d
    public let patchSize: Int

    public init(patchSize: Int, inChannels: Int, dim: Int, using g: inout SeededGenerator) {
        proj = Conv2d(inChannels, dim, kernel: patchSize, stride: patchSize, using: &g)
        self.patchSize = patchSize
    }

    public var children: [(String, Module)] { [("proj", proj)] }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        linear(patchify(images, patch: patchSize), weight: proj.weight, bias: proj.bias)
    }
}

/// ViT encoder (Dosovitskiy et al. 2021), the coarse encoder `E_c` of the paper (§3.2): patch
/// embedding + learned positional embeddings, a learnable class token prepended, `depth` pre-LN
/// blocks, a final LayerNorm. `[B, C, H, W]` → tokens `[B, 1 + N, D]` (token 0 is the class token).
///
/// Parameters: `patch_embed.proj.{weight,bias}`, `cls_token` `[1,1,D]`, `pos_embed` `[1,N+1,D]`,
/// `blocks.<i>.…`, `norm.{weight,bias}`.
public final class VisionTransformer: BlockStack {
    public let configuration: ViTConfiguration
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor, posEmbed: Tensor
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm

    public init(_ c: ViTConfiguration, using g: inout SeededGenerator) {
        configuration = c
        patchEmbed = PatchEmbed(patchSize: c.patchSize, inChannels: c.inChannels, dim: c.dim, using: &g)
        clsToken = Tensor.truncatedNormal([1, 1, c.dim], std: 0.02, using: &g, requiresGrad: true)
        posEmbed = Tensor.truncatedNormal([1, c.patchCount + 1, c.dim], std: 0.02, using: &g, requiresGrad: true)
        blocks = (0..<c.depth).map { _ in TransformerBlock(dim: c.dim, heads: c.heads, mlpRatio: c.mlpRatio, using: &g) }
        norm = LayerNorm(c.dim)
    }

    public var localParameters: [(String, Tensor)] { [("cls_token", clsToken), ("pos_embed", posEmbed)] }
    public var children: [(String, Module)] {
        [("patch_embed", patchEmbed)] + blocks.enumerated().map { ("blocks.\($0.offset)", $0.element) }
            + [("norm", norm)]
    }

    /// Checks that `images` is `[B, inChannels, imageSize, imageSize]`.
    public func validate(_ images: Tensor) throws {
        let c = configuration
        guard images.rank == 4, images.shape[1] == c.inChannels, images.shape[2] == c.imageSize,
              images.shape[3] == c.imageSize else {
            throw TensorError.shapeMismatch(expected: [images.shape.first ?? 1, c.inChannels, c.imageSize, c.imageSize],
                                            got: images.shape, context: "vision transformer input")
        }
    }

    /// Patch tokens with their positional embeddings, `[B, N, D]` (no class token).
    public func embedPatches(_ images: Tensor) -> Tensor {
        patchEmbed(images) + slice(posEmbed, axis: 1, 1..<(configuration.patchCount + 1))
    }

    /// Prepends the class token (with its positional embedding) to `[B, K, D]` tokens and runs the
    /// blocks and the final norm → `[B, 1 + K, D]`.
    public func encode(_ tokens: Tensor) -> Tensor {
        let (b, d) = (tokens.shape[0], configuration.dim)
        let cls = broadcast(clsToken + slice(posEmbed, axis: 1, 0..<1), to: [b, 1, d])
        var x = concat([cls, tokens], axis: 1)
        for block in blocks { x = block(x) }
        return norm(x)
    }

    /// The full encoder: images → tokens `[B, 1 + N, D]`.
    public func forward(_ images: Tensor) throws -> Tensor {
        try validate(images)
        return encode(embedPatches(images))
    }
}

/// The class token of encoder output `[B, T, D]` → `[B, D]`.
public func classToken(_ tokens: Tensor) -> Tensor {
    slice(tokens, axis: 1, 0..<1).reshaped([tokens.shape[0], tokens.shape[2]])
}

/// Regression head: an MLP with one hidden layer from the class token to the latent code
/// (paper §3.2: "passed through an MLP with one hidden layer"): `[B, D]` → `[B, outputs]`.
public final class MLPHead: Module {
    public let mlp: MLP
    public init(dim: Int, hidden: Int, outputs: Int, using g: inout SeededGenerator) {
        mlp = MLP(dim, hidden: hidden, outputs, using: &g)
    }
    public var children: [(String, Module)] { mlp.children }
    public func callAsFunction(_ x: Tensor) -> Tensor { mlp(x) }
}
