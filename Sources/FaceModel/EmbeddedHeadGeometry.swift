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
        var out = c
        for (a, b) in zip(f0, f1) {
            let q = (c - a.center) / a.half
            let rho = hlen(q)
            let w = 1 - HeadShape.smoothstep(1.1, 2.2, rho)
            if w <= 0 { continue }
            let moved = b.center + (c - a.center) * (b.half / a.half)
            out += w * (moved - c)
        }
        return out
    }

    static func positions(_ topo: HeadTopology, neutral L0: HeadLayout, layout L: HeadLayout) -> [SIMD3<Float>] {
        let shape = HeadShape(layout: L)
        let f0 = featureFrames(L0), f1 = featureFrames(L)
        var out = [SIMD3<Float>](repeating: .zero, count: topo.kinds.count)
        for (i, kind) in topo.kinds.enumerated() {
            switch kind {
            case .grid:
                let c = warp(topo.chart[i], from: f0, to: f1)
                out[i] = shape.radius(c.x, c.y) * HeadShape.direction(c.x, c.y)
            case .eye(let side, let ring, let m):
                let s: Float = side == 0 ? 1 : -1
                let c = HeadShape.chart(HeadRings.eyePoint(L, side: s, ring: ring, m: m))
                let d = HeadShape.direction(c.x, c.y)
                let face = shape.radius(c.x, c.y)
                out[i] = HeadRings.eyeRadius(L, shape: shape, side: s, ring: ring, d: d, face: face) * d
            case .mouth(let ring, let m):
                let c = HeadShape.chart(HeadRings.mouthPoint(L, ring: ring, m: m))
                let r = shape.radius(c.x, c.y) + HeadRings.lipRelief(L, ring: ring, m: m)
                out[i] = r * HeadShape.direction(c.x, c.y)
            case .pole:
                out[i] = shape.radius(0, .pi / 2) * SIMD3(0, 1, 0)
            case .bag, .eyeball, .ear:
                break
            }
        }
        // Parts after the skin, which they hang from.
        for (i, kind) in topo.kinds.enumerated() {
            switch kind {
            case .bag(let ring, let m):
                let lip = out[topo.mouthIndex[0][m]]
                out[i] = HeadParts.bagPoint(L, ring: ring - 1, m: m, lip: lip)
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
