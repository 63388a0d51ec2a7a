import Tensor

/// Decoder shape of a masked autoencoder.
public struct MAEDecoderConfiguration: Sendable, Equatable {
    public var dim: Int, depth: Int, heads: Int, outChannels: Int
    public init(dim: Int = 128, depth: Int = 4, heads: Int = 4, outChannels: Int = 1) {
        self.dim = dim
        self.depth = depth
        self.heads = heads
        self.outChannels = outChannels
    }
}

/// What a masked-autoencoder pass produced.
public struct MAEOutput {
    /// Reconstruction `[B, outChannels, H, W]` (the detail MAE's UV displacement map).
    public let prediction: Tensor
    /// Per sample, the patch indices the encoder saw (all of them when the masking ratio is 0).
    public let visible: [[Int]]
}

/// The ViT decoder of a masked autoencoder (He et al. 2022): embeds encoder tokens to the decoder
/// width, puts the learned `mask_token` at the masked patch positions, adds learned positional
/// embeddings, runs pre-LN blocks and predicts `p·p·outChannels` values per patch.
/// Parameters: `decoder_embed`, `mask_token` `[1,1,Dd]`, `decoder_pos_embed` `[1,N+1,Dd]`,
/// `decoder_blocks.<i>`, `decoder_norm`, `decoder_pred`.
public final class MAEDecoder: BlockStack {
    public let embed: Linear
    public let maskToken: Tensor, posEmbed: Tensor
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm
    public let pred: Linear
    let patchCount: Int

    public init(encoderDim: Int, patchSize: Int, patchCount: Int, _ c: MAEDecoderConfiguration,
                using g: inout SeededGenerator) {
        embed = Linear(encoderDim, c.dim, using: &g)
        maskToken = Tensor.truncatedNormal([1, 1, c.dim], std: 0.02, using: &g, requiresGrad: true)
        posEmbed = Tensor.truncatedNormal([1, patchCount + 1, c.dim], std: 0.02, using: &g, requiresGrad: true)
        blocks = (0..<c.depth).map { _ in TransformerBlock(dim: c.dim, heads: c.heads, using: &g) }
        norm = LayerNorm(c.dim)
        pred = Linear(c.dim, patchSize * patchSize * c.outChannels, using: &g)
        self.patchCount = patchCount
    }

    public var localParameters: [(String, Tensor)] { [("mask_token", maskToken), ("decoder_pos_embed", posEmbed)] }
    public var children: [(String, Module)] {
        [("decoder_embed", embed)] + blocks.enumerated().map { ("decoder_blocks.\($0.offset)", $0.element) }
            + [("decoder_norm", norm), ("decoder_pred", pred)]
    }

    /// Encoder tokens `[B, 1 + K, D]` (class token first) of the `visible` patches → per-patch
    /// predictions `[B, N, p·p·outChannels]`.
    public func callAsFunction(_ encoded: Tensor, visible: [[Int]]) -> Tensor {
        let x = embed(encoded)
        let (k, dd) = (x.shape[1] - 1, x.shape[2])
        var patches = slice(x, axis: 1, 1..<(k + 1))
        if k < patchCount {
            patches = scatterTokens(patches, indices: visible, tokens: patchCount, fill: maskToken.reshaped([dd]))
        }
        var h = concat([slice(x, axis: 1, 0..<1), patches], axis: 1) + posEmbed
        for block in blocks { h = block(h) }
        let out = pred(norm(h))
        return slice(out, axis: 1, 1..<(patchCount + 1))
    }
}

/// Masked autoencoder: a `VisionTransformer` encoder over a random subset of patches and an
/// `MAEDecoder` — the detail network `A(I, T_UV, x_d)` of the paper (§3.3), whose input channels
/// stack the unwrapped texture and the tension map, with a learnable patch-wise detail latent
/// `x_d` (`detail_latent` `[1, N, D]`, zero-initialised, added to the patch tokens). The paper uses
/// masking ratio 0 (every patch visible); a positive ratio hides `round(ratio·N)` random patches
/// per sample.
public final class MaskedAutoencoder: Module {
    public let encoder: VisionTransformer
    public let decoder: MAEDecoder
    public let detailLatent: Tensor
    public var maskingRatio: Float

    public init(encoder c: ViTConfiguration, decoder d: MAEDecoderConfiguration, maskingRatio: Float = 0,
                using g: inout SeededGenerator) {
        encoder = VisionTransformer(c, using: &g)
        decoder = MAEDecoder(encoderDim: c.dim, patchSize: c.patchSize, patchCount: c.patchCount, d, using: &g)
        detailLatent = Tensor(zeros: [1, c.patchCount, c.dim], requiresGrad: true)
        self.maskingRatio = maskingRatio
    }

    /// Names follow the flat layout of the reference MAE implementation (He et al.): encoder
    /// parameters at the top level (`patch_embed…`, `cls_token`, `pos_embed`, `blocks.<i>…`,
    /// `norm…`), then the decoder's (`decoder_embed…`, `mask_token`, `decoder_pos_embed`,
    /// `decoder_blocks.<i>…`, `decoder_norm…`, `decoder_pred…`), plus `detail_latent`.
    public var localParameters: [(String, Tensor)] {
        encoder.localParameters + [("detail_latent", detailLatent)] + decoder.localParameters
    }
    public var children: [(String, Module)] { encoder.children + decoder.children }

    /// Reconstructs `images` `[B, C, H, W]` → `[B, outChannels, H, W]`; `g` draws the masks.
    public func forward(_ images: Tensor, using g: inout SeededGenerator) throws -> MAEOutput {
        let (perPatch, visible) = try forwardPatches(images, using: &g)
        let c = encoder.configuration
        return MAEOutput(prediction: unpatchify(perPatch, patch: c.patchSize, gridH: c.gridSize, gridW: c.gridSize), visible: visible)
    }

    /// The per-patch predictions `[B, N, p·p·outChannels]` (`patchify`'s layout) and the visible
    /// patches of each sample: what MAE pre-training scores, on the masked patches only.
    public func forwardPatches(_ images: Tensor, using g: inout SeededGenerator) throws -> (patches: Tensor, visible: [[Int]]) {
        try encoder.validate(images)
        guard maskingRatio >= 0 && maskingRatio < 1 else {
            throw TensorError.invalidArgument("masking ratio \(maskingRatio) is outside [0, 1)")
        }
        let c = encoder.configuration
        let (b, n) = (images.shape[0], c.patchCount)
        let keep = max(1, n - Int((maskingRatio * Float(n)).rounded()))
        var tokens = encoder.embedPatches(images) + detailLatent
        var visible = [[Int]](repeating: Array(0..<n), count: b)
        if keep < n {
            visible = (0..<b).map { _ in Array(Array(0..<n).shuffled(using: &g).prefix(keep)).sorted() }
            tokens = gatherTokens(tokens, indices: visible)
        }
        return (decoder(encoder.encode(tokens), visible: visible), visible)
    }
}
