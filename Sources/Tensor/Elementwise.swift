/// NumPy-style broadcasting of two shapes (aligned at the right; a dimension of 1 stretches).
///
/// The loops walk the output in rows of its last dimension; `aStep`/`bStep` are each operand's stride
/// along that row (0 when it is broadcast) and `forEachRow` yields the row offsets of output, a and b.
struct Broadcast {
    let shape: [Int]
    let count: Int
    private let aStrides: [Int], bStrides: [Int]

    init(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1,
                         "shapes \(a) and \(b) do not broadcast")
            shape[i] = pa[i] == 1 ? pb[i] : pa[i]
        }
        self.shape = shape
        count = shape.reduce(1, *)
        let sa = rowMajorStrides(pa), sb = rowMajorStrides(pb)
        isElementwise = pa == shape && pb == shape
        aStrides = (0..<rank).map { pa[$0] == 1 ? 0 : sa[$0] }
        bStrides = (0..<rank).map { pb[$0] == 1 ? 0 : sb[$0] }
    }

    var inner: Int { shape.last ?? 1 }
    /// Both operands have the output's shape (no broadcasting at all).
    let isElementwise: Bool
    var aStep: Int { aStrides.last ?? 0 }
    var bStep: Int { bStrides.last ?? 0 }

    /// Calls `body(outOffset, aOffset, bOffset)` for every row of the last dimension.
    func forEachRow(_ body: (Int, Int, Int) -> Void) {
        guard count > 0 else { return }
        let rank = shape.count
        if rank <= 1 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: rank - 1)
        var aOff = 0, bOff = 0, oOff = 0
        while true {
            body(oOff, aOff, bOff)
            oOff += inner
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                aOff += aStrides[d]
                bOff += bStrides[d]
                if index[d] < shape[d] { break }
                aOff -= aStrides[d] * shape[d]
                bOff -= bStrides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// The four broadcasting arithmetic operations.
public enum BinaryOperation: Sendable { case add, subtract, multiply, divide }

/// Forward of `out = a ∘ b` over a broadcast.
func binaryForward(_ op: BinaryOperation, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                   _ out: UnsafeMutablePointer<Float>, _ bc: Broadcast) {
    if bc.isElementwise {   // equal shapes (residual sums): one flat loop, shared by the workers
        Compute.parallelFor(bc.count, costPerItem: 2) { r in
            let (pa, pb, po, n) = (a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count)
            switch op {
            case .add: for j in 0..<n { po[j] = pa[j] + pb[j] }
            case .subtract: for j in 0..<n { po[j] = pa[j] - pb[j] }
            case .multiply: for j in 0..<n { po[j] = pa[j] * pb[j] }
            case .divide: for j in 0..<n { po[j] = pa[j] / pb[j] }
            }
        }
        return
    }
    let n = bc.inner, sa = bc.aStep, sb = bc.bStep
    bc.forEachRow { o, ia, ib in
        let (pa, pb, po) = (a + ia, b + ib, out + o)
        switch op {
        case .add: for j in 0..<n { po[j] = pa[j * sa] + pb[j * sb] }
        case .subtract: for j in 0..<n { po[j] = pa[j * sa] - pb[j * sb] }
        case .multiply: for j in 0..<n { po[j] = pa[j * sa] * pb[j * sb] }
        case .divide: for j in 0..<n { po[j] = pa[j * sa] / pb[j * sb] }
        }
    }
}

/// Backward of `binaryForward`: accumulates into `da`/`db` (either may be nil), summing over the
/// broadcast dimensions. d(a+b) = (g, g); d(a−b) = (g, −g); d(a·b) = (g·b, g·a); d(a/b) = (g/b, −g·a/b²).
func binaryBackward(_ op: BinaryOperation, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                    _ g: UnsafePointer<Float>, _ da: UnsafeMutablePointer<Float>?,
                    _ db: UnsafeMutablePointer<Float>?, _ bc: Broadcast) {
    if bc.isElementwise, op == .add || op == .subtract {
        let sign: Float = op == .add ? 1 : -1
        Compute.parallelFor(bc.count, costPerItem: 2) { r in
            for j in r {
                da?[j] += g[j]
                db?[j] += sign * g[j]
            }
        }
        return
    }
    let n = bc.inner, sa = bc.aStep, sb = bc.bStep
    bc.forEachRow { o, ia, ib in
        let (pa, pb, pg) = (a + ia, b + ib, g + o)
        if let da {
            let d = da + ia
            switch op {
            case .add, .subtract: for j in 0..<n { d[j * sa] += pg[j] }
            case .multiply: for j in 0..<n { d[j * sa] += pg[j] * pb[j * sb] }
            case .divide: for j in 0..<n { d[j * sa] += pg[j] / pb[j * sb] }
            }
        }
        if let db {
            let d = db + ib
            switch op {
            case .add: for j in 0..<n { d[j * sb] += pg[j] }
            case .subtract: for j in 0..<n { d[j * sb] -= pg[j] }
            case .multiply: for j in 0..<n { d[j * sb] += pg[j] * pa[j * sa] }
            case .divide:
                for j in 0..<n { let q = pb[j * sb]; d[j * sb] -= pg[j] * pa[j * sa] / (q * q) }
            }
        }
    }
}

/// `a ∘ b` with broadcasting, differentiable in both operands.
public func elementwise(_ op: BinaryOperation, _ a: Tensor, _ b: Tensor) -> Tensor {
    let bc = Broadcast(a.shape, b.shape)
    let out = Tensor(uninitialized: bc.shape)
    binaryForward(op, a.data, b.data, out.data, bc)
    return out.recording([a, b]) { out in
        binaryBackward(op, a.data, b.data, out.grad!, a.requiresGrad ? a.gradBuffer() : nil,
                       b.requiresGrad ? b.gradBuffer() : nil, bc)
    }
}

public func + (a: Tensor, b: Tensor) -> Tensor { elementwise(.add, a, b) }
public func - (a: Tensor, b: Tensor) -> Tensor { elementwise(.subtract, a, b) }
public func * (a: Tensor, b: Tensor) -> Tensor { elementwise(.multiply, a, b) }
public func / (a: Tensor, b: Tensor) -> Tensor { elementwise(.divide, a, b) }

/// `x` repeated along its size-1 (or missing leading) dimensions to `shape`, NumPy style.
/// Backward: the gradient summed over the copies.
public func broadcast(_ x: Tensor, to shape: [Int]) -> Tensor {
    let bc = Broadcast(x.shape, shape)
    precondition(bc.shape == shape, "cannot broadcast \(x.shape) to \(shape)")
    let out = Tensor(uninitialized: shape)
    let (n, sa, px, po) = (bc.inner, bc.aStep, x.data, out.data)
    bc.forEachRow { o, ia, _ in for j in 0..<n { po[o + j] = px[ia + j * sa] } }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        bc.forEachRow { o, ia, _ in for j in 0..<n { gx[ia + j * sa] += g[o + j] } }
    }
}

/// `scale · x + shift`, elementwise (the scalar forms of +, −, ×, ÷ all reduce to it).
public func affine(_ x: Tensor, scale: Float, shift: Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let (px, po) = (x.data, out.data)
    for i in 0..<x.count { po[i] = scale * px[i] + shift }
    return out.recording([x]) { out in
        let (g, gx) = (out.grad!, x.gradBuffer())
        for i in 0..<x.count { gx[i] += scale * g[i] }
    }
}

public func + (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1, shift: s) }
public func + (s: Float, a: Tensor) -> Tensor { affine(a, scale: 1, shift: s) }
public func - (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1, shift: -s) }
public func - (s: Float, a: Tensor) -> Tensor { affine(a, scale: -1, shift: s) }
public func * (a: Tensor, s: Float) -> Tensor { affine(a, scale: s, shift: 0) }
public func * (s: Float, a: Tensor) -> Tensor { affine(a, scale: s, shift: 0) }
public func / (a: Tensor, s: Float) -> Tensor { affine(a, scale: 1 / s, shift: 0) }
public prefix func - (a: Tensor) -> Tensor { affine(a, scale: -1, shift: 0) }
