import Foundation

/// What a vertex of the embedded head is; positions, expressions and labels are computed per kind.
enum HeadVertexKind: Equatable, Sendable {
    /// A skin vertex of the background chart grid.
    case grid
    /// Eye loop vertex; side 0 = left (+x), 1 = right.
    case eye(side: Int, ring: Int, m: Int)
    /// Mouth loop vertex.
    case mouth(ring: Int, m: Int)
    /// The crown vertex closing the chart at e = 90°.
    case pole
    /// Mouth-interior vertex: the bag ring `ring` ≥ 1 deep behind the lip contact line (the last
    /// ring is the back centre), or a tooth / tongue vertex (ring ≥ `HeadMouth.partRingBase`,
    /// decoded by `mouthPart`).
    case bag(ring: Int, m: Int)
    case eyeball(side: Int, index: Int)
    /// Conjunctival sac behind a lid margin (m = eyeCount is its centre): closes the socket
    /// around the eyeball at the canthi.
    case socket(side: Int, m: Int)
    case ear(side: Int, index: Int)

    /// What a `.bag` vertex is (nil for other kinds).
    var mouthPart: HeadMouth.MouthPart? {
        if case .bag(let ring, let m) = self { return HeadMouth.part(ring: ring, m: m) }
        return nil
    }

    var side: Float {
        switch self {
        case .eye(let s, _, _), .eyeball(let s, _), .ear(let s, _), .socket(let s, _): return s == 0 ? 1 : -1
        default: return 0
        }
    }
}

/// The mesh connectivity of the embedded head, fixed at the population-mean shape.
///
/// The skin is a chart in (φ, e) (see `HeadShape`): rows of points from the crown to the neck cut,
/// denser in front (φ = W(s) = π(a·s + (1 − a)s³), a = 0.6), meshed by Delaunay; the eye and mouth
/// regions are replaced by structured concentric loops (`HeadRings`) so blinks and mouth shapes
/// deform along edge loops. The back seam φ = ±π is welded (one vertex, two UVs); a fan closes the
/// crown. Mouth bag, teeth, tongue, eyeballs and ears are separate parts appended after the skin.
struct HeadTopology {
    var kinds: [HeadVertexKind] = []
    /// Neutral chart coordinates (φ, e) of every skin vertex (grid, loops, pole); zero for parts.
    var chart: [SIMD2<Float>] = []
    var triangles: [SIMD3<Int32>] = []
    var uvs: [SIMD2<Float>] = []
    var uvTriangles: [SIMD3<Int32>] = []
    /// Vertex index of eye loop (side, ring, m) and mouth loop (ring, m).
    var eyeIndex: [[[Int]]] = []
    var mouthIndex: [[Int]] = []
    var rowCount = 0
    /// Height of each skin vertex on the mean head (NaN until `build` sets it), used to keep neck
    /// vertices level under identity changes.
    var neutralY: [Float] = []

    static let frontDensity: Float = 0.6
    static let uvSkinBottom: Float = 0.1

    static func warpPhi(_ s: Float) -> Float { .pi * (frontDensity * s + (1 - frontDensity) * s * s * s) }

    /// Texture coordinates of a skin chart point: the face gets most of the texture.
    static func skinUV(_ c: SIMD2<Float>, eRange: ClosedRange<Float>) -> SIMD2<Float> {
        let x = c.x / .pi, ax = abs(x)
        let g = 0.83 * (1 - pow(1 - ax, 3)) + 0.17 * ax
        let u = 0.5 + 0.5 * (x < 0 ? -g : g)
        // Vertical: piecewise-linear density, 1 over the face band, 0.3 elsewhere.
        func cum(_ e: Float) -> Float {
            let a: Float = -1.05, b: Float = 0.85, lo: Float = 0.3
            let t1 = min(e, a) - eRange.lowerBound
            let t2 = max(min(e, b) - a, 0)
            let t3 = max(e - b, 0)
            return lo * max(t1, 0) + t2 + lo * t3
        }
        let v = uvSkinBottom + (0.985 - uvSkinBottom) * cum(c.y) / cum(eRange.upperBound)
        return SIMD2(u, v)
    }

    // MARK: Building

