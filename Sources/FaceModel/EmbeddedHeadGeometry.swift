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

    /// Skin point for chart position c. On the neck, rays graze the surface, so a small change of
    /// neck width would slide vertices far along the ray: there the vertex keeps its neutral height
    /// and moves horizontally (Illinois solve of R(φ, e)·sin e = y₀ for e), blended in below the chin in
    /// front and below the jaw angle at the sides and back.
    static func neckAware(_ shape: HeadShape, _ c: SIMD2<Float>, neutralY y0: Float) -> SIMD3<Float> {
        let radial = shape.radius(c.x, c.y) * HeadShape.direction(c.x, c.y)
        // Under the chin (front) the surface is nearly level, so the blend starts below the throat;
        // behind the jaw angle the sides are steep and the rays graze from the gonion down.
        let front = HeadShape.smoothstep(-0.11, -0.13, y0), back = HeadShape.smoothstep(-0.075, -0.10, y0)
        let w = front + (back - front) * HeadShape.smoothstep(0.6, 1.0, abs(c.x))
        if w <= 0 || y0.isNaN { return radial }
        func height(_ e: Float) -> Float { shape.radius(c.x, e) * sin(e) - y0 }
        // The height along a meridian rises monotonically with e (the surface is star-shaped), so
        // the root is bracketed by a step either side of the neutral elevation.
        var lo = max(c.y - 0.08, -1.56), hi = min(c.y + 0.08, 0)
        while height(lo) > 0 && lo > -1.56 { lo = max(lo - 0.08, -1.56) }
        while height(hi) < 0 && hi < 0 { hi = min(hi + 0.08, 0) }
        let e1 = HeadShape.illinois(lo, hi, tolerance: 1e-7, height)
        let level = shape.radius(c.x, e1) * HeadShape.direction(c.x, e1)
        return radial + w * (level - radial)
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
                out[i] = neckAware(shape, c, neutralY: neutralY[i])
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
