import Foundation

/// Second-order spherical-harmonics lighting (§3.1, "Illumination Model"):
///     shading_c(N) = Σₖ₌₁⁹ l_{k,c} · Hₖ(N),   U = A ⊙ shading
/// for a unit normal N = (x, y, z) in the model frame (+y up, +z towards the viewer).
///
/// Basis and constants are DECA's (the convention the paper's lighting codes follow):
///     H₁ = c₁·1,  H₂ = c₂·x,  H₃ = c₂·y,  H₄ = c₂·z,  H₅ = c₃·xy,  H₆ = c₃·xz,  H₇ = c₃·yz,
///     H₈ = c₄·(x² − y²),  H₉ = c₅·(3z² − 1)
/// with c₁ = 1/√(4π), c₂ = (2π/3)·√(3/(4π)), c₃ = (π/4)·3·√(5/(12π)),
///      c₄ = (π/4)·(3/2)·√(5/(12π)), c₅ = (π/4)·(1/2)·√(5/(4π)).
/// Coefficients are stored k-major: `coefficients[3·k + c]` for band k (0-based) and colour c (RGB),
/// 27 numbers, DECA's `sh_coeff` of shape 9×3.
public struct SphericalHarmonics: Sendable, Equatable, Codable {
    public var coefficients: [Float]

    public init(coefficients: [Float]) throws {
        guard coefficients.count == 27, coefficients.allSatisfy(\.isFinite) else {
            throw RenderError.shapeMismatch("SH lighting needs 27 finite coefficients (9 bands × RGB), got \(coefficients.count)")
        }
        self.coefficients = coefficients
    }

    /// The same 9 coefficients for the three colour channels.
    public init(monochrome l: [Float]) throws {
        guard l.count == 9 else { throw RenderError.shapeMismatch("monochrome SH lighting needs 9 coefficients") }
        try self.init(coefficients: l.flatMap { [$0, $0, $0] })
    }

    /// A soft white light: ambient plus a key light from the upper front. Its shading is 0.82 for
    /// a normal facing the camera, about 0.53 for a side normal and 0.3 facing away.
    public static let studio = try! SphericalHarmonics(monochrome: [1.8, 0.0, 0.2, 0.35, 0, 0, 0, 0, -0.1])

    /// The constants c for the nine basis functions (see the type's doc).
    public static let constants: [Float] = {
        let pi = Double.pi
        let c1 = 1 / (4 * pi).squareRoot()
        let c2 = (2 * pi / 3) * (3 / (4 * pi)).squareRoot()
        let c3 = (pi / 4) * 3 * (5 / (12 * pi)).squareRoot()
        let c4 = (pi / 4) * 1.5 * (5 / (12 * pi)).squareRoot()
        let c5 = (pi / 4) * 0.5 * (5 / (4 * pi)).squareRoot()
        return [c1, c2, c2, c2, c3, c3, c3, c4, c5].map(Float.init)
    }()

    /// Hₖ(n) for k = 1…9 (constants included).
    @inline(__always) public static func basis(_ n: SIMD3<Float>, constants c: UnsafePointer<Float>) -> SHBasis {
        SHBasis(c[0], c[1] * n.x, c[2] * n.y, c[3] * n.z, c[4] * n.x * n.y, c[5] * n.x * n.z,
                c[6] * n.y * n.z, c[7] * (n.x * n.x - n.y * n.y), c[8] * (3 * n.z * n.z - 1))
    }

    /// ∇ₙ Σₖ wₖ Hₖ(n) for weights w (e.g. the lighting of one channel times an upstream gradient).
    @inline(__always) public static func basisGradient(_ n: SIMD3<Float>, weights w: SHBasis,
                                                constants c: UnsafePointer<Float>) -> SIMD3<Float> {
        let w1 = w.b1 * c[1], w2 = w.b2 * c[2], w3 = w.b3 * c[3], w4 = w.b4 * c[4], w5 = w.b5 * c[5]
        let w6 = w.b6 * c[6], w7 = w.b7 * c[7], w8 = w.b8 * c[8]
        return SIMD3(w1 + w4 * n.y + w5 * n.z + 2 * w7 * n.x,
                     w2 + w4 * n.x + w6 * n.z - 2 * w7 * n.y,
                     w3 + w5 * n.x + w6 * n.y + 6 * w8 * n.z)
    }

    /// shading_c(n) for the three channels.
    public func shading(normal n: SIMD3<Float>) -> SIMD3<Float> {
        Self.constants.withUnsafeBufferPointer { c in
            let h = Self.basis(n, constants: c.baseAddress!)
            return coefficients.withUnsafeBufferPointer { l in h.shade(l.baseAddress!) }
        }
    }
}

/// The nine SH basis values (or nine per-band weights) at one normal.
public struct SHBasis: Sendable {
    public var b0, b1, b2, b3, b4, b5, b6, b7, b8: Float

    @inlinable public init(_ b0: Float, _ b1: Float, _ b2: Float, _ b3: Float, _ b4: Float, _ b5: Float,
                           _ b6: Float, _ b7: Float, _ b8: Float) {
        (self.b0, self.b1, self.b2, self.b3, self.b4) = (b0, b1, b2, b3, b4)
        (self.b5, self.b6, self.b7, self.b8) = (b5, b6, b7, b8)
    }

    /// Σₖ l[3k + c]·Hₖ for c = 0, 1, 2.
    @inline(__always) public func shade(_ l: UnsafePointer<Float>) -> SIMD3<Float> {
        var s = SIMD3<Float>(l[0], l[1], l[2]) * b0
        s += SIMD3<Float>(l[3], l[4], l[5]) * b1
        s += SIMD3<Float>(l[6], l[7], l[8]) * b2
        s += SIMD3<Float>(l[9], l[10], l[11]) * b3
        s += SIMD3<Float>(l[12], l[13], l[14]) * b4
        s += SIMD3<Float>(l[15], l[16], l[17]) * b5
        s += SIMD3<Float>(l[18], l[19], l[20]) * b6
        s += SIMD3<Float>(l[21], l[22], l[23]) * b7
        s += SIMD3<Float>(l[24], l[25], l[26]) * b8
        return s
    }

    /// The per-band weights Σ_c g_c·l[3k + c] (the gradient of g·shade w.r.t. the basis values).
    @inline(__always) public static func weights(_ l: UnsafePointer<Float>, _ g: SIMD3<Float>) -> SHBasis {
        @inline(__always) func w(_ k: Int) -> Float { g.x * l[3 * k] + g.y * l[3 * k + 1] + g.z * l[3 * k + 2] }
        return SHBasis(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7), w(8))
    }

    /// Adds g_c·Hₖ to dl[3k + c] (the gradient of g·shade w.r.t. the coefficients).
    @inline(__always) public func accumulate(into dl: UnsafeMutablePointer<Float>, _ g: SIMD3<Float>) {
        @inline(__always) func add(_ k: Int, _ h: Float) {
            dl[3 * k] += g.x * h
            dl[3 * k + 1] += g.y * h
            dl[3 * k + 2] += g.z * h
        }
        add(0, b0); add(1, b1); add(2, b2); add(3, b3); add(4, b4)
        add(5, b5); add(6, b6); add(7, b7); add(8, b8)
    }
}