    static func build(layout L: HeadLayout) -> HeadTopology {
        let shape = HeadShape(layout: L)
        var topo = HeadTopology()
        let rows = rowElevations(shape)
        topo.rowCount = rows.count
        let eRange = rows.last!...rows.first!

        // Feature outer loops in the chart.
        let outer = HeadRings.eyeRings - 1, mouthOuter = HeadRings.mouthRings - 1
        let eyeOuter: [[SIMD2<Float>]] = (0..<2).map { side in
            (0..<HeadRings.eyeCount).map { HeadShape.chart(HeadRings.eyePoint(L, side: side == 0 ? 1 : -1, ring: outer, m: $0)) }
        }
        let mouthOuterPts = (0..<HeadRings.mouthCount).map { HeadShape.chart(HeadRings.mouthPoint(L, ring: mouthOuter, m: $0)) }
        let polygons = eyeOuter + [mouthOuterPts]

        // Background grid rows; `seamOf` pairs each s = +1 point with its s = −1 twin.
        var pts: [SIMD2<Float>] = [], kinds: [HeadVertexKind] = []
        var seamTwin: [Int: Int] = [:]
        var topRow: [Int] = []
        for (k, e) in rows.enumerated() {
            let spacing = rowSpacing(e)
            let circ = circumference(shape, e)
            let n = max(8, Int((circ * frontDensity / spacing).rounded()))
            var ss: [Float] = [-1]
            let step = 2 / Float(n - 1)
            if k % 2 == 0 {
                for i in 1..<(n - 1) { ss.append(-1 + step * Float(i)) }
            } else {
                for i in 0..<(n - 1) { ss.append(-1 + step * (Float(i) + 0.5)) }
            }
            ss.append(1)
            var first = -1
            for s in ss {
                let c = SIMD2(warpPhi(s), e)
                if s > -1 && s < 1 && excluded(c, polygons: polygons, margin: 0.55 * spacing / 0.09) { continue }
                if s == -1 { first = pts.count }
                if s == 1 { seamTwin[pts.count] = first }
                if k == 0 { topRow.append(pts.count) }
                pts.append(c); kinds.append(.grid)
            }
        }
        // Outer loops join the Delaunay input.
        var outerIndex: [[Int]] = []
        for (f, poly) in polygons.enumerated() {
            var idx: [Int] = []
            for (m, c) in poly.enumerated() {
                idx.append(pts.count)
                pts.append(c)
                kinds.append(f < 2 ? .eye(side: f, ring: outer, m: m) : .mouth(ring: mouthOuter, m: m))
            }
            outerIndex.append(idx)
        }
        let dt = HeadDelaunay.triangulate(pts.map { SIMD2(Double($0.x), Double($0.y)) })
        var tris: [SIMD3<Int32>] = dt.filter { t in
            for (f, idx) in outerIndex.enumerated() {
                let set = Set(idx)
                if set.contains(Int(t.x)) && set.contains(Int(t.y)) && set.contains(Int(t.z)) {
                    let centroid = (pts[Int(t.x)] + pts[Int(t.y)] + pts[Int(t.z)]) / 3
                    if inside(centroid, polygons[f]) { return false }
                }
            }
            return true
        }

        // Structured loops inside each outer loop.
        topo.eyeIndex = [[], []]
        for side in 0..<2 {
            var rings: [[Int]] = Array(repeating: [], count: HeadRings.eyeRings)
            rings[outer] = outerIndex[side]
            for ring in 0..<outer {
                rings[ring] = (0..<HeadRings.eyeCount).map { m in
                    pts.append(HeadShape.chart(HeadRings.eyePoint(L, side: side == 0 ? 1 : -1, ring: ring, m: m)))
                    kinds.append(.eye(side: side, ring: ring, m: m))
                    return pts.count - 1
                }
            }
            topo.eyeIndex[side] = rings
            tris += loopTriangles(rings, pts)
        }
        var mrings: [[Int]] = Array(repeating: [], count: HeadRings.mouthRings)
        mrings[mouthOuter] = outerIndex[2]
        for ring in 0..<mouthOuter {
            mrings[ring] = (0..<HeadRings.mouthCount).map { m in
                pts.append(HeadShape.chart(HeadRings.mouthPoint(L, ring: ring, m: m)))
                kinds.append(.mouth(ring: ring, m: m))
                return pts.count - 1
            }
        }
        topo.mouthIndex = mrings
        tris += loopTriangles(mrings, pts)

        // Weld the seam: vertex ids renumbered, UV ids stay per chart point.
        var remap = [Int](repeating: -1, count: pts.count)
        var next = 0
        for i in 0..<pts.count where seamTwin[i] == nil { remap[i] = next; next += 1 }
        for (i, twin) in seamTwin { remap[i] = remap[twin] }
        var newKinds = [HeadVertexKind](repeating: .grid, count: next)
        var newChart = [SIMD2<Float>](repeating: .zero, count: next)
        for i in 0..<pts.count where seamTwin[i] == nil { newKinds[remap[i]] = kinds[i]; newChart[remap[i]] = pts[i] }
        topo.kinds = newKinds
        topo.chart = newChart
        topo.uvs = pts.map { skinUV($0, eRange: eRange) }
        topo.triangles = tris.map { SIMD3(Int32(remap[Int($0.x)]), Int32(remap[Int($0.y)]), Int32(remap[Int($0.z)])) }
        topo.uvTriangles = tris
        topo.eyeIndex = topo.eyeIndex.map { $0.map { $0.map { remap[$0] } } }
        topo.mouthIndex = topo.mouthIndex.map { $0.map { remap[$0] } }

        // Crown fan: one pole vertex, one UV apex per fan triangle.
        let pole = topo.kinds.count
        topo.kinds.append(.pole)
        topo.chart.append(SIMD2(0, .pi / 2))
        let ordered = topRow.sorted { pts[$0].x < pts[$1].x }
        for i in 0..<(ordered.count - 1) {
            let a = ordered[i], b = ordered[i + 1]
            let apex = Int32(topo.uvs.count)
            topo.uvs.append(SIMD2((topo.uvs[a].x + topo.uvs[b].x) / 2, 1.0))
            // Seen from above (outside) with φ increasing… the chart is CCW with e up, so the pole
            // (higher e) closes the triangle counter-clockwise after (a, b).
            topo.triangles.append(SIMD3(Int32(remap[a]), Int32(remap[b]), Int32(pole)))
            topo.uvTriangles.append(SIMD3(Int32(a), Int32(b), apex))
        }
        return topo
    }

