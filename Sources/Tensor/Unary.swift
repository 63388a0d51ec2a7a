import Foundation

/// Elementwise mathematical functions with their derivatives (for losses and geometry built on
/// the engine): `exp`, `log`, `sqrt`, `abs`, `square`.
public enum UnaryFunction: Sendable {
    /// `eˣ`; derivative `eˣ`.
    case exp
    /// `ln x` (x > 0); derivative `1/x`.
    case log
    /// `√x` (x ≥ 0); derivative `1/(2√x)`.
    case sqrt
    /// `|x|`; derivative `sign(x)` (0 at 0).
    case abs
    /// `x²`; derivative `2x`.
    case square
}

/// Forward `y[i] = f(x[i])` and backward `dx[i] += dy[i]·f'(x[i])` (using the saved `x` and `y`).
func unaryForward(_ f: UnaryFunction, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    switch f {
    case .exp: for i in 0..<count { y[i] = Foundation.exp(x[i]) }
    case .log: for i in 0..<count { y[i] = Foundation.log(x[i]) }
    case .sqrt: for i in 0..<count { y[i] = x[i].squareRoot() }
    case .abs: for i in 0..<count { y[i] = Swift.abs(x[i]) }
    case .square: for i in 0..<count { y[i] = x[i] * x[i] }
    }
}

func unaryBackward(_ f: UnaryFunction, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                   _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
    switch f {
    case .exp: for i in 0..<count { dx[i] += dy[i] * y[i] }
    case .log: for i in 0..<count { dx[i] += dy[i] / x[i] }
    case .sqrt: for i in 0..<count { dx[i] += y[i] > 0 ? dy[i] / (2 * y[i]) : 0 }
    case .abs: for i in 0..<count { dx[i] += x[i] > 0 ? dy[i] : (x[i] < 0 ? -dy[i] : 0) }
    case .square: for i in 0..<count { dx[i] += 2 * x[i] * dy[i] }
    }
}

/// Applies `f` elementwise.
public func apply(_ f: UnaryFunction, _ x: Tensor) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    unaryForward(f, x.data, out.data, count: x.count)
    return out.recording([x]) { out in
        unaryBackward(f, x.data, out.data, out.grad!, x.gradBuffer(), count: x.count)
    }
}

public func exp(_ x: Tensor) -> Tensor { apply(.exp, x) }
public func log(_ x: Tensor) -> Tensor { apply(.log, x) }
public func sqrt(_ x: Tensor) -> Tensor { apply(.sqrt, x) }
public func abs(_ x: Tensor) -> Tensor { apply(.abs, x) }
public func square(_ x: Tensor) -> Tensor { apply(.square, x) }

/// Rows of `x` (indexing its first axis) picked by `indices` (repeats allowed):
/// `[N, …]` → `[K, …]`, `out[k] = x[indices[k]]`. Backward scatter-adds into the picked rows.
/// (E.g. the landmark vertices of a mesh.)
public func gatherRows(_ x: Tensor, _ indices: [Int]) -> Tensor {
    precondition(x.rank >= 1 && indices.allSatisfy { $0 >= 0 && $0 < x.shape[0] },
                 "gatherRows: indices outside 0..<\(x.shape.first ?? 0)")
    let row = x.count / max(x.shape[0], 1)
    let out = Tensor(uninitialized: [indices.count] + x.shape.dropFirst())
    for (k, i) in indices.enumerated() { (out.data + k * row).update(from: x.data + i * row, count: row) }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for (k, i) in indices.enumerated() {
            let (src, dst) = (g + k * row, gx + i * row)
            for j in 0..<row { dst[j] += src[j] }
        }
    }
}
