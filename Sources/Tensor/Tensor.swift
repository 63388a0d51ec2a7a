import Foundation

// The Tensor module: float32 tensors on OpenBLAS with reverse-mode differentiation.
//
// - `Tensor` (this file), `Storage`/`BufferPool` (buffers), `Autograd` (the tape; why a tape).
// - Ops, each a forward/backward kernel pair plus a differentiable wrapper: `matmul`, `linear`,
//   `elementwise`/`+ − × ÷`/`broadcast`, `sum`/`mean`, `reshaped`/`permute`/`transpose`/`concat`/
//   `slice`/`gatherRows`, `gelu`/`relu`/`sigmoid`/`tanh`, `exp`/`log`/`sqrt`/`abs`/`square`,
//   `softmax`, `layerNorm`, `selfAttention`, `conv2d` (per-side `ConvPadding`)/`depthwiseConv2d`/`convTranspose2d`, `maxPool2d`/`avgPool2d`,
//   `patchify`/`unpatchify`/`gatherTokens`/`scatterTokens`, `affineResample` (bilinear, one affine map
//   per item), losses `l1Loss`/`mseLoss`/`ssimLoss`.
// - Custom ops in other modules: `Tensor.recording(_:_:)`; verify them with `GradientCheck`.
// - Training: `Module` (named parameters, freezing), `Adam` (Adam/AdamW), `clipGradientNorm`,
//   `WarmupCosineSchedule`, `Checkpoint` (safetensors by name), `SeededGenerator`.
// - Threads: `Compute.setThreads(_:strategy:)` (default 1 thread).

/// A float32 tensor: contiguous, row-major, with a shape.
///
/// Tensors are reference types: a tensor owns (or, for `reshaped` views, shares) one `Storage` and,
/// when it takes part in differentiation, a gradient buffer of the same shape. Operations never
/// modify their inputs; they return new tensors and, when any input `requiresGrad` and recording is
/// on (see `Autograd`), attach the backward function that the reverse pass will call.
///
/// Shapes are `[Int]`, outermost first; the element `(i0, …, ik)` lives at
/// `i0·s0 + … + ik·sk` with row-major strides `sk = 1`, `s(j) = s(j+1)·shape[j+1]`.
public final class Tensor {
    /// Dimensions, outermost first. A scalar has shape `[]` and one element.
    public let shape: [Int]
    /// Number of elements, `shape.reduce(1, *)`.
    public let count: Int
    /// The element buffer.
    public let storage: Storage
    /// The gradient ∂L/∂self once a reverse pass has reached this tensor (nil before).
    public internal(set) var gradStorage: Storage?
    /// Whether the reverse pass computes ∂L/∂self. Set it to false to freeze a parameter: the
    /// operations then skip the work for it (for a `Linear`, the weight-gradient GEMM).
    public var requiresGrad: Bool
    /// Keep the gradient of an intermediate (non-leaf) result after the reverse pass; by default
    /// only leaves (parameters and inputs) keep theirs, so intermediate buffers are freed early.
    public var retainsGrad = false
    /// The operation that produced this tensor, while its reverse pass is pending.
    var node: Node?

    /// Element pointer (valid while the tensor is alive).
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// Gradient pointer, or nil if no gradient has reached this tensor.
    public var grad: UnsafeMutablePointer<Float>? { gradStorage?.pointer }
    public var rank: Int { shape.count }

    /// A tensor over an existing storage (used for views).
    init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let n = shape.reduce(1, *)
        precondition(n <= storage.count, "shape \(shape) exceeds storage of \(storage.count)")
        self.shape = shape
        self.count = n
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// An uninitialised tensor (contents undefined; for kernels that write every element).
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: Storage(uninitialized: shape.reduce(1, *)))
    }

    /// A zero-filled tensor.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(zeros: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        self.init(uninitialized: shape)
        data.update(repeating: value, count: count)
        self.requiresGrad = requiresGrad
    }

    /// A tensor holding `values` (row-major) in `shape`.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *),
                     "\(values.count) values do not fill shape \(shape)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
        self.requiresGrad = requiresGrad
    }

    /// A scalar tensor.
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// The elements as an array (a copy).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// The gradient as an array (zeros if none has arrived).
    public var gradValues: [Float] {
        guard let g = grad else { return [Float](repeating: 0, count: count) }
        return Array(UnsafeBufferPointer(start: g, count: count))
    }
    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return data[0]
    }

    /// Element at a multi-index (slow; for tests and small tensors).
    public subscript(_ index: Int...) -> Float {
        data[flatIndex(index)]
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index rank \(index.count) for shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) { flat = flat * d + i }
        return flat
    }

    /// A copy detached from the graph (no gradient, no history).
    public func detached() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Overwrites the elements with those of `other` (same element count), outside the graph.
    public func copyValues(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// The gradient buffer, allocated zero-filled on first use. Kernels accumulate (`+=`) into it,
    /// which is what makes shared inputs and gradient accumulation across micro-batches work.
    public func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let g = gradStorage { return g.pointer }
        let g = Storage(zeros: count)
        gradStorage = g
        return g.pointer
    }

    /// Forgets the gradient (the next reverse pass starts from zero).
    public func zeroGrad() { gradStorage = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}

/// Row-major strides of a shape.
@inlinable public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// Errors from tensor-level validation (shapes of user-supplied data).
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(expected: [Int], got: [Int], context: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(expected, got, context):
            return "\(context): expected shape \(expected), got \(got)"
        case let .invalidArgument(message):
            return message
        }
    }
}
