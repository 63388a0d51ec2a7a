import Foundation

/// The smooth base of the embedded head: a loft of horizontal cross-sections.
///
/// The section at height y is a split superellipse in the (x, z) plane about the depth zc(y):
///     ρ(x, z) = (|x/W|ⁿ + |(z − zc)/D|ⁿ)^(1/n),  D = F, n = n_F in front of zc; D = B, n = n_B behind,
/// the skin being ρ = 1. W is the half width, zc + F the midline front, zc − B the midline back,
/// and n the squareness (2 = ellipse; lower = more pointed, as the chin and the eye-level face
/// seen from above; higher = boxier). Both halves meet at z = zc with ∂ρ/∂z = 0, so the section
/// is C¹. The six parameters are tabulated at 17 heights anchored to the layout's landmarks
/// (`rows`) and interpolated in y by monotone cubic Hermite splines (Fritsch–Carlson slopes), which
/// are C¹ and never overshoot the table — the chin–throat corner stays a corner, not a ripple.
///
/// Above `capY` (about the euryon) W, F and B are scaled by the superellipse cap
///     s(u) = (1 − uᵖ)^(1/p),  u = (y − capY)/(vertexY − capY),  p = 2.3,
/// which closes the crown at the vertex with zero slope at capY (C¹ with the table).
///
/// The numbers are authored from anthropometric norms (Farkas 1994: head length and width,
/// face width, mandible width, soft-tissue profile depths), typical soft-tissue profile angles
/// (forehead inclination ≈ 14°, cervicomental angle ≈ 110–120°) and neck breadth/depth from
/// body-measurement surveys; the controls of `EmbeddedHeadControl` move the rows they describe.
struct HeadLoft {
    /// Table parameters, in this order per row.
    enum P: Int, CaseIterable { case zc, front, back, width, nFront, nBack }

    let ys: [Float]
    /// values[p][i], slopes[p][i] (per metre of y).
    let values: [[Float]]
    let slopes: [[Float]]
    let capY: Float
    let vertexY: Float
    static let capPower: Float = 2.3

    init(layout L: HeadLayout) {
        let rows = Self.rows(L)
        let y = rows.map(\.y)
        let v = P.allCases.map { p in rows.map { $0.v[p.rawValue] } }
        ys = y
        values = v
        slopes = v.map { Self.fritschCarlson(y, $0) }
        capY = L.nasionY + 0.016
        vertexY = L.vertexY
    }

    /// One row: height and (zc, front, back, half width, nFront, nBack), fronts and backs as
    /// absolute depths (converted to F = front − zc, B = zc − back here).
    struct Row { var y: Float; var v: [Float] }

    static func row(_ y: Float, zc: Float, front: Float, back: Float, width: Float, nF: Float, nB: Float) -> Row {
        Row(y: y, v: [zc, front - zc, zc - back, width, nF, nB])
    }

