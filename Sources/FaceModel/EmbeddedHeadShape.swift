import Foundation

/// The skin surface of the embedded head as a star-shaped radius function about the origin.
///
/// A skin point in chart direction (φ, e) — azimuth φ about +y measured from +z towards +x,
/// elevation e above the horizontal — is p = R(φ, e)·d(φ, e), d = (sin φ cos e, sin e, cos φ cos e).
/// R = base + relief(x, y), eased into the orbits: the base is the exact ray intersection with a
/// smooth loft of horizontal cross-sections from the crown to the neck base (`HeadLoft`), and the
/// relief (brows, nose, cheekbones, chin, folds) is a sum of broad, low bumps evaluated at the
/// frontal coordinates (x, y) of the base point. Eyelids and lips are sampled by ring vertices
/// (`HeadRingPoint`) that add their own lid-sphere and lip profiles on top.
struct HeadShape {
    let layout: HeadLayout
    let loft: HeadLoft

    init(layout: HeadLayout) {
        self.layout = layout
        loft = HeadLoft(layout: layout)
    }

    @inline(__always) static func direction(_ phi: Float, _ e: Float) -> SIMD3<Float> {
        SIMD3(sin(phi) * cos(e), sin(e), cos(phi) * cos(e))
    }

    /// Chart coordinates (φ, e) of a point.
    @inline(__always) static func chart(_ p: SIMD3<Float>) -> SIMD2<Float> {
        SIMD2(atan2(p.x, p.z), atan2(p.y, (p.x * p.x + p.z * p.z).squareRoot()))
    }

    /// Far intersection with a sphere, or nil when the ray misses it.
    @inline(__always) static func sphere(_ d: SIMD3<Float>, center: SIMD3<Float>, radius: Float) -> Float? {
        let b = hdot(d, center), cc = hdot(center, center) - radius * radius
        let disc = b * b - cc
        if disc <= 0 { return nil }
        return b + disc.squareRoot()
    }

    /// Far intersection with a sphere continued smoothly past its silhouette: r = b + √max(Δ, 0)
    /// (b = d·c, Δ = b² − |c|² + R², R² − Δ the squared miss distance of the ray), with a weight
    /// smoothstep(0, band·R², Δ) that reaches 0 at the silhouette (with the default band 0.04, 1 for
    /// rays passing within 0.98 R of the centre). Blending by this weight keeps
    /// the surface continuous where rays stop meeting the sphere.
    @inline(__always) static func softSphere(_ d: SIMD3<Float>, center: SIMD3<Float>, radius: Float,
                                              band: Float = 0.04) -> (r: Float, weight: Float) {
        let b = hdot(d, center), disc = b * b - hdot(center, center) + radius * radius
        return (b + max(disc, 0).squareRoot(), smoothstep(0, band * radius * radius, disc))
    }

    @inline(__always) static func smax(_ a: Float, _ b: Float, _ k: Float) -> Float {
        let h = max(k - abs(a - b), 0) / k
        return max(a, b) + k * h * h * 0.25
    }

