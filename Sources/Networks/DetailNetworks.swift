import Tensor

/// Shapes of the two detail networks of §3.3, stored (as JSON) with their weights.
///
/// Both read the same input `[B, 5, d, d]` in the head's UV layout (`TextureMap` row order): the
/// photo unwrapped to UV (RGB normalised as the coarse encoder's, v/255·4 − 2), its visibility
/// (1 where the texel is seen), and the tension map T_UV (Eq. 3). The teacher D_UNet sees the first
/// four channels (texture and visibility: it recovers what is visible); the MAE A sees all five and
/// adds the learned patch-wise detail latent x_d. Both end in D = D_max · tanh(·) ⊙ M_UV, the
/// displacement in metres along the normal, zero outside the face's UV skin M_UV.
public struct DetailConfiguration: Sendable, Codable, Equatable {
    /// d: UV grid side (128: the albedo model's grid; about 100 texels across the face, the
    /// resolution of the face in the 256² crop the texture is unwrapped from, halved).
    public var uvSize = 128
    /// D_max, metres (the paper's D ∈ [−0.01, 0.01]).
    public var maximumDisplacement: Float = 0.01
    public var teacherChannels = 16
    public var teacherLevels = 3
    public var patchSize = 8
    public var encoderDim = 128
    public var encoderDepth = 4
    public var encoderHeads = 4
    public var decoderDim = 128
    public var decoderDepth = 2
    public var decoderHeads = 4
    /// The face-model content hash the UV layout belongs to.
    public var faceModelHash = ""

    public init() {}

    public static let inputChannels = 5
    public static let teacherInputChannels = 4

    public var encoder: ViTConfiguration {
        ViTConfiguration(imageSize: uvSize, patchSize: patchSize, inChannels: DetailConfiguration.inputChannels,
                         dim: encoderDim, depth: encoderDepth, heads: encoderHeads)
    }
    public var decoder: MAEDecoderConfiguration {
        MAEDecoderConfiguration(dim: decoderDim, depth: decoderDepth, heads: decoderHeads, outChannels: 1)
    }
}

/// The UNet teacher D_UNet: `[B, 5, d, d]` inputs (of which texture and visibility are read) →
/// D `[B, 1, d, d]` metres. Parameters: `unet.*` (see `UNet`).
public final class DetailTeacher: Module {
    public let configuration: DetailConfiguration
    public let unet: UNet
    /// `[1, 1, d, d]` M_UV, a constant.
    public let domain: Tensor

    public init(_ c: DetailConfiguration, domain: [Float], seed: UInt64 = 1) {
        var g = SeededGenerator(seed: seed)
        configuration = c
        unet = UNet(inChannels: DetailConfiguration.teacherInputChannels, outChannels: 1, baseChannels: c.teacherChannels,
                    levels: c.teacherLevels, using: &g)
        self.domain = domainTensor(domain, c)
        zeroFill(unet.head.weight)
    }

    public var children: [(String, Module)] { [("unet", unet)] }

    public func callAsFunction(_ inputs: Tensor) throws -> Tensor {
        let raw = try unet.forward(slice(inputs, axis: 1, 0..<DetailConfiguration.teacherInputChannels))
        return tanh(raw) * configuration.maximumDisplacement * domain
    }
}

/// The detail MAE A(I, T_UV, x_d) with zero masking (every patch seen): `[B, 5, d, d]` → D
/// `[B, 1, d, d]` metres. Parameters: the `MaskedAutoencoder`'s (`detail_latent` is x_d).
public final class DetailMAE: Module {
    public let configuration: DetailConfiguration
    public let mae: MaskedAutoencoder
    public let domain: Tensor

    public init(_ c: DetailConfiguration, domain: [Float], seed: UInt64 = 1) {
        var g = SeededGenerator(seed: seed)
        configuration = c
        mae = MaskedAutoencoder(encoder: c.encoder, decoder: c.decoder, maskingRatio: 0, using: &g)
        self.domain = domainTensor(domain, c)
        zeroFill(mae.decoder.pred.weight)
    }

    public var localParameters: [(String, Tensor)] { mae.localParameters }
    public var children: [(String, Module)] { mae.children }

    public func callAsFunction(_ inputs: Tensor) throws -> Tensor {
        var g = SeededGenerator(seed: 0)
        let raw = try mae.forward(inputs, using: &g).prediction
        return tanh(raw) * configuration.maximumDisplacement * domain
    }
}

/// Zeroes a network's last weights so that it starts at D = 0, the coarse face: a random start adds
/// a noise displacement that makes the first renders worse than none.
func zeroFill(_ t: Tensor) {
    for i in 0..<t.count { t.data[i] = 0 }
}

/// M_UV `[1, 1, d, d]` for a configuration (a constant).
func domainTensor(_ domain: [Float], _ c: DetailConfiguration) -> Tensor {
    precondition(domain.count == c.uvSize * c.uvSize, "UV domain of \(domain.count) texels for a \(c.uvSize)² grid")
    return Tensor(domain, shape: [1, 1, c.uvSize, c.uvSize])
}
