import Foundation

/// The lower part of the embedded head's skin chart: rows from the jaw down to a level neck cut.
///
/// Below the jaw the rays of the (φ, e) chart graze the skin (the neck is a near-vertical tube
/// behind the origin, and where it flares downward a ray meets it up to three times), so rows of
/// constant elevation crowd under the chin, spread far apart at the nape and end in a ragged cut.
/// Here each meridian is a curve that follows the ray chart down to y = `HeadGeometry.sectionTop`
/// and the horizontal loft sections below it (fixed section angle ψ, `HeadGeometry.sectionPoint`),
/// parametrised by its arc-length fraction f ∈ [0, 1]: f = 0 at the switch elevation e_ref (the
/// last row of constant e), f = 1 at the cut height y_cut. Rows are curves of constant f, so every
/// meridian is divided evenly and the last row is exactly level.
///
/// Meshing and texturing use the planar coordinates (φ, τ), τ = e_ref − f·Δτ, which equal the chart
/// (φ, e) above e_ref; Δτ = S̄ / r̄ (mean meridian arc over the mean arc rate dℓ/de at e_ref), so one
/// row step in τ matches the elevation step of the rows above. τ increases with e along every
/// meridian, so (φ, e) ↦ (φ, τ) is an orientation-preserving homeomorphism of the lower chart.
struct HeadNeckChart {
    /// Meridians tabulated at s_j = −1 + 2j/M (φ_j = W(s_j), `HeadTopology.warpPhi`).
    static let meridians = 256
    /// Samples per meridian on each of its two parts (ray part, section part).
    static let samples = 80

    /// One meridian sample: chart elevation e of the point, its height y, its section angle ψ
    /// (`HeadGeometry.sectionAngle`) and the point itself.
    struct Sample { var e: Float; var y: Float; var psi: Float; var p: SIMD3<Float> }

    let shape: HeadShape
    let eRef: Float
    let cutY: Float
    let tauSpan: Float
    /// Per meridian: samples from e_ref down to the cut, and their arc fractions (0 to 1).
    let table: [[Sample]]
    let fractions: [[Float]]
    /// Mean meridian arc length from e_ref to the cut (metres).
    let meanArc: Float

    /// Each meridian follows the ray chart (p = R(φ, e)·d(φ, e)) from e_ref down to the height
    /// `HeadGeometry.sectionTop`, where its section angle ψ_s is read, and continues below on the
    /// horizontal loft sections at that fixed ψ_s (`HeadGeometry.sectionPoint`) down to the cut.
    /// Below the jaw rays from the origin meet the downward-flaring neck up to three times, so
    /// a ray meridian would jump between roots; the section curve is unique and ends level.
    init(shape: HeadShape, eRef: Float, cutY: Float) {
        self.shape = shape
        self.eRef = eRef
        self.cutY = cutY
        let top = HeadGeometry.sectionTop
        var table: [[Sample]] = [], fs: [[Float]] = [], total: Float = 0
        for j in 0...Self.meridians {
            let phi = HeadTopology.warpPhi(Self.meridianS(j))
            let eTop = Self.cutElevation(shape, phi, cutY: top, above: eRef)
            var column: [Sample] = (0..<Self.samples).map { k in
                let e = eRef + (eTop - eRef) * Float(k) / Float(Self.samples)
                let p = HeadTopology.surfacePoint(shape, phi, e)
                return Sample(e: e, y: p.y, psi: HeadGeometry.sectionAngle(shape, p), p: p)
            }
            let psi = HeadGeometry.sectionAngle(shape, HeadTopology.surfacePoint(shape, phi, eTop))
            column += (0...Self.samples).map { k in
                let y = top + (cutY - top) * Float(k) / Float(Self.samples)
                let p = HeadGeometry.sectionPoint(shape, y0: y, psi: psi)
                return Sample(e: HeadShape.chart(p).y, y: y, psi: psi, p: p)
            }
            var arc: [Float] = [0]
            for k in 1..<column.count { arc.append(arc[k - 1] + hlen(column[k].p - column[k - 1].p)) }
            total += arc.last!
            table.append(column); fs.append(arc.map { $0 / arc.last! })
        }
        self.table = table
        fractions = fs
        meanArc = total / Float(Self.meridians + 1)
        tauSpan = meanArc / Self.arcRate(shape, eRef)
    }