    @inline(__always) static func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
        let t = min(max((x - e0) / (e1 - e0), 0), 1)
        return t * t * (3 - 2 * t)
    }

    @inline(__always) static func bump(_ x: Float, _ y: Float, _ cx: Float, _ cy: Float, _ sx: Float, _ sy: Float) -> Float {
        let u = (x - cx) / sx, v = (y - cy) / sy
        return exp(-0.5 * (u * u + v * v))
    }

    /// Radius of the lofted base (no relief): the far root of ρ(t·d) = 1 (`HeadLoft.rho`), found
    /// by the Illinois variant of regula falsi inside the bracket [1 cm, 40 cm]. The loft is
    /// star-shaped about the origin (every ray leaves it once), so the root is unique.
    func baseRadius(_ d: SIMD3<Float>) -> Float {
        Self.illinois(0.01, 0.40, tolerance: 1e-7) { loft.rho($0 * d) - 1 }
    }

    /// Root of an increasing function f in [a, b] by the Illinois variant of regula falsi (falls
    /// back to bisection when the secant leaves the bracket); returns an end when f does not
    /// change sign. Deterministic: a fixed sequence of evaluations for a given f.
    static func illinois(_ a0: Float, _ b0: Float, tolerance: Float, _ f: (Float) -> Float) -> Float {
        var a = a0, b = b0
        var fa = f(a), fb = f(b)
        if fa >= 0 { return a }
        if fb <= 0 { return b }
        var side = 0
        for _ in 0..<60 {
            var t = (a * fb - b * fa) / (fb - fa)
            if !(t > a && t < b) { t = 0.5 * (a + b) }
            let ft = f(t)
            if abs(ft) < 1e-7 || b - a < tolerance { return t }
            if ft > 0 {
                b = t; fb = ft
                if side == 1 { fa *= 0.5 }
                side = 1
            } else {
                a = t; fa = ft
                if side == -1 { fb *= 0.5 }
                side = -1
            }
        }
        return 0.5 * (a + b)
    }

    /// Skin radius in direction (φ, e): lofted base plus facial relief, eased into the orbits.
    func radius(_ phi: Float, _ e: Float) -> Float {
        let d = Self.direction(phi, e)
        let r0 = orbits(d, baseRadius(d))
        return coverEyeballs(d, r0 + relief(r0 * d))
    }

    /// Orbits: around each eye the skin is pulled towards a sphere concentric with the eyeball
    /// whose soft-tissue cover t(ρ) = 1.5 mm + 11 mm·ρ² thickens outwards, with weight
    /// w(ρ) = 0.4·(1 − smoothstep(0.5, 1.3, ρ)) below the eye centre, rising to
    /// 0.85·(1 − smoothstep(0.6, 1.9, ρ)) above it: the upper orbit is a gentle slope from the
    /// upper lid to the brow (≈ 5 mm of rise in a real face), not a pit under an overhang; ρ is the frontal distance from the eye centre
    /// in units of the orbital opening (half axes 23 mm laterally, 16 mm medially above the eye —
    /// the deep upper medial orbit — and 11 mm below it, where the nasal wall keeps the medial
    /// canthus forward; 17 mm vertically). The lid loops (`HeadRings`) lie on
    /// the same sphere family, so lids, orbits and face meet without a crease.
    /// Width of the orbit pull's fade in ray clearance (disc = b² − |c|² + R², in units of R²).
    static let orbitFadeBand: Float = 0.8

    func orbits(_ d: SIMD3<Float>, _ r: Float) -> Float {
        let L = layout
        var out = r
        let p = r * d
        if p.z < 0.03 { return r }
        for side: Float in [1, -1] {
            var c = L.eyeballCenter
            c.x *= side
            let dx = side * (p.x - c.x)
            let medial = 0.011 + 0.005 * Self.smoothstep(c.y - 0.004, c.y + 0.006, p.y)
            let q = SIMD2(dx / (dx > 0 ? 0.023 : medial), (p.y - c.y) / 0.017)
            let rho = hlen(q)
            let up = Self.smoothstep(c.y, c.y + 0.010, p.y)
            let w = (0.4 + 0.45 * up) * (1 - Self.smoothstep(0.5 + 0.1 * up, 1.3 + 0.6 * up, rho))
            if w <= 0 { continue }
            let tissue = 0.0015 + 0.011 * min(rho * rho, 1.7)
            let radius = L.eyeballRadius + tissue
            // Fade over a wide band of ray clearance: a narrow one draws the sphere's silhouette
            // (seen from the head's centre) as a crease around the orbit.
            let hit = Self.softSphere(d, center: c, radius: radius, band: Self.orbitFadeBand)
            out += w * hit.weight * (hit.r - out)
        }
        return out
    }

    /// Keeps skin at least 1.2 mm in front of the eyeballs so they never poke through the lids.
    func coverEyeballs(_ d: SIMD3<Float>, _ r: Float) -> Float {
        var out = r
        var c = layout.eyeballCenter
        for side: Float in [1, -1] {
            c.x = side * abs(c.x)
            if let hit = Self.sphere(d, center: c, radius: layout.eyeballRadius + 0.0012) { out = Self.smax(out, hit, 0.002) }
        }
        return out
    }

    /// Facial relief (metres, along the ray) at base point p: broad, low features on the loft.
    /// Each feature's amplitude is a small mean value plus the control's deviation, so the mean
    /// face is smooth while a control still moves its feature by its full σ.
    func relief(_ p: SIMD3<Float>) -> Float {
        let L = layout
        let x = p.x, y = p.y, ax = abs(x)
        let front = Self.smoothstep(0.0, 0.05, p.z)
        var h: Float = 0
        // Brow ridge (supraorbital) and glabella.
        let browY = L.browY + 0.002
        let brow = 0.0022 + L.dm(.browRidge)
        h += brow * Self.bump(ax, y, 0.024, browY, 0.020, 0.009) * front
        h += 0.6 * brow * Self.bump(ax, y, 0.0, browY - 0.003, 0.014, 0.009) * front
        // Forehead inclination: shear the front above the brows.
        let slope = (L[.foreheadSlope] - 14) * .pi / 180
        h -= tan(slope) * max(y - browY, 0) * front
        // A taller forehead carries its curve further up before it turns back over the crown.
        h += 0.25 * L.dm(.foreheadHeight) * Self.smoothstep(browY, browY + 0.06, y) * front
        // Gonial angle: a squarer (smaller) angle flares the jaw corner.
        let side = Self.smoothstep(-0.03, 0.0, p.z) * (1 - front)
        h += (0.0015 - 0.0004 * (L[.jawAngle] - 122)) * Self.bump(ax, y, L.gonionHalfWidth, L.gonionY + 0.004, 0.014, 0.014) * side
        // Nasion saddle.
        h -= 0.0025 * Self.bump(x, y, 0, L.nasionY - 0.002, 0.009, 0.006) * front
        // Temporal hollows: a shallow dish behind the lateral orbital rim, localised in depth and
        // height on the side of the head (a bump in frontal x would be a horizontal band along
        // the whole side, ending in a crease at eye level).
        let lateral = Self.smoothstep(0.035, 0.055, ax)
        h -= (0.0012 + L.dm(.templeWidth)) * Self.bump(p.z, y, 0.050, 0.032, 0.018, 0.016) * lateral
        // Cheekbones (malar eminence) and buccal fullness.
        let malarY = L.canthusY - 0.022 + L.dm(.cheekbonesHeight)
        h += (0.0012 + L.dm(.cheekbones)) * Self.bump(ax, y, 0.044, malarY, 0.020, 0.015) * front
        h += (0.0008 + L.dm(.cheekFullness)) * Self.bump(ax, y, 0.044, L.stomionY + 0.012, 0.022, 0.022) * front
        h += nose(x, y) * front
        h -= nasolabial(ax, y) * front
        // Chin (pogonion soft tissue), broad and low.
        h += (0.0015 + L.dm(.chinProjection)) * Self.bump(x, y, 0, L.gnathionY + 0.018, 0.3 * L.m(.chinWidth), 0.012) * front
        return h
    }

    /// Nose relief: dorsum from nasion to tip, lobule, alae and columella.
    func nose(_ x: Float, _ y: Float) -> Float {
        let L = layout
        let top = L.nasionY, sn = L.subnasaleY
        let len = top - sn
        let tipY = sn + 0.17 * len + L.dm(.noseTipRotation)
        // The dorsum–columella ridge peaks 2 mm short of the tip protrusion; the lobule (a
        // broad bump) supplies the rest, so the tip is rounded rather than a corner of the ridge.
        let tip = L.noseTipProtrusion + 0.0005
        let ax = abs(x)
        var h: Float = 0
        // Dorsum: height rises from the root to the tip; width narrows then widens to the lobule.
        if y < top + 0.006 && y > sn - 0.004 {
            let t = min(max((top - y) / (top - tipY), 0), 1.15)   // 0 at nasion, 1 at tip
            let root = 0.0045 + L.dm(.noseBridge)
            var ridge = root + (tip - root) * pow(min(t, 1), 1.25)
            ridge += L.m(.noseHump) * sin(min(t, 1) * .pi) * 1.0
            if t > 1 {   // below the tip: columella falls back to the lip
                let u = min((tipY - y) / max(tipY - sn, 0.002), 1)
                ridge = tip * (1 - u * u) * (1 - 0.35 * u) + 0.003 * u
            }
            let halfW = 0.0052 + 0.0035 * min(t, 1) + 0.0025 * max(t - 0.6, 0) / 0.4
            let s = ax / halfW
            let cross = s < 1.6 ? pow(max(1 - (s / 1.6) * (s / 1.6), 0), 1.6) : 0
            let fadeTop = Self.smoothstep(top + 0.006, top - 0.004, y)
            h += ridge * cross * fadeTop
        }
        // Lobule (tip) roundness.
        h += 0.005 * Self.bump(x, y, 0, tipY, 0.0065, 0.0058)
        // Alae: the wings beside the tip, reaching the nose width.
        let alaY = sn + 0.005
        let alaX = L.noseHalfWidth - 0.0045 + 0.5 * L.m(.nostrilFlare)
        h += 0.0080 * Self.bump(ax, y, alaX, alaY + 0.0005, 0.0048, 0.0062)
        h += 0.0050 * Self.bump(ax, y, alaX - 0.004, alaY - 0.001, 0.006, 0.005)
        // Alar-facial groove: a crease where the wing meets the cheek.
        h -= 0.0012 * Self.bump(ax, y, alaX + 0.0058, alaY + 0.001, 0.0018, 0.006)
        return h
    }

    /// Depth of the nasolabial fold: a crease from the ala to beside the mouth corner.
    func nasolabial(_ ax: Float, _ y: Float) -> Float {
        let L = layout
        let a = SIMD2<Float>(L.noseHalfWidth + 0.004, L.subnasaleY + 0.004)
        let b = SIMD2<Float>(L.mouthHalfWidth + 0.009, L.stomionY - 0.008)
        let p = SIMD2<Float>(ax, y)
        let ab = b - a
        let t = min(max(hdot(p - a, ab) / hdot(ab, ab), 0), 1)
        let dist = hlen(p - (a + t * ab))
        let taper = sin(Float.pi * (0.15 + 0.85 * t))
        // Lateral side slightly fuller than the medial side: a soft step across the line.
        let side: Float = (ax - (a.x + t * ab.x)) > 0 ? 1 : 0
        return L.m(.nasolabialDepth) * exp(-0.5 * (dist / 0.0022) * (dist / 0.0022)) * taper
            - 0.0008 * side * exp(-0.5 * (dist / 0.006) * (dist / 0.006)) * taper
    }
}

@inline(__always) func hdot(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { (a * b).sum() }
@inline(__always) func hdot(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { (a * b).sum() }
@inline(__always) func hlen(_ a: SIMD3<Float>) -> Float { hdot(a, a).squareRoot() }
@inline(__always) func hlen(_ a: SIMD2<Float>) -> Float { hdot(a, a).squareRoot() }
@inline(__always) func hcross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
