import Foundation

/// Vertex positions of the embedded head for a control vector, on the fixed topology.
///
/// Loop vertices are placed from their designed frontal points (`HeadRings`), grid vertices keep
/// their neutral chart position moved by a smooth warp that follows the eye and mouth loops
/// (translation + per-axis scale of each outer loop, fading to zero at 2.2 loop radii), so a
/// change of eye spacing or mouth width never folds the chart. Parts follow their anchors.
enum HeadGeometry {
    /// Chart-space frame of one feature's outer loop: centre and half extents.
    struct Frame { var center: SIMD2<Float>; var half: SIMD2<Float> }

    static func frame(_ pts: [SIMD2<Float>]) -> Frame {
        var lo = pts[0], hi = pts[0]
        for p in pts { lo = SIMD2(min(lo.x, p.x), min(lo.y, p.y)); hi = SIMD2(max(hi.x, p.x), max(hi.y, p.y)) }
        return Frame(center: (lo + hi) / 2, half: (hi - lo) / 2)
    }

    static func featureFrames(_ L: HeadLayout) -> [Frame] {
        let eyes = (0..<2).map { side in
            frame((0..<HeadRings.eyeCount).map {
                HeadShape.chart(HeadRings.eyePoint(L, side: side == 0 ? 1 : -1, ring: HeadRings.eyeRings - 1, m: $0))
            })
        }
        let mouth = frame((0..<HeadRings.mouthCount).map {
            HeadShape.chart(HeadRings.mouthPoint(L, ring: HeadRings.mouthRings - 1, m: $0))
        })
        return eyes + [mouth]
    }

    /// Warped chart position of a grid vertex.
    static func warp(_ c: SIMD2<Float>, from f0: [Frame], to f1: [Frame]) -> SIMD2<Float> {
        // Weighted mean of the feature motions where footprints overlap (the nasal bridge between
        // the eyes), plain sum elsewhere.
        var sum = SIMD2<Float>.zero, total: Float = 0
        for (a, b) in zip(f0, f1) {
            let q = (c - a.center) / a.half
            let rho = hlen(q)
            let w = 1 - HeadShape.smoothstep(1.1, 2.2, rho)
            if w <= 0 { continue }
            let moved = b.center + (c - a.center) * (b.half / a.half)
            sum += w * (moved - c); total += w
        }
        return c + sum / max(total, 1)
    }

    /// Weight of the section placement (`sectionPoint`) for a skin vertex of neutral height y₀ at
    /// azimuth φ: 0 above the jaw (the face and chin keep the ray placement), 1 on the neck. Under
    /// the chin (front) the surface is nearly level, so the blend starts below the throat; behind
    /// the jaw angle the sides are steep and rays graze from the gonion down.
    static func neckWeight(_ phi: Float, neutralY y0: Float) -> Float {
        if y0.isNaN { return 0 }
        let front = HeadShape.smoothstep(-0.11, sectionTop, y0), back = HeadShape.smoothstep(-0.075, -0.10, y0)
        return front + (back - front) * HeadShape.smoothstep(0.6, 1.0, abs(phi))
    }

    /// Height (metres) below which every neck vertex is on the section placement alone
    /// (`neckWeight` = 1) and the neck chart's meridians follow the sections (`HeadNeckChart`).
    static let sectionTop: Float = -0.13

    /// Skin point on the horizontal loft section at height y₀, in direction ψ about the section
    /// centre (0, y₀, z_c): the section is the superellipse ρ = 1 of `HeadLoft`, and along
    /// q = (0, y₀, z_c) + t·(sin ψ, 0, cos ψ) it reads ρ = t·(|sin ψ/W|ⁿ + |cos ψ/D|ⁿ)^(1/n), so the
    /// hit t = (|sin ψ/W|ⁿ + |cos ψ/D|ⁿ)^(−1/n) is closed-form and unique (the section is convex).
    /// Unlike rays from the origin, which meet the downward-flaring neck up to three times, it
    /// moves smoothly with every control. Facial relief is added along the same direction.
    static func sectionPoint(_ shape: HeadShape, y0: Float, psi: Float) -> SIMD3<Float> {
        let s = shape.loft.section(y0)
        let dx = sin(psi), dz = cos(psi)
        let n = dz >= 0 ? s.nf : s.nb, depth = dz >= 0 ? s.f : s.b
        let t = pow(pow(abs(dx) / s.w, n) + pow(abs(dz) / depth, n), -1 / n)
        let dir = SIMD3<Float>(dx, 0, dz)
        let base = SIMD3<Float>(0, y0, s.zc) + t * dir
        return base + shape.relief(base) * dir
    }