    /// Triangles between consecutive loops (each quad split along its shorter diagonal), CCW in
    /// the chart.
    static func loopTriangles(_ rings: [[Int]], _ pts: [SIMD2<Float>]) -> [SIMD3<Int32>] {
        var out: [SIMD3<Int32>] = []
        for j in 0..<(rings.count - 1) {
            let inner = rings[j], outer = rings[j + 1], n = inner.count
            for m in 0..<n {
                let a = inner[m], b = inner[(m + 1) % n], c = outer[(m + 1) % n], d = outer[m]
                let quad: [(Int, Int, Int)] = hlen(pts[a] - pts[c]) < hlen(pts[b] - pts[d])
                    ? [(a, b, c), (a, c, d)] : [(a, b, d), (b, c, d)]
                for (u, v, w) in quad { out.append(ccw(u, v, w, pts)) }
            }
        }
        return out
    }

    static func ccw(_ u: Int, _ v: Int, _ w: Int, _ p: [SIMD2<Float>]) -> SIMD3<Int32> {
        let cross = (p[v].x - p[u].x) * (p[w].y - p[u].y) - (p[v].y - p[u].y) * (p[w].x - p[u].x)
        return cross >= 0 ? SIMD3(Int32(u), Int32(v), Int32(w)) : SIMD3(Int32(u), Int32(w), Int32(v))
    }

    static func inside(_ p: SIMD2<Float>, _ poly: [SIMD2<Float>]) -> Bool {
        var inside = false
        var j = poly.count - 1
        for i in 0..<poly.count {
            let a = poly[i], b = poly[j]
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    static func excluded(_ p: SIMD2<Float>, polygons: [[SIMD2<Float>]], margin: Float) -> Bool {
        for poly in polygons {
            if inside(p, poly) { return true }
            for i in 0..<poly.count {
                let a = poly[i], b = poly[(i + 1) % poly.count], ab = b - a
                let t = min(max(hdot(p - a, ab) / hdot(ab, ab), 0), 1)
                if hlen(p - (a + t * ab)) < margin { return true }
            }
        }
        return false
    }

    // MARK: Row layout

    /// Target edge length (metres) of a row: fine over the face band, coarser on crown and neck.
    static func rowSpacing(_ e: Float) -> Float {
        let fine: Float = 0.0037, coarse: Float = 0.0062
        let w = HeadShape.smoothstep(0.80, 1.0, e) + HeadShape.smoothstep(-1.02, -1.2, e)
        return fine + (coarse - fine) * min(w, 1)
    }

    static func surfacePoint(_ s: HeadShape, _ phi: Float, _ e: Float) -> SIMD3<Float> {
        s.radius(phi, e) * HeadShape.direction(phi, e)
    }

    static func circumference(_ s: HeadShape, _ e: Float) -> Float {
        let n = 96
        var total: Float = 0
        var prev = surfacePoint(s, -.pi, e)
        for i in 1...n {
            let p = surfacePoint(s, -.pi + 2 * .pi * Float(i) / Float(n), e)
            total += hlen(p - prev); prev = p
        }
        return total
    }

    /// Row elevations from the crown (e ≈ 83°) down to the neck cut (y ≈ −17 cm), spaced by
    /// arc length averaged over azimuth.
    static func rowElevations(_ s: HeadShape) -> [Float] {
        var rows: [Float] = []
        var e: Float = 1.45
        let phis = (0..<24).map { -Float.pi + 2 * .pi * (Float($0) + 0.5) / 24 }
        while true {
            rows.append(e)
            let de: Float = 0.004
            var rate: Float = 0, maxY = -Float.infinity
            for phi in phis {
                let a = surfacePoint(s, phi, e), b = surfacePoint(s, phi, e - de)
                rate += hlen(a - b) / de
                maxY = max(maxY, a.y)
            }
            rate /= Float(phis.count)
            if maxY < -0.165 || e < -1.50 { break }
            e -= rowSpacing(e) * 0.866 / rate
        }
        return rows
    }
}
