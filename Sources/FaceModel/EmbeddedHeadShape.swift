import Foundation

/// The skin surface of the embedded head as a star-shaped radius function about the origin.
///
/// A skin point in chart direction (φ, e) — azimuth φ about +y measured from +z towards +x,
/// elevation e above the horizontal — is p = R(φ, e)·d(φ, e), d = (sin φ cos e, sin e, cos φ cos e).
/// R = smax(skull, midface, mandible, chin, neck radii) + relief(x, y): the radii of the primitives
/// are exact ray intersections; smax is the polynomial smooth maximum
///     smax(a, b; k) = max(a, b) + k·h²/4,  h = max(k − |a − b|, 0)/k,
/// and the relief (brows, nose, cheekbones, chin, folds) is a sum of compact bumps evaluated at the
/// frontal coordinates (x, y) of the base point. Eyelids and lips are sampled by ring vertices
/// (`HeadRingPoint`) that add their own lid-sphere and lip profiles on top.
struct HeadShape {
    let layout: HeadLayout

    @inline(__always) static func direction(_ phi: Float, _ e: Float) -> SIMD3<Float> {
        SIMD3(sin(phi) * cos(e), sin(e), cos(phi) * cos(e))
    }

    /// Chart coordinates (φ, e) of a point.
    @inline(__always) static func chart(_ p: SIMD3<Float>) -> SIMD2<Float> {
        SIMD2(atan2(p.x, p.z), atan2(p.y, (p.x * p.x + p.z * p.z).squareRoot()))
    }

    /// Distance along unit ray d from the origin to the far side of an axis-aligned ellipsoid.
    @inline(__always) static func ellipsoid(_ d: SIMD3<Float>, center: SIMD3<Float>, radii: SIMD3<Float>) -> Float {
        let q = d / radii, o = -center / radii
        let a = hdot(q, q), b = 2 * hdot(q, o), cc = hdot(o, o) - 1
        let disc = b * b - 4 * a * cc
        if disc <= 0 { return 0 }
        return max((-b + disc.squareRoot()) / (2 * a), 0)
    }

