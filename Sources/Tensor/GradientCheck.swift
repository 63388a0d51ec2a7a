/// Finite-difference verification of reverse-mode gradients, for tests of every op and module
/// (here and in the modules that build on the engine).
///
/// The scalar probed is `L = Σ_i w_i·f(x)_i` with fixed random weights `w` (so every output element
/// matters), accumulated in Double. Analytic: one reverse pass seeded with `w`. Numeric: central
/// differences `(L(x + εe_j) − L(x − εe_j)) / 2ε` for up to `samplesPerInput` entries `j` of each
/// input, evaluated without recording. An entry passes when
/// `|analytic − numeric| ≤ absoluteTolerance + relativeTolerance·max(|analytic|, |numeric|)`.
/// Float32 forward passes limit ε from below; ε = 1e-2 with the default tolerances is robust for
/// smooth ops at unit scale. Keep inputs of kinked ops (ReLU, max, |·|) more than ε from their kinks.
public struct GradientCheck {
    public var epsilon: Float = 1e-2
    public var relativeTolerance: Double = 2e-2
    public var absoluteTolerance: Double = 2e-3
    public var samplesPerInput = 16
    public var seed: UInt64 = 7

    public init() {}

    /// One compared entry.
    public struct Mismatch: CustomStringConvertible {
        public let input: Int, index: Int
        public let analytic: Double, numeric: Double
        public var description: String {
            "input \(input)[\(index)]: analytic \(analytic), numeric \(numeric)"
        }
    }

    /// Compares gradients of `f` with respect to each tensor in `inputs` (which must require
    /// gradients); returns the entries that disagree (empty when all pass) and the number compared.
    public func run(_ inputs: [Tensor], _ f: () -> Tensor) -> (mismatches: [Mismatch], compared: Int) {
        inputs.forEach { $0.zeroGrad() }
        let out = f()
        var g = SeededGenerator(seed: seed)
        let weights = Tensor.uniform(out.shape, in: -1...1, using: &g)
        out.backward(seed: weights)
        let analytic = inputs.map(\.gradValues)
        func probe() -> Double {
            let y = Autograd.withoutRecording(f)
            var total = 0.0
            for i in 0..<y.count { total += Double(y.data[i]) * Double(weights.data[i]) }
            return total
        }
        var mismatches: [Mismatch] = []
        var compared = 0
        for (k, x) in inputs.enumerated() {
            let indices = x.count <= samplesPerInput ? Array(0..<x.count)
                : (0..<samplesPerInput).map { _ in Int.random(in: 0..<x.count, using: &g) }
            for j in indices {
                let saved = x.data[j]
                x.data[j] = saved + epsilon
                let plus = probe()
                x.data[j] = saved - epsilon
                let minus = probe()
                x.data[j] = saved
                let numeric = (plus - minus) / (2 * Double(epsilon))
                let a = Double(analytic[k][j])
                compared += 1
                if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                    mismatches.append(Mismatch(input: k, index: j, analytic: a, numeric: numeric))
                }
            }
        }
        return (mismatches, compared)
    }
}
