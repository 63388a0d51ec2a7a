/// Branch-free exponential and the functions built on it, for the activation and softmax loops.
///
/// `expf` from libm is a call per element and blocks vectorisation; a ViT-Tiny forward pass needs
/// ~5 M exponentials per image (softmax and GELU), which at libm speed would cost more than all
/// of its GEMMs. `fastExp` uses the Cephes scheme: `exp(x) = 2^n · exp(r)`, `n = round(x·log2 e)`,
/// `r = x − n·ln 2` (in two parts for precision), `exp(r)` by a degree-6 polynomial, and `2^n` built
/// in the exponent bits. Relative error ≤ 2e-7 on [−87, 88]; inputs are clamped to that range.
@inline(__always) public func fastExp(_ x: Float) -> Float {
    let clamped = min(max(x, -87.3), 88.3)
    // Round-to-nearest by the 1.5·2²³ trick (no libm call, so the loops vectorise); the integer n
    // then sits in the low mantissa bits of `shifted`.
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r * r + r + 1
    let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127
    return er * Float(bitPattern: UInt32(bitPattern: exponent &<< 23))
}

/// σ(x) = 1 / (1 + e^(−x)).
@inline(__always) public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

/// tanh(x) = 2σ(2x) − 1.
@inline(__always) public func fastTanh(_ x: Float) -> Float { 2 * fastSigmoid(2 * x) - 1 }

/// Row reductions with eight independent lanes: float addition is not reassociated by the
/// compiler, so a plain `for` accumulation runs one dependent add per element; SIMD lanes make
/// the softmax and LayerNorm row loops bandwidth-bound instead of latency-bound.
@inline(__always) func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        lanes.replace(with: v, where: v .> lanes)
        i += 8
    }
    var m = lanes.max()
    while i < n { m = max(m, p[i]); i += 1 }
    return m
}

@inline(__always) func rowSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var s = lanes.sum()
    while i < n { s += p[i]; i += 1 }
    return s
}

@inline(__always) func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        lanes += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var s = lanes.sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}
