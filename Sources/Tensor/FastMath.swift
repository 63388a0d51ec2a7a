/// Branch-free exponential and the functions built on it, for the activation and softmax loops.
///
/// `expf` from libm is a call per element and blocks vectorisation; a ViT-Tiny forward pass needs
/// ~5 M exponentials per image (softmax and GELU), which at libm speed would cost more than all
/// of its GEMMs. `fastExp` uses the Cephes scheme: `exp(x) = 2^n · exp(r)`, `n = round(x·log2 e)`,
/// `r = x − n·ln 2` (in two parts for precision), `exp(r)` by a degree-6 polynomial, and `2^n` built
/// in the exponent bits. Relative error ≤ 2e-7 on [−87, 88]; inputs are clamped to that range.
@inline(__always) public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87.3), 88.3)
    let n = (clamped * 1.442695041).rounded(.toNearestOrEven)
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r * r + r + 1
    let bits = UInt32(bitPattern: Int32(n) &+ 127) << 23
    return er * Float(bitPattern: bits)
}

/// σ(x) = 1 / (1 + e^(−x)).
@inline(__always) public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// tanh(x) = 2σ(2x) − 1.
@inline(__always) public func fastTanh(_ x: Float) -> Float { 2 * fastSigmoid(2 * x) - 1 }
