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
            mapLanes(x + r.lowerBound, y + r.lowerBound, r.count, { v in
                v / (1 + fastExp(-geluScale * (v + 0.044715 * v * v * v)))
            }, { v in v * fastSigmoid(geluScale * (v + 0.044715 * v * v * v)) })
        case .relu: for i in r { y[i] = max(x[i], 0) }
        case .sigmoid: mapLanes(x + r.lowerBound, y + r.lowerBound, r.count, { 1 / (1 + fastExp(-$0)) }, fastSigmoid)
        case .tanh: mapLanes(x + r.lowerBound, y + r.lowerBound, r.count, { 2 / (1 + fastExp(-2 * $0)) - 1 }, fastTanh)
        }
    }
}

/// Backward: `dx[i] += dy[i]·f'(x[i])`.
func activationBackward(_ f: Activation, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                        _ dx: UnsafeMutablePointer<Float>, count: Int) {
    Compute.parallelFor(count, costPerItem: 25) { r in
        switch f {
        case .gelu:
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self), v2 = v * v
                let u: SIMD8<Float> = -geluScale * (v + 0.044715 * v2 * v)
                let s: SIMD8<Float> = 1 / (1 + fastExp(u))
                let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
                let d = UnsafeRawPointer(dx + i).loadUnaligned(as: SIMD8<Float>.self)
                let inner: SIMD8<Float> = geluScale * (1 + 0.134145 * v2)   // d/dv of the sigmoid argument
                let ds: SIMD8<Float> = s * (1 - s)
                let slope: SIMD8<Float> = s + v * ds * inner
                UnsafeMutableRawPointer(dx + i).storeBytes(of: d + g * slope, as: SIMD8<Float>.self)
                i += 8
            }
            while i < r.upperBound {
                let v = x[i], v2 = v * v
                let s = fastSigmoid(geluScale * (v + 0.044715 * v2 * v))
                dx[i] += dy[i] * (s + v * s * (1 - s) * geluScale * (1 + 3 * 0.044715 * v2))
                i += 1
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
