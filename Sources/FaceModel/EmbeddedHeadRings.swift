import Foundation

/// The concentric edge loops around the eyes and the mouth: their designed frontal positions and
/// the surface profile (eyelid sphere, lip relief) of each loop.
///
/// Eye loops: ring 0 is the lid margin (a hole; the eyeball shows through it), rings 1…5 grow
/// outwards to the orbital rim. Vertex m sits at angle θ = 2πm/M; m = 0 is the lateral canthus,
/// m = M/2 the medial canthus; the upper lid is 0 < m < M/2 for both eyes.
/// Mouth loops: ring 0 is the lip contact line (where the mouth bag starts), ring 1 the middle of
/// the vermilion, ring 2 the vermilion border, rings 3…5 the skin around the lips; m = 0 is the
/// left (+x) commissure, 0 < m < M/2 the upper lip.
enum HeadRings {
    static let eyeRings = 6
    static let eyeCount = 28
    static let mouthRings = 6
    static let mouthCount = 40

    /// Lateral/medial and upper/lower growth of the eye loops beyond the margin (metres).
    static let eyeGrowX: [Float] = [0, 0.0018, 0.0040, 0.0068, 0.0102, 0.0140]
    static let eyeGrowUp: [Float] = [0, 0.0020, 0.0045, 0.0078, 0.0112, 0.0142]
    static let eyeGrowDown: [Float] = [0, 0.0017, 0.0038, 0.0064, 0.0094, 0.0128]
    /// Skin thickness over the eyeball sphere and the weight of the lid sphere, per ring.
    /// Rings 3–4 are thicker and weigh more than a bare lid so the upper lid rises gently into
    /// the orbit's soft-tissue cover (`HeadShape.orbits`) instead of dropping into a sulcus.
    static let lidThickness: [Float] = [0.0009, 0.0019, 0.0036, 0.0064, 0.0095, 0.0110]
    static let lidWeight: [Float] = [1, 1, 0.9, 0.6, 0.3, 0]

    /// Designed point of eye loop `ring`, vertex `m`, for the left eye (side = +1) or right (−1).
    static func eyePoint(_ L: HeadLayout, side: Float, ring: Int, m: Int) -> SIMD3<Float> {
        let theta = 2 * Float.pi * Float(m) / Float(eyeCount)
        let s = cos(theta), upper = sin(theta) >= 0
        let half = 0.5 * L.fissureLength
        let c = L.eyeballCenter
        // Margin: almond with the upper lid's peak medial of centre, the lower lid's low point lateral.
        let hu = 0.72 * L.fissureHeight, hl = 0.42 * L.fissureHeight
        let along = 1 - s * s
        var y: Float = upper ? hu * pow(along, 0.75) * (1 - 0.16 * s) : -hl * pow(along, 0.85) * (1 + 0.22 * s)
        var x = half * s
        let gx = eyeGrowX[ring] * (s >= 0 ? 1 : 0.62)
        x += gx * s
        y += (upper ? eyeGrowUp[ring] : eyeGrowDown[ring]) * sin(theta)
        // Canthal tilt: the lateral canthus sits higher than the medial one.
        y += tan(L.canthalTilt) * half * s
        // The lateral canthus tucks down into the lateral commissure.
        y -= 0.0018 * pow(max(s, 0), 6) * max(1 - Float(ring) / 3, 0)
        let px = side * (c.x - 0.0004 + x)
        let py = L.canthusY + 0.0008 + y
        // Depth on the lid ellipsoid: the chart ray aims through it, and the lid loops sit on it.
        return SIMD3(px, py, lidDepth(L, side: side, ring: ring, x: px, y: py))
    }

    /// Skin radius along unit ray d for an eye-loop vertex: the lid sphere blended into the face.
    /// Near the sphere's silhouette (the canthi) the lid's weight fades with the ray's clearance
    /// (`HeadShape.softSphere`), so a loop vertex never jumps between lid and face when a control
    /// moves it across the silhouette.
    static func eyeRadius(_ L: HeadLayout, shape: HeadShape, side: Float, ring: Int, d: SIMD3<Float>, face: Float) -> Float {
        var c = L.eyeballCenter
        c.x *= side
        let lid = HeadShape.softSphere(d, center: c, radius: L.eyeballRadius + lidThickness[ring])
        let w = lidWeight[ring] * lid.weight
        return w * lid.r + (1 - w) * face
    }

    /// Depth of the canthi behind the corneal apex (metres): the medial canthus sits about 4 mm
    /// behind it, the lateral canthus about 10 mm (the lateral orbital rim is 15–20 mm behind the
    /// apex in exophthalmometry, the canthus in front of the rim).
    static let medialCanthusDepth: Float = 0.004
    static let lateralCanthusDepth: Float = 0.010

