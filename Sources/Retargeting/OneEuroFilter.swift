import Foundation

/// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012) on a vector of channels, each filtered
/// independently: an exponential smoother whose cut-off rises with the signal's speed, so a still
/// signal is smoothed hard (no jitter) and a fast one passes with little lag.
///
/// For a sample xᵢ at time tᵢ (Δt = tᵢ − tᵢ₋₁), per channel:
///
///     α(f) = 1 / (1 + τ/Δt),  τ = 1 / (2π f)
///     ẋᵢ   = α(f_d)·(xᵢ − x̂ᵢ₋₁)/Δt + (1 − α(f_d))·ẋᵢ₋₁          (smoothed speed)
///     fᵢ   = f_min + β·|ẋᵢ|                                       (adaptive cut-off, Hz)
///     x̂ᵢ   = α(fᵢ)·xᵢ + (1 − α(fᵢ))·x̂ᵢ₋₁
///
/// The first sample passes unchanged. `reset()` forgets the state (after a face was lost, so the
/// next face does not glide in from the last one).
public struct OneEuroFilter: Sendable {
    /// f_min in Hz: the cut-off when still (lower: less jitter, more lag at low speed).
    public var minCutoff: Double
    /// β in Hz per (unit/s): how fast the cut-off rises with speed (higher: less lag when moving).
    public var beta: Double
    /// f_d in Hz: the cut-off of the speed estimate.
    public var derivativeCutoff: Double

    private var previous: [Double]?
    private var speed: [Double] = []
    private var lastTime: Double = 0

    public init(minCutoff: Double = 0.5, beta: Double = 4, derivativeCutoff: Double = 1.0) {
        self.minCutoff = minCutoff
        self.beta = beta
        self.derivativeCutoff = derivativeCutoff
    }

    static func alpha(cutoff: Double, dt: Double) -> Double {
        let tau = 1 / (2 * Double.pi * cutoff)
        return 1 / (1 + tau / dt)
    }

    public mutating func reset() { previous = nil }

    /// The filtered channels for `x` sampled at `time` seconds (times must increase; a sample at
    /// the same time or earlier is taken as 1 ms after the last).
    public mutating func filter(_ x: [Float], at time: Double) -> [Float] {
        guard let previous, previous.count == x.count else {
            self.previous = x.map(Double.init)
            speed = [Double](repeating: 0, count: x.count)
            lastTime = time
            return x
        }
        let dt = max(time - lastTime, 1e-3)
        lastTime = time
        let aD = OneEuroFilter.alpha(cutoff: derivativeCutoff, dt: dt)
        var out = previous
        for c in x.indices {
            let v = Double(x[c])
            speed[c] = aD * (v - previous[c]) / dt + (1 - aD) * speed[c]
            let a = OneEuroFilter.alpha(cutoff: minCutoff + beta * abs(speed[c]), dt: dt)
            out[c] = a * v + (1 - a) * previous[c]
        }
        self.previous = out
        return out.map(Float.init)
    }
}
