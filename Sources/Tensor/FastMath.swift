/// Branch-free exponential and the functions built on it, for the activation and softmax loops.
///
/// `expf` from libm is a call per element and blocks vectorisation; a ViT-Tiny forward pass needs
/// ~5 M exponentials per image (softmax and GELU), which at libm speed would cost more than all
/// of its GEMMs. `fastExp` uses the Cephes scheme: `exp(x) = 2^n · exp(r)`, `n = round(x·log2 e)`,
/// `r = x − n·ln 2` (in two parts for precision), `exp(r)` by a degree-6 polynomial, and `2^n` built
/// in the exponent bits. Relative error ≤ 2e-7 on [−87, 88]; inputs are clamped to that range.
@inline(__always) public func fastExp(_ x: Float) -> Float { fastExp(SIMD8<Float>(repeating: x))[0] }

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

/// `fastExp` on eight lanes at once — the one implementation; the loops call it eight elements at a
/// time (2.5× faster than a scalar loop, which the compiler does not vectorise), the scalar form
/// above uses one lane. Round-to-nearest by the 1.5·2²³ trick (no libm call); the integer `n`
/// then sits in the low mantissa bits of `shifted`.
@inline(__always) func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = x.clamped(lowerBound: SIMD8(repeating: -87.3), upperBound: SIMD8(repeating: 88.3))
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693359375 + n * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r * r + r + 1
    let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return er * unsafeBitCast(exponent, to: SIMD8<Float>.self)
}

/// Applies `f` to `count` floats in place-or-not: `y[i] = f(x[i])`, eight lanes at a time with a
/// scalar tail through `scalar`.
@inline(__always) func mapLanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                                _ f: (SIMD8<Float>) -> SIMD8<Float>, _ scalar: (Float) -> Float) {
    var i = 0
    while i + 8 <= count {
        let v = f(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
        UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { y[i] = scalar(x[i]); i += 1 }
}
