/// Elementwise nonlinearities: GELU, ReLU, sigmoid, tanh. Each backward uses the saved input.

/// The elementwise functions with their derivatives.
public enum Activation: Sendable {
    /// GELU, tanh form: `x·σ(2c(x + 0.044715x³))`, `c = √(2/π)` (≤ 3e-4 from the erf form).
    case gelu
    /// `max(x, 0)`.
    case relu
    /// `σ(x) = 1/(1 + e^−x)`.
    case sigmoid
    /// `tanh x`.
    case tanh
}

private let geluScale: Float = 1.5957691216   // 2·√(2/π)

/// Forward: `y[i] = f(x[i])` for `count` elements.
func activationForward(_ f: Activation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    Compute.parallelFor(count, costPerItem: 20) { r in
        switch f {
        case .gelu:
            for i in r { let v = x[i]; y[i] = v * fastSigmoid(geluScale * (v + 0.044715 * v * v * v)) }
        case .relu: for i in r { y[i] = max(x[i], 0) }
        case .sigmoid: for i in r { y[i] = fastSigmoid(x[i]) }
        case .tanh: for i in r { y[i] = fastTanh(x[i]) }
        }
    }
}

/// Backward: `dx[i] += dy[i]·f'(x[i])`.
func activationBackward(_ f: Activation, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                        _ dx: UnsafeMutablePointer<Float>, count: Int) {
    Compute.parallelFor(count, costPerItem: 25) { r in
        switch f {
        case .gelu:
            for i in r {
                let v = x[i], v2 = v * v
                let s = fastSigmoid(geluScale * (v + 0.044715 * v2 * v))
                dx[i] += dy[i] * (s + v * s * (1 - s) * geluScale * (1 + 3 * 0.044715 * v2))
            }
        case .relu: for i in r { dx[i] += x[i] > 0 ? dy[i] : 0 }
        case .sigmoid: for i in r { let s = fastSigmoid(x[i]); dx[i] += dy[i] * s * (1 - s) }
        case .tanh: for i in r { let t = fastTanh(x[i]); dx[i] += dy[i] * (1 - t * t) }
        }
    }
}

/// Applies an activation elementwise.
public func activate(_ x: Tensor, _ f: Activation) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    activationForward(f, x.data, out.data, count: x.count)
    return out.recording([x]) { out in
        activationBackward(f, x.data, out.grad!, x.gradBuffer(), count: x.count)
    }
}

public func gelu(_ x: Tensor) -> Tensor { activate(x, .gelu) }
public func relu(_ x: Tensor) -> Tensor { activate(x, .relu) }
public func sigmoid(_ x: Tensor) -> Tensor { activate(x, .sigmoid) }
public func tanh(_ x: Tensor) -> Tensor { activate(x, .tanh) }
