import Foundation

/// The lower part of the embedded head's skin chart: rows from the jaw down to a level neck cut.
///
/// Below the jaw the rays of the (φ, e) chart graze the skin (the neck is a near-vertical tube
/// behind the origin), so rows of constant elevation crowd under the chin, spread far apart at the
/// nape and end in a ragged cut. Here each meridian φ is instead parametrised by its arc-length
/// fraction f ∈ [0, 1]: f = 0 at the switch elevation e_ref (the last row of constant e), f = 1 where
/// the meridian reaches the cut height y_cut (R(φ, e)·sin e = y_cut). Rows are curves of constant f,
/// so every meridian is divided evenly and the last row is exactly level.
///
/// Meshing and texturing use the planar coordinates (φ, τ), τ = e_ref − f·Δτ, which equal the chart
/// (φ, e) above e_ref; Δτ = S̄ / r̄ (mean meridian arc over the mean arc rate dℓ/de at e_ref), so one
/// row step in τ matches the elevation step of the rows above. τ increases with e along every
/// meridian, so (φ, e) ↦ (φ, τ) is an orientation-preserving homeomorphism of the lower chart.
struct HeadNeckChart {
    /// Meridians tabulated at s_j = −1 + 2j/M (φ_j = W(s_j), `HeadTopology.warpPhi`).
    static let meridians = 256
    /// Elevation samples per meridian between e_ref and the cut.
    static let samples = 160

    let shape: HeadShape
    let eRef: Float
    let cutY: Float
    let tauSpan: Float
    /// Per meridian: elevations (decreasing) and their arc fractions (increasing from 0 to 1).
    let elevations: [[Float]]
    let fractions: [[Float]]
    /// Mean meridian arc length from e_ref to the cut (metres).
    let meanArc: Float

    init(shape: HeadShape, eRef: Float, cutY: Float) {
        self.shape = shape
        self.eRef = eRef
        self.cutY = cutY
        var es: [[Float]] = [], fs: [[Float]] = [], total: Float = 0
        for j in 0...Self.meridians {
            let phi = HeadTopology.warpPhi(Self.meridianS(j))
            let eCut = Self.cutElevation(shape, phi, cutY: cutY, above: eRef)
            let column = (0...Self.samples).map { eRef + (eCut - eRef) * Float($0) / Float(Self.samples) }
            var arc: [Float] = [0]
            var prev = HeadTopology.surfacePoint(shape, phi, column[0])
            for e in column.dropFirst() {
                let p = HeadTopology.surfacePoint(shape, phi, e)
                arc.append(arc.last! + hlen(p - prev)); prev = p
            }
            total += arc.last!
            es.append(column); fs.append(arc.map { $0 / arc.last! })
        }
        elevations = es
        fractions = fs
        meanArc = total / Float(Self.meridians + 1)
        tauSpan = meanArc / Self.arcRate(shape, eRef)
    }

    static func meridianS(_ j: Int) -> Float { -1 + 2 * Float(j) / Float(meridians) }

    /// Elevation where the meridian φ reaches height y (the height R·sin e rises with e because the
    /// surface is star-shaped), by Illinois in [−1.56, above].
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

    /// Elevation of arc fraction f on tabulated meridian j (linear in the table).
    func elevation(meridian j: Int, f: Float) -> Float {
        let fr = fractions[j], es = elevations[j]
        var lo = 0, hi = fr.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if fr[mid] <= f { lo = mid } else { hi = mid } }
        let t = (f - fr[lo]) / max(fr[hi] - fr[lo], 1e-12)
        return es[lo] + min(max(t, 0), 1) * (es[hi] - es[lo])
    }

    /// Elevation of arc fraction f at warped azimuth parameter s: linear between the two
    /// neighbouring meridians; the cut row (f = 1) is solved exactly so it is level.
    func elevation(s: Float, f: Float) -> Float {
        if f >= 1 { return Self.cutElevation(shape, HeadTopology.warpPhi(s), cutY: cutY, above: eRef) }
        let x = (s + 1) / 2 * Float(Self.meridians)
        let j = min(max(Int(x.rounded(.down)), 0), Self.meridians - 1)
        let t = x - Float(j)
        return elevation(meridian: j, f: f) * (1 - t) + elevation(meridian: j + 1, f: f) * t
    }

    /// Arc fraction of chart point (φ, e) below e_ref: the f whose elevation is e (bisection; the
    /// elevation falls monotonically with f).
    func fraction(_ c: SIMD2<Float>) -> Float {
        let s = HeadTopology.unwarpPhi(c.x)
        var lo: Float = 0, hi: Float = 1
        for _ in 0..<40 {
            let mid = 0.5 * (lo + hi)
            if elevation(s: s, f: mid) > c.y { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// Meshing coordinates (φ, τ) of a chart point.
    func meshCoordinate(_ c: SIMD2<Float>) -> SIMD2<Float> {
        c.y >= eRef ? c : SIMD2(c.x, tau(fraction(c)))
    }
}