    static func meridianS(_ j: Int) -> Float { -1 + 2 * Float(j) / Float(meridians) }

    /// Elevation where the ray meridian φ reaches height y (above the neck's flare the height
    /// R·sin e rises with e), by Illinois in [−1.56, above].
    static func cutElevation(_ shape: HeadShape, _ phi: Float, cutY: Float, above: Float) -> Float {
        HeadShape.illinois(-1.56, above, tolerance: 1e-7) { shape.radius(phi, $0) * sin($0) - cutY }
    }

    /// Mean over azimuth of the arc rate |∂p/∂e| at elevation e (metres per radian).
    static func arcRate(_ shape: HeadShape, _ e: Float) -> Float {
        let phis = (0..<24).map { -Float.pi + 2 * .pi * (Float($0) + 0.5) / 24 }
        let de: Float = 0.004
        return phis.map { hlen(HeadTopology.surfacePoint(shape, $0, e) - HeadTopology.surfacePoint(shape, $0, e - de)) / de }
            .reduce(0, +) / Float(phis.count)
    }

    func tau(_ f: Float) -> Float { eRef - f * tauSpan }

    /// Sample of arc fraction f on tabulated meridian j (linear in the table).
    func sample(meridian j: Int, f: Float) -> Sample {
        let fr = fractions[j], col = table[j]
        var lo = 0, hi = fr.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if fr[mid] <= f { lo = mid } else { hi = mid } }
        let t = min(max((f - fr[lo]) / max(fr[hi] - fr[lo], 1e-12), 0), 1)
        let a = col[lo], b = col[hi]
        return Sample(e: a.e + t * (b.e - a.e), y: a.y + t * (b.y - a.y), psi: a.psi + t * (b.psi - a.psi), p: a.p + t * (b.p - a.p))
    }

    /// Sample of arc fraction f at warped azimuth parameter s: linear between the two
    /// neighbouring meridians (in e, y and ψ; ψ never wraps between neighbours, the seam being
    /// the table's ends).
    func sample(s: Float, f: Float) -> Sample {
        let x = (s + 1) / 2 * Float(Self.meridians)
        let j = min(max(Int(x.rounded(.down)), 0), Self.meridians - 1)
        let t = x - Float(j)
        let a = sample(meridian: j, f: f), b = sample(meridian: j + 1, f: f)
        return Sample(e: a.e + t * (b.e - a.e), y: a.y + t * (b.y - a.y), psi: a.psi + t * (b.psi - a.psi), p: a.p + t * (b.p - a.p))
    }

    /// Where a neck grid vertex at (s, f) lies on the mean head: on the ray chart at (φ, e) above
    /// `HeadGeometry.sectionTop`, else on the section at height y and angle ψ (`section` set).
    struct Vertex { var chart: SIMD2<Float>; var section: SIMD2<Float>? }

    func vertex(s: Float, f: Float) -> Vertex {
        let q = sample(s: s, f: f)
        let phi = HeadTopology.warpPhi(s)
        if q.y > HeadGeometry.sectionTop { return Vertex(chart: SIMD2(phi, q.e), section: nil) }
        let y = f >= 1 ? cutY : q.y
        let p = HeadGeometry.sectionPoint(shape, y0: y, psi: q.psi)
        return Vertex(chart: SIMD2(phi, HeadShape.chart(p).y), section: SIMD2(y, q.psi))
    }

    /// Arc fraction of a chart point (φ, e) on the ray part: the f whose elevation is e
    /// (bisection; the elevation falls monotonically with f).
    func fraction(_ c: SIMD2<Float>) -> Float {
        let s = HeadTopology.unwarpPhi(c.x)
        var lo: Float = 0, hi: Float = 1
        for _ in 0..<40 {
            let mid = 0.5 * (lo + hi)
            if sample(s: s, f: mid).e > c.y { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Meshing coordinates (φ, τ) of a chart point.
    func meshCoordinate(_ c: SIMD2<Float>) -> SIMD2<Float> {
        c.y >= eRef ? c : SIMD2(c.x, tau(fraction(c)))
    }
}