    /// Section angle ψ of a neutral point p: its direction about the section centre at its height.
    static func sectionAngle(_ shape: HeadShape, _ p: SIMD3<Float>) -> Float {
        atan2(p.x, p.z - shape.loft.section(p.y).zc)
    }

    /// Skin point of a grid vertex at chart position c: the ray placement R(φ, e)·d(φ, e) above
    /// the jaw, blended (`neckWeight`) into the section placement at the vertex's neutral height
    /// y₀ and section angle ψ₀ below it, so neck vertices stay level and move horizontally with
    /// the neck's width and depth. At the mean head both placements give the same point.
    static func neckAware(_ shape: HeadShape, _ c: SIMD2<Float>, neutralY y0: Float, sectionAngle psi: Float) -> SIMD3<Float> {
        let w = psi.isNaN ? 0 : neckWeight(c.x, neutralY: y0)
        if w <= 0 { return shape.radius(c.x, c.y) * HeadShape.direction(c.x, c.y) }
        let section = sectionPoint(shape, y0: y0, psi: psi)
        if w >= 1 { return section }
        let radial = shape.radius(c.x, c.y) * HeadShape.direction(c.x, c.y)
        return radial + w * (section - radial)
    }

    /// Completes the neutral frame of the neck placement: the chart (`HeadTopology.build`) set
    /// (y₀, ψ₀) of the vertices below `sectionTop`; every other vertex gets its height on the mean
    /// head and, where the section placement is blended in, the section angle ψ₀ of that point.
    static func setNeutral(_ topo: inout HeadTopology, layout L0: HeadLayout) {
        let pad = topo.kinds.count - topo.neutralY.count
        topo.neutralY += [Float](repeating: .nan, count: pad)
        topo.sectionAngle += [Float](repeating: .nan, count: pad)
        let p = positions(topo, neutral: L0, layout: L0)
        let shape = HeadShape(layout: L0)
        for (i, kind) in topo.kinds.enumerated() where topo.sectionAngle[i].isNaN {
            topo.neutralY[i] = p[i].y
            if kind == .grid && neckWeight(topo.chart[i].x, neutralY: p[i].y) > 0 { topo.sectionAngle[i] = sectionAngle(shape, p[i]) }
        }
    }

    static func positions(_ topo: HeadTopology, neutral L0: HeadLayout, layout L: HeadLayout) -> [SIMD3<Float>] {
        let shape = HeadShape(layout: L)
        let f0 = featureFrames(L0), f1 = featureFrames(L)
        var out = [SIMD3<Float>](repeating: .zero, count: topo.kinds.count)
        let neutralY = topo.neutralY
        for (i, kind) in topo.kinds.enumerated() {
            switch kind {
            case .grid:
                let c = warp(topo.chart[i], from: f0, to: f1)
                out[i] = neckAware(shape, c, neutralY: neutralY[i], sectionAngle: topo.sectionAngle[i])
            case .eye(let side, let ring, let m):
                let s: Float = side == 0 ? 1 : -1
                out[i] = HeadRings.eyeVertex(L, shape: shape, side: s, ring: ring, m: m)
            case .mouth(let ring, let m):
                let c = HeadShape.chart(HeadRings.mouthPoint(L, ring: ring, m: m))
                let r = shape.radius(c.x, c.y) + HeadRings.lipRelief(L, ring: ring, m: m)
                out[i] = r * HeadShape.direction(c.x, c.y)
            case .pole:
                out[i] = shape.radius(0, .pi / 2) * SIMD3(0, 1, 0)
            case .bag, .eyeball, .ear, .socket:
                break
            }
        }
        // Parts after the skin, which they hang from.
        for (i, kind) in topo.kinds.enumerated() {
            switch kind {
            case .bag(let ring, let m):
                let lip = out[topo.mouthIndex[0][m]]
                out[i] = HeadParts.bagPoint(L, ring: ring - 1, m: m, lip: lip)
            case .socket(let side, let m):
                let margin = m < HeadRings.eyeCount ? out[topo.eyeIndex[side][0][m]] : nil
                out[i] = HeadParts.socketPoint(L, side: side == 0 ? 1 : -1, margin: margin)
            case .eyeball(let side, let index):
                out[i] = HeadParts.eyeballPoint(L, side: side == 0 ? 1 : -1, index: index)
            case .ear(let side, let index):
                out[i] = HeadParts.earPoint(L, side: side == 0 ? 1 : -1, index: index)
            default: break
            }
        }
        return out
    }
}