    /// Depth of the lid surface of loop `ring` at frontal point (x, y): an ellipsoid about the
    /// eyeball centre c with y and z semi-axes r' = eyeball radius + lid thickness and an x
    /// semi-axis aₓ chosen per side (medial/lateral) so that the loop's corner, half a fissure
    /// length (plus the loop's growth) from c, lies at the canthus depth δ behind the corneal apex:
    /// r'·√(1 − (h/aₓ)²) = r + bulge − δ.
    static func lidDepth(_ L: HeadLayout, side: Float, ring: Int, x: Float, y: Float) -> Float {
        var c = L.eyeballCenter
        c.x *= side
        let r = L.eyeballRadius + lidThickness[ring]
        let apex = L.eyeballRadius + HeadParts.corneaBulge(0)
        let half = 0.5 * L.fissureLength + eyeGrowX[ring]
        let medial = (x - c.x) * side < 0
        let zCorner = max(apex - (medial ? medialCanthusDepth : lateralCanthusDepth), 0.2 * r)
        let ax = half / max(1 - (zCorner / r) * (zCorner / r), 1e-4).squareRoot()
        let dx = (x - c.x) / ax, dy = (y - c.y) / r
        return c.z + r * max(1 - dx * dx - dy * dy, 0).squareRoot()
    }

    /// Eye-loop vertex: the designed point (frontal x, y on the lid ellipsoid, `eyePoint`) for the
    /// margin loops, blended towards the face along the same chart ray for the outer loops, so
    /// every loop vertex stays on its chart ray and the mesh around it stays consistent. Placing
    /// the margin at its designed x (rather than where a ray meets the eyeball sphere) keeps the
    /// intercanthal width and fissure length the anthropometric controls ask for.
    static func eyeVertex(_ L: HeadLayout, shape: HeadShape, side: Float, ring: Int, m: Int) -> SIMD3<Float> {
        let q = eyePoint(L, side: side, ring: ring, m: m)
        let chart = HeadShape.chart(q)
        let d = HeadShape.direction(chart.x, chart.y)
        let face = shape.radius(chart.x, chart.y)
        let w = lidWeight[ring]
        if w <= 0 { return eyeRadius(L, shape: shape, side: side, ring: ring, d: d, face: face) * d }
        return (w * hlen(q) + (1 - w) * face) * d
    }

    /// Designed point of mouth loop `ring`, vertex `m`.
    static func mouthPoint(_ L: HeadLayout, ring: Int, m: Int) -> SIMD3<Float> {
        let theta = 2 * Float.pi * Float(m) / Float(mouthCount)
        let c = cos(theta), s = sin(theta)
        let upper = s >= 0
        let growX: [Float] = [0, 0.0008, 0.0020, 0.0050, 0.0095, 0.0150]
        let hu = L.upperVermilion, hl = L.lowerVermilion
        let maxUp = L.m(.upperLipHeight) - 0.0035
        let top = min(hu + 0.012, maxUp)
        let up: [Float] = [0.0004, 0.55 * hu, hu, hu + 0.3 * (top - hu), hu + 0.65 * (top - hu), top]
        let down: [Float] = [0.0004, 0.55 * hl, hl, hl + 0.0035, hl + 0.0075, hl + 0.0125]
        let n: Float = ring <= 2 ? 2.5 : 2.1
        let ex = 2 / n
        let a = L.mouthHalfWidth + growX[ring]
        let b = upper ? up[ring] : down[ring]
        let x = a * (c >= 0 ? 1 : -1) * pow(abs(c), ex)
        var y = b * (s >= 0 ? 1 : -1) * pow(abs(s), ex)
        if upper && ring >= 2 {   // Cupid's bow: peaks over the philtral columns, a dip between them.
            y += 0.0010 * exp(-0.5 * pow((abs(x) - 0.0055) / 0.003, 2)) - 0.0009 * exp(-0.5 * pow(x / 0.0028, 2))
        }
        let z = L.mouthZ - 0.5 * x * x / 0.045
        return SIMD3(x, L.stomionY + y, z)
    }

    /// Lip relief (metres along the ray) of mouth loop `ring`, vertex `m`.
    ///
    /// Profiles follow the soft-tissue lip in profile: the upper vermilion is most forward near
    /// its border (labrale superius) and slopes back to the contact line; the lower one is fullest
    /// mid-vermilion and rolls under into the mentolabial sulcus; the upper lip stands ≈ 1 mm
    /// ahead of the lower. The step across the vermilion border is small (a soft roll, not a
    /// rim).
    static func lipRelief(_ L: HeadLayout, ring: Int, m: Int) -> Float {
        let theta = 2 * Float.pi * Float(m) / Float(mouthCount)
        let c = abs(cos(theta)), upper = sin(theta) >= 0
        let fullU = L.upperVermilion / 0.0085, fullL = L.lowerVermilion / 0.0095
        let upperProfile: [Float] = [-0.0024, 0.0024, 0.0022, 0.0010, 0.0004, 0]
        let lowerProfile: [Float] = [-0.0026, 0.0022, 0.0008, -0.0008, -0.0011, 0]
        var h = upper ? upperProfile[ring] * (ring <= 2 ? fullU : 1) : lowerProfile[ring] * (ring <= 2 ? fullL : 1)
        // Lips recede into the commissures.
        let taper = 1 - pow(c, 3)
        if ring <= 2 { h = h * taper - (ring == 0 ? 0.0012 : 0.0009) * pow(c, 6) }
        else { h *= taper }
        if upper && (ring == 3 || ring == 4) {   // philtrum: a groove between two columns
            let p = mouthPoint(L, ring: ring, m: m)
            h += 0.0006 * exp(-0.5 * pow((abs(p.x) - 0.0055) / 0.0018, 2)) - 0.0004 * exp(-0.5 * pow(p.x / 0.0025, 2))
        }
        return h
    }
}
