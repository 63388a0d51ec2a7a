import Foundation

/// Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019).
///
/// Per parameter `θ` with gradient `g`, at step `t`:
/// `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`,
/// `θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ)` for AdamW (decoupled decay), while Adam with weight decay adds
/// `λ·θ` to `g` before the moments (L2 regularisation). Parameters that are frozen
/// (`requiresGrad == false`) or received no gradient are left untouched, bit for bit.
public final class Adam {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// True for AdamW's decoupled weight decay.
    public let decoupledWeightDecay: Bool
    public private(set) var stepCount = 0
    var moments: [Storage?]

    public init(parameters: [Tensor], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        moments = Array(repeating: nil, count: parameters.count)
    }

    /// AdamW with the customary decay 0.01.
    public static func adamW(parameters: [Tensor], learningRate: Float, weightDecay: Float = 0.01,
                             beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// Applies one update from the accumulated gradients (it does not clear them).
    public func step() {
        stepCount += 1
        let c1 = 1 - pow(beta1, Float(stepCount)), c2 = 1 - pow(beta2, Float(stepCount))
        for (i, p) in parameters.enumerated() where p.requiresGrad {
            guard let g = p.grad else { continue }
            if moments[i] == nil { moments[i] = Storage(zeros: 2 * p.count) }
            let (m, v, x, n) = (moments[i]!.pointer, moments[i]!.pointer + p.count, p.data, p.count)
            let (lr, b1, b2, eps, wd) = (learningRate, beta1, beta2, epsilon, weightDecay)
            let coupled: Float = decoupledWeightDecay ? 0 : wd, decoupled: Float = decoupledWeightDecay ? wd : 0
            for j in 0..<n {
                let gj = g[j] + coupled * x[j]
                m[j] = b1 * m[j] + (1 - b1) * gj
                v[j] = b2 * v[j] + (1 - b2) * gj * gj
                let update = (m[j] / c1) / ((v[j] / c2).squareRoot() + eps)
                x[j] -= lr * (update + decoupled * x[j])
            }
        }
    }

    /// Clears the gradients of all parameters.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm`; returns the norm before
/// clipping. `‖g‖ = √(Σ_p Σ_i g_pi²)`; if `‖g‖ > maxNorm`, every `g ← g · maxNorm/‖g‖`.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in parameters { if let g = p.grad { for i in 0..<p.count { total += Double(g[i]) * Double(g[i]) } } }
    let norm = Float(total.squareRoot())
    guard norm > maxNorm, norm > 0 else { return norm }
    let scale = maxNorm / norm
    for p in parameters { if let g = p.grad { for i in 0..<p.count { g[i] *= scale } } }
    return norm
}

/// Linear warmup then cosine decay of the learning rate:
/// `lr(t) = base·(t+1)/warmup` for `t < warmup`, then
/// `lr(t) = min + (base − min)·(1 + cos(π·(t − warmup)/(total − warmup)))/2`, and `min` after `total`.
public struct WarmupCosineSchedule: Sendable, Equatable {
    public let baseRate: Float, minimumRate: Float
    public let warmupSteps: Int, totalSteps: Int

    public init(baseRate: Float, warmupSteps: Int, totalSteps: Int, minimumRate: Float = 0) {
        self.baseRate = baseRate
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(totalSteps, warmupSteps + 1)
        self.minimumRate = minimumRate
    }

    /// The learning rate for step `t` (0-based).
    public func rate(at t: Int) -> Float {
        if t < warmupSteps { return baseRate * Float(t + 1) / Float(warmupSteps) }
        if t >= totalSteps { return minimumRate }
        let progress = Float(t - warmupSteps) / Float(totalSteps - warmupSteps)
        return minimumRate + (baseRate - minimumRate) * (1 + cos(Float.pi * progress)) / 2
    }
}

extension Adam {
    /// The optimiser's state as safetensors entries, for resumable checkpoints: the step count
    /// (`adam.step`) and each parameter's moments m and v (`adam.moments.<i>`, `[2, count]`, by
    /// position in `parameters`; absent for parameters that never received a gradient).
    public func stateTensors() throws -> [(String, SafeTensor)] {
        var out = [("adam.step", try SafeTensor(shape: [1], integers: [Int64(stepCount)]))]
        for (i, m) in moments.enumerated() {
            guard let m else { continue }
            let n = parameters[i].count
            out.append(("adam.moments.\(i)", try SafeTensor(shape: [2, n], floats: Array(UnsafeBufferPointer(start: m.pointer, count: 2 * n)))))
        }
        return out
    }

    /// Restores the state written by `stateTensors` (same parameter list).
    /// - Throws: `TensorError.invalidArgument` when the stored moments do not fit the parameters.
    public func loadState(from file: SafeTensorsFile) throws {
        guard let step = try file["adam.step"]?.integers().first else {
            throw TensorError.invalidArgument("the checkpoint has no optimiser state (adam.step)")
        }
        var restored = [Storage?](repeating: nil, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            guard let t = file["adam.moments.\(i)"] else { continue }
            guard t.shape == [2, p.count] else {
                throw TensorError.invalidArgument("optimiser moments \(i) have shape \(t.shape), the parameter has \(p.count) values")
            }
            let values = try t.floats()
            let s = Storage(zeros: 2 * p.count)
            values.withUnsafeBufferPointer { s.pointer.update(from: $0.baseAddress!, count: values.count) }
            restored[i] = s
        }
        moments = restored
        stepCount = Int(step)
    }
}