    /// The section table of a control vector, bottom (neck base) to top (crown, before the cap).
    static func rows(_ L: HeadLayout) -> [Row] {
        let st = L.stomionY, gn = L.gnathionY, capY = L.nasionY + 0.016
        // Control offsets (metres).
        let headW = 0.5 * L.dm(.headWidth), headL = 0.5 * L.dm(.headLength)
        let faceW = 0.5 * L.dm(.faceWidth), jawW = 0.5 * L.dm(.jawWidth)
        let midface = L.dm(.midfaceProjection), jaw = 0.6 * L.dm(.jawDepth) + midface
        let neckW = 0.5 * L.dm(.neckWidth), neckD = 0.5 * L.dm(.neckDepth)
        let tilt = tan(L.neckTilt), sub = L.dm(.submentalFullness)
        let occ = L.dm(.occiputProminence), lip = 0.6 * L.dm(.lipProjection)
        let chinN = 0.25 * L.z(.chinWidth)
        func neckZ(_ y: Float) -> Float { tilt * (-0.1 - y) }
        var r: [Row] = []
        // Neck: wider and deeper towards its base (trapezius, sternocleidomastoid insertions);
        // front slopes slightly back from the throat, back slopes down and back from the nape.
        for (y, zc, f, b, w) in [(Float(-0.22), Float(-0.026), Float(0.034), Float(-0.104), Float(0.068)),
                                 (-0.18, -0.020, 0.036, -0.090, 0.058)] {
            r.append(row(y, zc: zc + neckZ(y), front: f + neckD + neckZ(y), back: b - neckD + neckZ(y),
                         width: w + neckW, nF: 2.1, nB: 2.1))
        }
        let mid = gn - 0.050, cervical = gn - 0.012, submental = gn - 0.0045
        r.append(row(mid, zc: -0.016 + neckZ(mid), front: 0.037 + neckD + neckZ(mid), back: -0.078 - neckD + neckZ(mid),
                     width: 0.049 + neckW, nF: 2.0, nB: 2.0))
        // Throat (cervical point): the submental line, ≈ 20° below the horizontal, meets the neck
        // front at ≈ 115° (cervicomental angle).
        r.append(row(cervical, zc: -0.015 + 0.5 * neckZ(cervical), front: 0.042 + 0.7 * neckD + 0.8 * sub,
                     back: -0.072 - 0.7 * neckD, width: 0.0485 + 0.8 * neckW, nF: 1.8, nB: 2.0))
        r.append(row(submental, zc: -0.014, front: 0.062 + sub + 0.5 * jaw, back: -0.070 - 0.3 * neckD,
                     width: 0.047 + 0.4 * neckW + 0.3 * jawW, nF: 1.45, nB: 2.0))
        // Chin: menton/gnathion, pogonion, mentolabial sulcus (fractions of sto–gn).
        r.append(row(gn + 0.003, zc: -0.012, front: 0.082 + 0.8 * jaw, back: -0.069, width: 0.047 + 0.6 * jawW,
                     nF: 1.5 + chinN, nB: 2.0))
        r.append(row(st + 0.72 * (gn - st), zc: -0.010, front: 0.088 + jaw, back: -0.067, width: 0.049 + 0.9 * jawW,
                     nF: 1.6 + chinN, nB: 2.0))
        r.append(row(st + 0.40 * (gn - st), zc: -0.006, front: 0.084 + 0.7 * jaw + 0.3 * lip, back: -0.066,
                     width: 0.053 + jawW, nF: 1.6, nB: 2.0))
        // Mouth (dental arch) and subnasale: the maxilla carries the lips.
        r.append(row(st, zc: 0.002, front: 0.0915 + midface + lip, back: -0.067 - 0.3 * occ,
                     width: 0.056 + 0.6 * jawW + 0.3 * faceW, nF: 1.9, nB: 2.1))
        r.append(row(L.subnasaleY, zc: 0.006, front: 0.089 + midface + 0.5 * headL, back: -0.073 - 0.6 * occ - 0.3 * headL,
                     width: 0.062 + 0.7 * faceW, nF: 1.9, nB: 2.1))
        // From here to the cap every parameter changes monotonically with a slowly varying rate,
        // so the temple and the side of the head are one smooth surface (a reversal of n or zc
        // between neighbouring rows shows as a horizontal crease running back to the ear).
        // Zygomatic level (tragion height), canthal level: the face seen from above is a V whose
        // sides carry the cheekbones and the lateral orbital rims well behind the midline.
        r.append(row(0, zc: 0.0035, front: 0.091 + midface + headL, back: -0.0825 - occ - headL,
                     width: 0.0675 + faceW + 0.4 * headW, nF: 1.9, nB: 2.1))
        r.append(row(L.canthusY, zc: -0.0015, front: 0.0855 + midface + headL, back: -0.0885 - occ - headL,
                     width: 0.0700 + 0.6 * faceW + 0.7 * headW, nF: 1.9, nB: 2.1))
        // Forehead and skull: glabella level, euryon (widest, start of the cap), vault.
        r.append(row(L.nasionY, zc: -0.0075, front: 0.0885 + 0.5 * midface + headL, back: -0.0935 - 0.7 * occ - headL,
                     width: 0.0722 + headW, nF: 1.95, nB: 2.1))
        r.append(row(capY, zc: -0.010, front: 0.0925 + headL, back: -0.096 - 0.3 * occ - headL,
                     width: 0.0737 + headW, nF: 2.1, nB: 2.1))
        let vault = 0.5 * (capY + L.vertexY), top = L.vertexY - 0.012
        // The forehead recedes above the brows (≈ 9 mm by mid-vault, as in profile photographs).
        r.append(row(vault, zc: -0.010, front: 0.095 + headL, back: -0.095 - headL, width: 0.074 + headW, nF: 2.2, nB: 2.1))
        r.append(row(top, zc: -0.010, front: 0.097 + headL, back: -0.093 - headL, width: 0.074 + headW, nF: 2.2, nB: 2.1))
        return r
    }

