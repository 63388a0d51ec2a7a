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
    /// Section angle ψ₀ of each neck vertex on the mean head (`HeadGeometry.sectionPoint`), NaN
    /// where the ray placement alone applies.
    var sectionAngle: [Float] = []

    static let frontDensity: Float = 0.6
    static let uvSkinBottom: Float = 0.1

    static func warpPhi(_ s: Float) -> Float { .pi * (frontDensity * s + (1 - frontDensity) * s * s * s) }

    /// Texture coordinates of a skin chart point: the face gets most of the texture.
    static func skinUV(_ c: SIMD2<Float>, eRange: ClosedRange<Float>) -> SIMD2<Float> {
        let x = c.x / .pi, ax = abs(x)
        let g = 0.83 * (1 - pow(1 - ax, 3)) + 0.17 * ax
        let u = 0.5 + 0.5 * (x < 0 ? -g : g)
        // Vertical: piecewise-constant density in the meshing coordinate τ: 1 over the face band,
        // 0.3 over the crown and 0.2 on the neck (its long arc-length chart would otherwise take
        // texture from the face).
        func cum(_ e: Float) -> Float {
            let a: Float = -1.05, b: Float = 0.85, neck: Float = 0.2, crown: Float = 0.3
            let t1 = min(e, a) - eRange.lowerBound
            let t2 = max(min(e, b) - a, 0)
            let t3 = max(e - b, 0)
            return neck * max(t1, 0) + t2 + crown * t3
        }
        let v = uvSkinBottom + (0.985 - uvSkinBottom) * cum(c.y) / cum(eRange.upperBound)
        return SIMD2(u, v)
    }

    // MARK: Building

    static func build(layout L: HeadLayout) -> HeadTopology {
        let shape = HeadShape(layout: L)
        var topo = HeadTopology()
        let upper = rowElevations(shape)
        let neck = HeadNeckChart(shape: shape, eRef: upper.last!, cutY: L.gnathionY - neckCutDepth)
        let rows = upper.enumerated().map { headRow(shape, e: $1, odd: $0 % 2 == 1) } + neckRows(neck, firstIndex: upper.count)
        topo.rowCount = rows.count
        let eRange = neck.tau(1)...upper.first!

        // Feature outer loops in the chart, and in meshing coordinates.
        let outer = HeadRings.eyeRings - 1, mouthOuter = HeadRings.mouthRings - 1
        let eyeOuter: [[SIMD2<Float>]] = (0..<2).map { side in
            (0..<HeadRings.eyeCount).map { HeadShape.chart(HeadRings.eyePoint(L, side: side == 0 ? 1 : -1, ring: outer, m: $0)) }
        }
        let mouthOuterPts = (0..<HeadRings.mouthCount).map { HeadShape.chart(HeadRings.mouthPoint(L, ring: mouthOuter, m: $0)) }
        let polygons = eyeOuter + [mouthOuterPts]
        let meshPolygons = polygons.map { $0.map(neck.meshCoordinate) }

        // Background grid rows; `seamOf` pairs each s = +1 point with its s = −1 twin. `pts` are
        // chart points, `mesh` their meshing coordinates (Delaunay and UVs).
        var pts: [SIMD2<Float>] = [], mesh: [SIMD2<Float>] = [], kinds: [HeadVertexKind] = []
        var seamTwin: [Int: Int] = [:], sectionOf: [Int: SIMD2<Float>] = [:]
        var topRow: [Int] = []
        for (k, row) in rows.enumerated() {
            var first = -1
            for (i, s) in row.s.enumerated() {
                let c = SIMD2(warpPhi(s), row.e[i]), d = SIMD2(c.x, row.tau)
                if s > -1 && s < 1 && excluded(d, polygons: meshPolygons, margin: 0.55 * row.spacing / 0.09) { continue }
                if s == -1 { first = pts.count }
                if s == 1 { seamTwin[pts.count] = first }
                if k == 0 { topRow.append(pts.count) }
                if let q = row.section[i] { sectionOf[pts.count] = q }
                pts.append(c); mesh.append(d); kinds.append(.grid)
            }
        }
        // Outer loops join the Delaunay input.
        var outerIndex: [[Int]] = []
        for (f, poly) in polygons.enumerated() {
            var idx: [Int] = []
            for (m, c) in poly.enumerated() {
                idx.append(pts.count)
                pts.append(c); mesh.append(meshPolygons[f][m])
                kinds.append(f < 2 ? .eye(side: f, ring: outer, m: m) : .mouth(ring: mouthOuter, m: m))
            }
            outerIndex.append(idx)
        }
        let dt = HeadDelaunay.triangulate(mesh.map { SIMD2(Double($0.x), Double($0.y)) })
        var tris: [SIMD3<Int32>] = dt.filter { t in
            for (f, idx) in outerIndex.enumerated() {
                let set = Set(idx)
                if set.contains(Int(t.x)) && set.contains(Int(t.y)) && set.contains(Int(t.z)) {
                    let centroid = (mesh[Int(t.x)] + mesh[Int(t.y)] + mesh[Int(t.z)]) / 3
                    if inside(centroid, meshPolygons[f]) { return false }
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
                    let c = HeadShape.chart(HeadRings.eyePoint(L, side: side == 0 ? 1 : -1, ring: ring, m: m))
                    pts.append(c); mesh.append(neck.meshCoordinate(c))
                    kinds.append(.eye(side: side, ring: ring, m: m))
                    return pts.count - 1
                }
            }
            topo.eyeIndex[side] = rings
            tris += loopTriangles(rings, chart: pts, mesh: mesh)
        }
        var mrings: [[Int]] = Array(repeating: [], count: HeadRings.mouthRings)
        mrings[mouthOuter] = outerIndex[2]
        for ring in 0..<mouthOuter {
            mrings[ring] = (0..<HeadRings.mouthCount).map { m in
                let c = HeadShape.chart(HeadRings.mouthPoint(L, ring: ring, m: m))
                pts.append(c); mesh.append(neck.meshCoordinate(c))
                kinds.append(.mouth(ring: ring, m: m))
                return pts.count - 1
            }
        }
        topo.mouthIndex = mrings
        tris += loopTriangles(mrings, chart: pts, mesh: mesh)

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
        topo.uvs = mesh.map { skinUV($0, eRange: eRange) }
        topo.triangles = tris.map { SIMD3(Int32(remap[Int($0.x)]), Int32(remap[Int($0.y)]), Int32(remap[Int($0.z)])) }
        topo.uvTriangles = tris
        topo.eyeIndex = topo.eyeIndex.map { $0.map { $0.map { remap[$0] } } }
        topo.mouthIndex = topo.mouthIndex.map { $0.map { remap[$0] } }

        // Crown fan: one pole vertex, one UV apex per fan triangle.
        let pole = topo.kinds.count
        topo.kinds.append(.pole)
        topo.chart.append(SIMD2(0, .pi / 2))
        // Neck vertices on loft sections carry their neutral height and section angle from the chart.
        topo.neutralY = [Float](repeating: .nan, count: topo.kinds.count)
        topo.sectionAngle = topo.neutralY
        for (i, q) in sectionOf where seamTwin[i] == nil { topo.neutralY[remap[i]] = q.x; topo.sectionAngle[remap[i]] = q.y }
        let ordered = topRow.sorted { mesh[$0].x < mesh[$1].x }
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

    /// Triangles between consecutive loops, each quad split along its shorter diagonal in the chart
    /// (φ, e) — the meshing coordinates squash the chart below e_ref, which would pick the long
    /// diagonal under the lower lip — and oriented CCW in the meshing coordinates (the UVs).
    static func loopTriangles(_ rings: [[Int]], chart pts: [SIMD2<Float>], mesh: [SIMD2<Float>]) -> [SIMD3<Int32>] {
        var out: [SIMD3<Int32>] = []
        for j in 0..<(rings.count - 1) {
            let inner = rings[j], outer = rings[j + 1], n = inner.count
            for m in 0..<n {
                let a = inner[m], b = inner[(m + 1) % n], c = outer[(m + 1) % n], d = outer[m]
                let quad: [(Int, Int, Int)] = hlen(pts[a] - pts[c]) < hlen(pts[b] - pts[d])
                    ? [(a, b, c), (a, c, d)] : [(a, b, d), (b, c, d)]
                for (u, v, w) in quad { out.append(ccw(u, v, w, mesh)) }
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

    /// Elevations of the constant-e rows, from the crown (e ≈ 83°) down to the first row at or
    /// below `neckSwitch` (the lower lip at the front, the nape behind), spaced by arc length
    /// averaged over azimuth; `HeadNeckChart` rows continue below.
    static func rowElevations(_ s: HeadShape) -> [Float] {
        var rows: [Float] = []
        var e: Float = 1.45
        while true {
            rows.append(e)
            if e <= neckSwitch { break }
            e -= rowSpacing(e) * 0.866 / HeadNeckChart.arcRate(s, e)
        }
        return rows
    }

    /// Elevation below which rows follow the meridians' arc length (`HeadNeckChart`).
    static let neckSwitch: Float = -0.45
    /// Height of the level neck cut below the gnathion (metres): the base of the neck, as a bust.
    static let neckCutDepth: Float = 0.13

    /// One background row: warped-azimuth parameters s of its points, their chart elevations, the
    /// row's meshing coordinate τ and its target edge length.
    /// `section` holds (y₀, ψ₀) for the neck vertices placed on loft sections (`HeadNeckChart.Vertex`).
    struct GridRow { var s: [Float]; var e: [Float]; var section: [SIMD2<Float>?]; var tau: Float; var spacing: Float }

    /// n parameters in [−1, 1] including both ends, uniform; odd rows are shifted by half a step
    /// (one point more) so consecutive rows interleave into near-equilateral triangles.
    static func staggered(_ n: Int, odd: Bool) -> [Float] {
        let step = 2 / Float(n - 1)
        let inner = odd ? (0..<(n - 1)).map { -1 + step * (Float($0) + 0.5) } : (1..<(n - 1)).map { -1 + step * Float($0) }
        return [-1] + inner + [1]
    }

    /// A constant-elevation row: n ∝ circumference, uniform in s (denser in front through W).
    static func headRow(_ shape: HeadShape, e: Float, odd: Bool) -> GridRow {
        let spacing = rowSpacing(e)
        let n = max(8, Int((circumference(shape, e) * frontDensity / spacing).rounded()))
        let s = staggered(n, odd: odd)
        return GridRow(s: s, e: [Float](repeating: e, count: s.count), section: s.map { _ in nil }, tau: e, spacing: spacing)
    }

    /// Target edge length of the neck rows: the face's fine spacing at the switch, coarse from
    /// the throat down.
    static func neckSpacing(_ f: Float) -> Float {
        let fine = rowSpacing(neckSwitch), coarse: Float = 0.0062
        return fine + (coarse - fine) * HeadShape.smoothstep(0.1, 0.5, f)
    }

    /// Rows of constant arc fraction f below the switch row, stepped by 0.866 × spacing over the
    /// mean meridian arc and scaled so the last row is the cut (f = 1).
    static func neckRows(_ neck: HeadNeckChart, firstIndex k0: Int) -> [GridRow] {
        var fs: [Float] = [], f: Float = 0
        while f < 1 {
            f += 0.866 * neckSpacing(f) / neck.meanArc
            fs.append(f)
        }
        let scale = 1 / fs.last!
        return fs.indices.map { i in
            neckRow(neck, f: i == fs.count - 1 ? 1 : fs[i] * scale, odd: (k0 + i) % 2 == 1)
        }
    }

    /// A constant-f row. Its points are uniform in u = (1 − β)·s + β·(2A/A_total − 1), A the arc
    /// length along the row: the head's front-dense spacing at the switch (β = 0) turns into even
    /// spacing around the neck (β = 1 below the throat), where rays from the origin meet the front
    /// of the neck far closer than its back and uniform s would leave the nape 8× coarser.
    static func neckRow(_ neck: HeadNeckChart, f: Float, odd: Bool) -> GridRow {
        let M = HeadNeckChart.meridians
        let ss = (0...M).map(HeadNeckChart.meridianS)
        let ps = (0...M).map { neck.sample(meridian: $0, f: f).p }
        var arc: [Float] = [0]
        for j in 1...M { arc.append(arc[j - 1] + hlen(ps[j] - ps[j - 1])) }
        let beta = HeadShape.smoothstep(0.05, 0.45, f)
        let us = (0...M).map { (1 - beta) * ss[$0] + beta * (2 * arc[$0] / arc[M] - 1) }
        let spacing = neckSpacing(f)
        let n = max(8, Int((arc[M] * (frontDensity + (1 - frontDensity) * beta) / spacing).rounded()))
        let s = staggered(n, odd: odd).map { u -> Float in
            if u <= -1 { return -1 }
            if u >= 1 { return 1 }
            var j = 0
            while j < M - 1 && us[j + 1] < u { j += 1 }
            let t = (u - us[j]) / max(us[j + 1] - us[j], 1e-12)
            return ss[j] + min(max(t, 0), 1) * (ss[j + 1] - ss[j])
        }
        let vs = s.map { neck.vertex(s: $0, f: f) }
        return GridRow(s: s, e: vs.map(\.chart.y), section: vs.map(\.section), tau: neck.tau(f), spacing: spacing)
    }

    /// Inverse of `warpPhi` (monotone cubic) by bisection.
    static func unwarpPhi(_ phi: Float) -> Float {
        var lo: Float = -1, hi: Float = 1
        for _ in 0..<40 {
            let mid = 0.5 * (lo + hi)
            if warpPhi(mid) < phi { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }
}
