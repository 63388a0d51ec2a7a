import Foundation

/// Seeded randomness for reproducible initialisation and masking.

/// SplitMix64: a small, fast, seedable generator (the same seed gives the same weights on every
/// machine, which the tests and checkpoints rely on).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}


extension Tensor {
    /// Normal samples with standard deviation `std`, redrawn beyond ±2σ (ViT's truncated normal).
    public static func truncatedNormal(_ shape: [Int], std: Float, using g: inout SeededGenerator,
                                       requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count {
            var v = g.normal()
            while abs(v) > 2 { v = g.normal() }
            t.data[i] = v * std
        }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Uniform samples in `range`.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Float>, using g: inout SeededGenerator,
                               requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.data[i] = Float.random(in: range, using: &g) }
        t.requiresGrad = requiresGrad
        return t
    }
}