    /// Fritsch–Carlson slopes of a monotone piecewise-cubic Hermite interpolant.
    static func fritschCarlson(_ x: [Float], _ y: [Float]) -> [Float] {
        let n = x.count
        var delta = [Float](repeating: 0, count: n - 1)
        for i in 0..<(n - 1) { delta[i] = (y[i + 1] - y[i]) / (x[i + 1] - x[i]) }
        var m = [Float](repeating: 0, count: n)
        m[0] = delta[0]; m[n - 1] = delta[n - 2]
        for i in 1..<(n - 1) { m[i] = delta[i - 1] * delta[i] <= 0 ? 0 : 0.5 * (delta[i - 1] + delta[i]) }
        for i in 0..<(n - 1) where delta[i] == 0 { m[i] = 0; m[i + 1] = 0 }
        for i in 0..<(n - 1) where delta[i] != 0 {
            let a = m[i] / delta[i], b = m[i + 1] / delta[i]
            let s = a * a + b * b
            if s > 9 {
                let t = 3 / s.squareRoot()
                m[i] = t * a * delta[i]; m[i + 1] = t * b * delta[i]
            }
        }
        return m
    }

    /// The six section parameters at height y (clamped to the table's ends).
    @inline(__always) func section(_ y: Float) -> (zc: Float, f: Float, b: Float, w: Float, nf: Float, nb: Float) {
        let n = ys.count
        func at(_ i: Int) -> (Float, Float, Float, Float, Float, Float) {
            (values[0][i], values[1][i], values[2][i], values[3][i], values[4][i], values[5][i])
        }
        if y <= ys[0] { let v = at(0); return v }
        if y >= ys[n - 1] { let v = at(n - 1); return v }
        var i = 0
        while ys[i + 1] < y { i += 1 }
        let h = ys[i + 1] - ys[i], t = (y - ys[i]) / h
        let t2 = t * t, t3 = t2 * t
        let h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + t, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2
        func p(_ k: Int) -> Float { h00 * values[k][i] + h10 * h * slopes[k][i] + h01 * values[k][i + 1] + h11 * h * slopes[k][i + 1] }
        return (p(0), p(1), p(2), p(3), p(4), p(5))
    }

    /// Normalised section radius ρ of point q (1 on the skin, < 1 inside).
    @inline(__always) func rho(_ q: SIMD3<Float>) -> Float {
        var s = section(q.y)
        if q.y > capY {
            let u = min((q.y - capY) / (vertexY - capY), 1)
            let cap = max(pow(1 - pow(u, Self.capPower), 1 / Self.capPower), 1e-4)
            s.f *= cap; s.b *= cap; s.w *= cap
        }
        let dz = q.z - s.zc
        let n = dz >= 0 ? s.nf : s.nb
        var X = abs(q.x) / s.w, Z = abs(dz) / (dz >= 0 ? s.f : s.b)
        let e = 0.25 * max(2 - n, 0)
        if e > 0 { X = Self.soften(X, e); Z = Self.soften(Z, e) }
        return pow(pow(X, n) + pow(Z, n), 1 / n)
    }

    /// Rounds the tips of a pointed (n < 2) superellipse: |t|ⁿ has unbounded curvature at t = 0
    /// (a keel along the chin's midline, an edge down the side of the jaw), so t is replaced by
    ///     t̃ = (√(t² + e²) − e) / (√(1 + e²) − e),  e = (2 − n)/4,
    /// quadratic near 0, ≈ linear beyond e, increasing, and exact at t = 1 (the section keeps
    /// its width and depth); n ≥ 2 sections are untouched.
    @inline(__always) static func soften(_ t: Float, _ e: Float) -> Float {
        ((t * t + e * e).squareRoot() - e) / ((1 + e * e).squareRoot() - e)
    }
}