    /// Far intersection with a sphere, or nil when the ray misses it.
    @inline(__always) static func sphere(_ d: SIMD3<Float>, center: SIMD3<Float>, radius: Float) -> Float? {
        let b = hdot(d, center), cc = hdot(center, center) - radius * radius
        let disc = b * b - cc
        if disc <= 0 { return nil }
        return b + disc.squareRoot()
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

    /// Far intersection with an ellipsoid whose lower half (below the centre) has y-radius `lowerY`
    /// and whose back half (behind the centre) has z-radius `backZ`.
    @inline(__always) static func ellipsoid2(_ d: SIMD3<Float>, center: SIMD3<Float>, radii: SIMD3<Float>,
                                             lowerY: Float? = nil, backZ: Float? = nil) -> Float {
        var r = radii
        var t = ellipsoid(d, center: center, radii: r)
        if let lowerY, t * d.y < center.y { r.y = lowerY; t = ellipsoid(d, center: center, radii: r) }
        if let backZ, t * d.z < center.z { r.z = backZ; t = ellipsoid(d, center: center, radii: r) }
        return t
    }

    /// Radius of the primitive union (no relief).
    func baseRadius(_ d: SIMD3<Float>) -> Float {
        let L = layout
        let skullB: Float = 0.090
        let skull = Self.ellipsoid2(d, center: SIMD3(0, L.vertexY - skullB, L.glabellaZ - 0.004 - L.skullHalfLength),
                                    radii: SIMD3(L.skullHalfWidth, skullB, L.skullHalfLength), lowerY: 0.060)
        let midface = Self.ellipsoid(d, center: SIMD3(0, -0.004, L.faceFrontZ - 0.080),
                                     radii: SIMD3(L.zygionHalfWidth, 0.062, 0.080))
        // Dental arch: carries the lips and the upper-lip skin forward.
        let arch = Self.ellipsoid(d, center: SIMD3(0, L.stomionY + 0.004, L.mouthZ - 0.048),
                                  radii: SIMD3(0.036, 0.030, 0.046))
        let jawTop = L.stomionY + 0.004, jawBottom = L.gnathionY + 0.004
        let jawCenterY = 0.5 * (jawTop + jawBottom) + 0.010
        // Submental fullness deepens the mandible's soft underside (smoothly, not as a relief
        // along the grazing rays under the chin).
        let jawRy = 0.5 * (jawTop - jawBottom) + 0.018 + 0.5 * L.dm(.submentalFullness)
        let jawCz: Float = -0.004 + 0.4 * L.dm(.jawDepth)
        let jaw = Self.ellipsoid2(d, center: SIMD3(0, jawCenterY, jawCz),
                                  radii: SIMD3(L.gonionHalfWidth * 1.04, jawRy, L.chinZ - 0.006 - jawCz), backZ: 0.03)
        let chin = Self.ellipsoid(d, center: SIMD3(0, L.gnathionY + 0.018, L.chinZ - 0.034),
                                  radii: SIMD3(0.5 * L.m(.chinWidth), 0.018, 0.033))
        var r = Self.smax(skull, midface, 0.02)
        r = Self.smax(r, arch, 0.012)
        r = Self.smax(r, jaw, 0.016)
        r = Self.smax(r, chin, 0.012)
        r = Self.smax(r, neckRadius(d), d.z < 0 ? 0.03 : 0.012)
        return r
    }

    /// Ray intersection with the (tilted) elliptic neck cylinder; 0 above the jaw.
    func neckRadius(_ d: SIMD3<Float>) -> Float {
        let L = layout
        // Fades out upwards (rays above ≈ −15° meet the skull, not the neck) so the nape blends.
        let fade = Self.smoothstep(-0.08, -0.40, d.y)
        if fade <= 0 { return 0 }
        let tiltZ = tan(L.neckTilt)
        // Cylinder axis: x = 0, z = cz + tiltZ·(−0.1 − y).
        let cz: Float = -0.030
        let a = L.neckHalfWidth, b = L.neckHalfDepth
        // Solve ((t dx)/a)² + ((t dz − cz − tiltZ(−0.1 − t dy))/b)² = 1 for t > 0.
        let kz = d.z + tiltZ * d.y
        let k0 = -cz - tiltZ * -0.1
        let qa = (d.x / a) * (d.x / a) + (kz / b) * (kz / b)
        let qb = 2 * kz * k0 / (b * b)
        let qc = (k0 / b) * (k0 / b) - 1
        let disc = qb * qb - 4 * qa * qc
        if disc <= 0 { return 0 }
        return fade * (-qb + disc.squareRoot()) / (2 * qa)
    }

    /// Skin radius in direction (φ, e): base union plus facial relief.
    func radius(_ phi: Float, _ e: Float) -> Float {
        let d = Self.direction(phi, e)
        let r0 = baseRadius(d)
        let p = r0 * d
        return coverEyeballs(d, r0 + relief(p))
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

    /// Facial and cranial relief (metres, along the ray) at base point p.
    func relief(_ p: SIMD3<Float>) -> Float {
        let L = layout
        let x = p.x, y = p.y, ax = abs(x)
        let front = Self.smoothstep(0.0, 0.05, p.z)
        var h: Float = 0
        // Brow ridge and glabella.
        let browY = L.browY + 0.002
        h += L.m(.browRidge) * Self.bump(ax, y, 0.026, browY, 0.016, 0.0075) * front
        h += 0.6 * L.m(.browRidge) * Self.bump(ax, y, 0.0, browY - 0.003, 0.012, 0.008) * front
        // Forehead inclination: shear the front above the brows.
        let slope = (L[.foreheadSlope] - 14) * .pi / 180
        h -= tan(slope) * max(y - browY, 0) * front
        // A taller forehead carries its curve further up before it turns back over the crown.
        h += 0.25 * L.dm(.foreheadHeight) * Self.smoothstep(browY, browY + 0.06, y) * front
        // Gonial angle: a squarer (smaller) angle flares the jaw corner.
        let side = Self.smoothstep(-0.03, 0.0, p.z) * (1 - front)
        h += (0.0025 - 0.0004 * (L[.jawAngle] - 122)) * Self.bump(ax, y, L.gonionHalfWidth, L.gonionY + 0.004, 0.012, 0.012) * side
        // Nasion saddle.
        h -= 0.0035 * Self.bump(x, y, 0, L.nasionY - 0.002, 0.009, 0.006) * front
        // Temporal hollows and occiput.
        h -= L.m(.templeWidth) * Self.bump(ax, y, L.skullHalfWidth * 0.85, 0.035, 0.014, 0.018) * Self.smoothstep(-0.02, 0.04, p.z)
        let back = Self.smoothstep(0.0, -0.06, p.z)
        h += L.m(.occiputProminence) * Self.bump(x, y, 0, 0.025, 0.05, 0.03) * back
        // Cheekbones (malar eminence) and buccal fullness; infraorbital hollow.
        let malarY = L.canthusY - 0.020 + L.dm(.cheekbonesHeight)
        h += L.m(.cheekbones) * Self.bump(ax, y, 0.045, malarY, 0.015, 0.011) * front
        h += L.m(.cheekFullness) * Self.bump(ax, y, 0.044, L.stomionY + 0.014, 0.018, 0.02) * front
        h += nose(x, y) * front
        // Orbits: the face sinks towards the lids around each eye.
        h -= 0.005 * Self.bump(ax, y, L.eyeCenterX, L.canthusY + 0.002, 0.015, 0.0105) * front
        h -= nasolabial(ax, y) * front
        // Chin, mentolabial sulcus, submental soft tissue.
        h += 0.3 * L.m(.chinProjection) * Self.bump(x, y, 0, L.gnathionY + 0.014, 0.016, 0.012) * front
        h -= 0.0010 * Self.bump(x, y, 0, L.stomionY - 0.021, 0.014, 0.005) * front
        // Thyroid cartilage.
        h += 0.0025 * Self.bump(x, y, 0, L.gnathionY - 0.045, 0.010, 0.014) * front
        return h
    }

    /// Nose relief: dorsum from nasion to tip, lobule, alae and columella.
    func nose(_ x: Float, _ y: Float) -> Float {
        let L = layout
        let top = L.nasionY, sn = L.subnasaleY
        let len = top - sn
        let tipY = sn + 0.17 * len + L.dm(.noseTipRotation)
        let tip = L.noseTipProtrusion + 0.0025
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
        h += 0.003 * Self.bump(x, y, 0, tipY, 0.006, 0.005)
        // Alae: the wings beside the tip, reaching the nose width.
        let alaY = sn + 0.005
        let alaX = L.noseHalfWidth - 0.0045 + 0.5 * L.m(.nostrilFlare)
        h += 0.0095 * Self.bump(ax, y, alaX, alaY, 0.0048, 0.0055)
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
