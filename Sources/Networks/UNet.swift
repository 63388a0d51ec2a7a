import Tensor

/// Two 3×3 convolutions (padding 1), each followed by the activation `f` (ReLU by default):
/// `f(conv2(f(conv1(x))))`.
public final class DoubleConv: Module {
    public let conv1: Conv2d, conv2: Conv2d
    public let activation: Activation
    public init(_ inChannels: Int, _ outChannels: Int, activation: Activation = .relu, using g: inout SeededGenerator) {
        conv1 = Conv2d(inChannels, outChannels, kernel: 3, padding: 1, using: &g)
        conv2 = Conv2d(outChannels, outChannels, kernel: 3, padding: 1, using: &g)
        self.activation = activation
    }
    public var children: [(String, Module)] { [("conv1", conv1), ("conv2", conv2)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { activate(conv2(activate(conv1(x), activation)), activation) }
}

/// A shallow UNet (Ronneberger et al. 2015), the detail teacher `D_UNet` of the paper (§3.3, Eq. 5's
/// pseudo ground truth): `levels` encoder stages (DoubleConv, 2×2 max-pool) doubling the channels
/// from `baseChannels`, a bottleneck DoubleConv, then per level a learned 2× upsampling
/// (ConvTranspose2d k2 s2), concatenation with the encoder feature of the same resolution (the skip
/// connection) and a DoubleConv, and a final 1×1 convolution.
/// `[B, inChannels, H, W]` → `[B, outChannels, H, W]`, `H`, `W` divisible by `2^levels`.
/// Parameters: `down.<i>`, `bottleneck`, `up.<i>` (transposed convs), `dec.<i>`, `head`.
public final class UNet: Module {
    public let down: [DoubleConv], bottleneck: DoubleConv
    public let up: [ConvTranspose2d], dec: [DoubleConv]
    public let head: Conv2d
    public let levels: Int

    /// - Parameter activation: the nonlinearity of the DoubleConvs (ReLU in the standard UNet).
    public init(inChannels: Int, outChannels: Int, baseChannels: Int = 16, levels: Int = 2,
                activation: Activation = .relu, using g: inout SeededGenerator) {
        let widths = (0...levels).map { baseChannels << $0 }
        var down: [DoubleConv] = []
        for i in 0..<levels { down.append(DoubleConv(i == 0 ? inChannels : widths[i - 1], widths[i], activation: activation, using: &g)) }
        self.down = down
        bottleneck = DoubleConv(widths[levels - 1], widths[levels], activation: activation, using: &g)
        var up: [ConvTranspose2d] = [], dec: [DoubleConv] = []
        for i in stride(from: levels - 1, through: 0, by: -1) {
            up.append(ConvTranspose2d(widths[i + 1], widths[i], using: &g))
            dec.append(DoubleConv(2 * widths[i], widths[i], activation: activation, using: &g))
        }
        self.up = up
        self.dec = dec
        head = Conv2d(baseChannels, outChannels, kernel: 1, using: &g)
        self.levels = levels
    }

    public var children: [(String, Module)] {
        down.enumerated().map { ("down.\($0.offset)", $0.element as Module) } + [("bottleneck", bottleneck)]
            + up.enumerated().map { ("up.\($0.offset)", $0.element as Module) }
            + dec.enumerated().map { ("dec.\($0.offset)", $0.element as Module) } + [("head", head)]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let m = 1 << levels
        guard x.rank == 4, x.shape[1] == down[0].conv1.weight.shape[1], x.shape[2] % m == 0, x.shape[3] % m == 0 else {
            throw TensorError.invalidArgument(
                "UNet input must be [B, \(down[0].conv1.weight.shape[1]), H, W] with H, W divisible by \(m); got \(x.shape)")
        }
        var skips: [Tensor] = []
        var h = x
        for stage in down {
            h = stage(h)
            skips.append(h)
            h = maxPool2d(h, kernel: 2)
        }
        h = bottleneck(h)
        for (upsample, stage) in zip(up, dec) {
            h = stage(concat([upsample(h), skips.removeLast()], axis: 1))
        }
        return head(h)
    }
}
