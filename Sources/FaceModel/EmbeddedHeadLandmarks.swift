import Foundation

/// The 68-point iBUG landmark embedding of the embedded head, and its dynamic jaw contour.
///
/// Eyes (36–47) and lips (48–67) sit on loop vertices (lid margins, contact line, vermilion
/// border), so they track every identity and expression exactly. Brows (17–26) and nose (27–35)
/// are surface points located in the skin chart. The jaw line (0–16) is the frontal silhouette of
/// the face: the outermost face vertex along 17 directions fanning from the subject's right cheek
/// through the chin to the left cheek around a centre below the eyes. The dynamic contour repeats
/// that search on the head turned by each yaw in −40°…40° (FLAME's convention: positive yaw turns
/// the face towards +x), giving the "landmark marching" table.
enum HeadLandmarks {
    /// Where 300-W's annotation convention puts the points between the corners, as a fraction of
    /// the way along x: the lid points divide each eye into thirds (upper lid outer → inner, lower
    /// lid inner → outer); the lip points sit at about a quarter and five eighths of the mouth's
    /// half-width from the midline (Cupid's bow peaks, the midpoints of the lower lip's halves).
    static let lidThirds: [Float] = [1.0 / 3, 2.0 / 3]
    static let lipFractions: [Float] = [0.63, 0.25]
    static let innerLipFraction: Float = 0.27

    static func build(topo: HeadTopology, positions P: [SIMD3<Float>], regions: [FaceRegion],
                      layout L: HeadLayout) -> (static: [LandmarkEmbedding], contour: DynamicContour) {
        let vertexTriangle = firstTriangle(topo)
        func atVertex(_ v: Int) -> LandmarkEmbedding {
            let t = vertexTriangle[v]
            let tri = topo.triangles[t]
            let bary = SIMD3<Float>(tri.x == Int32(v) ? 1 : 0, tri.y == Int32(v) ? 1 : 0, tri.z == Int32(v) ? 1 : 0)
            return LandmarkEmbedding(triangle: Int32(t), barycentric: bary)
        }
        let candidates = contourCandidates(topo, P, regions, L)
        let onLoop = LoopPoints(topo: topo, positions: P)
        // Eyes 36–47: corners on the lid-margin corner vertices, lid points at thirds of the width.
        var eyes: [LandmarkEmbedding] = []
        for side in [1, 0] {   // the subject's right eye (−x) first
            let margin = topo.eyeIndex[side][0]
            let half = HeadRings.eyeCount / 2
            let upper = Array(margin[0...half]), lower = Array(margin[half..<margin.count]) + [margin[0]]
            let outer = P[margin[0]].x, inner = P[margin[half]].x
            let x = { (f: Float) in outer + f * (inner - outer) }
            let upperPoints = lidThirds.map { onLoop.at(x: x($0), along: upper) }
            let lowerPoints = lidThirds.reversed().map { onLoop.at(x: x($0), along: lower) }
            let six = [atVertex(margin[0])] + upperPoints + [atVertex(margin[half])] + lowerPoints
            eyes += side == 1 ? six : [six[3], six[2], six[1], six[0], six[5], six[4]]
        }
        // Lips 48–67. Loops run from the left (+x) commissure over the upper lip (m < M/2).
        let M = HeadRings.mouthCount
        let border = topo.mouthIndex[2], contact = topo.mouthIndex[0]
        let upperBorder = Array(border[0...M / 2]), lowerBorder = Array(border[(M / 2)..<M]) + [border[0]]
        let upperContact = Array(contact[0...M / 2]), lowerContact = Array(contact[(M / 2)..<M]) + [contact[0]]
        let a = P[border[0]].x, ai = P[contact[0]].x
        let rightCorner = atVertex(topo.mouthIndex[3][M / 2]), leftCorner = atVertex(topo.mouthIndex[3][0])
        var lips: [LandmarkEmbedding] = [rightCorner]
        lips += lipFractions.map { onLoop.at(x: -$0 * a, along: upperBorder) }
        lips.append(atVertex(border[M / 4]))
        lips += lipFractions.reversed().map { onLoop.at(x: $0 * a, along: upperBorder) }
        lips.append(leftCorner)
        lips += lipFractions.map { onLoop.at(x: $0 * a, along: lowerBorder) }
        lips.append(atVertex(border[3 * M / 4]))
        lips += lipFractions.reversed().map { onLoop.at(x: -$0 * a, along: lowerBorder) }
        lips += [atVertex(contact[M / 2]), onLoop.at(x: -innerLipFraction * ai, along: upperContact),
                 atVertex(contact[M / 4]), onLoop.at(x: innerLipFraction * ai, along: upperContact),
                 atVertex(contact[0]), onLoop.at(x: innerLipFraction * ai, along: lowerContact),
                 atVertex(contact[3 * M / 4]), onLoop.at(x: -innerLipFraction * ai, along: lowerContact)]

        let eyeLine = 0.25 * (P[topo.eyeIndex[0][0][0]].y + P[topo.eyeIndex[1][0][0]].y
                              + P[topo.eyeIndex[0][0][HeadRings.eyeCount / 2]].y + P[topo.eyeIndex[1][0][HeadRings.eyeCount / 2]].y)
        let cornerLine = 0.5 * (P[topo.eyeIndex[0][0][0]].y + P[topo.eyeIndex[1][0][0]].y)
        var out: [LandmarkEmbedding] = jawLine(P, candidates: candidates, yaw: 0, top: cornerLine, L).map { surface($0, topo, P) }
        // Brows 17–26 on the brow's upper edge: an arch whose ends sit lower than its peak
        // (outer → inner on the right (−x), inner → outer on the left).
        let browX: [Float] = [0.060, 0.051, 0.038, 0.0245, 0.0115]
        let browLift: [Float] = [-0.0063, 0.0006, 0.0040, 0.0016, -0.0047]
        // Aim from the origin at the brow's approximate depth (the forehead curves back laterally).
        func brow(_ x: Float, _ k: Int) -> LandmarkEmbedding {
            surface(SIMD3(x, L.browY + browLift[k], 0.095 - 9 * x * x), topo, P)
        }
        for k in 0..<5 { out.append(brow(-browX[k], k)) }
        for k in (0..<5).reversed() { out.append(brow(browX[k], k)) }
        // Nose bridge 27–30 from just above the eye line to the tip (the most anterior midline vertex).
        let tip = (0..<P.count).filter { regions[$0] == .nose && abs(P[$0].x) < 0.004 }.max { P[$0].z < P[$1].z }!
        // 300-W marks the tip a little above the most anterior point (its frontal highlight).
        let bridgeTop = eyeLine + 0.002, tipY = P[tip].y + 0.009
        for k in 0...3 {
            let y = bridgeTop + (tipY - bridgeTop) * Float(k) / 3
            out.append(surface(SIMD3(0, y, 0.1), topo, P))
        }
        // Nose base 31–35: the nostrils' outer edges (at 85 % of the alar half-width), their
        // middles, and the subnasale.
        let baseX: [Float] = [-0.85, -0.45, 0, 0.45, 0.85].map { $0 * L.noseHalfWidth }
        let baseY: [Float] = [0.0045, 0.0020, 0, 0.0020, 0.0045]
        for k in 0..<5 { out.append(surface(SIMD3(baseX[k], L.subnasaleY + baseY[k] + 0.0005, 0.1), topo, P)) }
        out += eyes + lips

        let yaws: [Float] = stride(from: -70, through: 70, by: 5).map { Float($0) }
        let rows = yaws.map { jawLine(P, candidates: candidates, yaw: $0, top: cornerLine, L).map { surface($0, topo, P) } }
        return (out, DynamicContour(yawDegrees: yaws, embeddings: rows))
    }

    /// Vertices allowed on the jaw contour: face skin in front of the ears, below the canthi. The
    /// face region ends at the mandible's lower border (`HeadRegions`), so the outline is the jaw
    /// line 300-W annotates — a V from the gonia to the chin in a frontal view — not the neck's
    /// silhouette behind it, which is as wide as the jaw and would square the chin off.
    static func contourCandidates(_ topo: HeadTopology, _ P: [SIMD3<Float>], _ regions: [FaceRegion], _ L: HeadLayout) -> [Int] {
        let zBack: Float = -0.005
        return (0..<P.count).filter { i in
            guard case .grid = topo.kinds[i] else { return false }
            let r = regions[i]
            return r == .face && P[i].z > zBack && P[i].y > L.gnathionY - 0.010 && P[i].y < L.canthusY
        }
    }

    /// The 17 jaw-line points of the silhouette with the head turned by `yaw` degrees, from the
    /// right cheek at the height `top` of the lateral canthi (where 300-W starts and ends the jaw
    /// line) through the chin to the left cheek, evenly spaced on each side of the chin as 300-W
    /// annotates it.
    /// Candidates stop at the canthi's height, so the line's ends are the outermost candidates there.
    static func jawLine(_ P: [SIMD3<Float>], candidates: [Int], yaw: Float, top: Float, _ L: HeadLayout) -> [SIMD3<Float>] {
        let a = yaw * .pi / 180
        func turn(_ p: SIMD3<Float>) -> SIMD2<Float> { SIMD2(cos(a) * p.x + sin(a) * p.z, p.y) }
        let center = turn(SIMD3(0, L.canthusY - 0.030, 0.06))
        // Dense silhouette: the outermost candidate in a narrow wedge around each fan direction,
        // from the right cheek (level with the lower lids) through the chin to the left cheek.
        var dense: [Int] = []
        let samples = 96
        for k in 0...samples {
            let angle = (166 + 208 * Float(k) / Float(samples)) * .pi / 180
            let dir = SIMD2<Float>(cos(angle), sin(angle))
            var best = candidates[0], bestScore = -Float.infinity
            for i in candidates {
                let q = turn(P[i]) - center
                let along = hdot(q, dir)
                if along <= 0 { continue }
                let across = abs(q.x * dir.y - q.y * dir.x)
                let score = along - 4 * max(across - 0.0025, 0)
                if score > bestScore { bestScore = score; best = i }
            }
            if dense.last != best { dense.append(best) }
        }
        // Extended up to the outline's outermost points at the height of the canthi.
        let level = candidates.filter { P[$0].y <= top && P[$0].y > top - 0.003 }
        var poly = dense.map { P[$0] }
        if let right = level.min(by: { turn(P[$0]).x < turn(P[$1]).x }), let left = level.max(by: { turn(P[$0]).x < turn(P[$1]).x }) {
            poly = [P[right]] + poly + [P[left]]
        }
        // 300-W puts point 8 on the chin's midline and spaces 0–8 and 8–16 evenly along each half.
        var chin = poly.count - 1
        for k in 1..<poly.count where poly[k - 1].x <= 0 && poly[k].x > 0 {
            let t = -poly[k - 1].x / (poly[k].x - poly[k - 1].x)
            poly.insert(poly[k - 1] + t * (poly[k] - poly[k - 1]), at: k)
            chin = k
            break
        }
        let right = evenly(Array(poly[...chin]), count: 9, turn)
        let left = evenly(Array(poly[chin...]), count: 9, turn)
        return right + left.dropFirst()
    }

    /// `count` points at equal arc length (measured in the turned view) along a polyline.
    static func evenly(_ poly: [SIMD3<Float>], count: Int, _ turn: (SIMD3<Float>) -> SIMD2<Float>) -> [SIMD3<Float>] {
        guard poly.count > 1 else { return [SIMD3<Float>](repeating: poly.first ?? .zero, count: count) }
        var arc: [Float] = [0]
        for k in 1..<poly.count { arc.append(arc[k - 1] + hlen(turn(poly[k]) - turn(poly[k - 1]))) }
        return (0..<count).map { j in
            let target = arc.last! * Float(j) / Float(count - 1)
            let k = max(arc.firstIndex { $0 >= target - 1e-6 } ?? poly.count - 1, 1)
            let t = (target - arc[k - 1]) / max(arc[k] - arc[k - 1], 1e-9)
            return poly[k - 1] + min(max(t, 0), 1) * (poly[k] - poly[k - 1])
        }
    }

    /// Surface points on the edges of a vertex loop.
    struct LoopPoints {
        let topo: HeadTopology
        let positions: [SIMD3<Float>]
        let edgeTriangle: [Int64: Int]

        init(topo: HeadTopology, positions: [SIMD3<Float>]) {
            self.topo = topo
            self.positions = positions
            var map: [Int64: Int] = [:]
            let n = Int64(positions.count)
            for (t, tri) in topo.triangles.enumerated() {
                let v = [Int64(tri.x), Int64(tri.y), Int64(tri.z)]
                for e in 0..<3 {
                    let a = v[e], b = v[(e + 1) % 3]
                    map[min(a, b) * n + max(a, b)] = map[min(a, b) * n + max(a, b)] ?? t
                }
            }
            edgeTriangle = map
        }

        /// The point of the open vertex path `path` whose x is `x` (the first crossing), as an
        /// embedding on a triangle of that edge.
        func at(x: Float, along path: [Int]) -> LandmarkEmbedding {
            var k = 1
            while k < path.count - 1 {
                let x0 = positions[path[k - 1]].x, x1 = positions[path[k]].x
                if (x0 - x) * (x1 - x) <= 0 { break }
                k += 1
            }
            let a = path[k - 1], b = path[k]
            let xa = positions[a].x, xb = positions[b].x
            let t = abs(xb - xa) > 1e-9 ? min(max((x - xa) / (xb - xa), 0), 1) : 0
            let n = Int64(positions.count)
            let tri = edgeTriangle[min(Int64(a), Int64(b)) * n + max(Int64(a), Int64(b))]!
            let ids = topo.triangles[tri]
            let bary = SIMD3<Float>([ids.x, ids.y, ids.z].map { Int($0) == a ? 1 - t : Int($0) == b ? t : 0 })
            return LandmarkEmbedding(triangle: Int32(tri), barycentric: bary)
        }
    }

    /// A skin surface point: the chart position of the frontal point p (cast from the origin),
    /// located in the skin triangles with chart barycentrics.
    static func surface(_ p: SIMD3<Float>, _ topo: HeadTopology, _ P: [SIMD3<Float>]) -> LandmarkEmbedding {
        let c = HeadShape.chart(p)
        var best = (t: 0, bary: SIMD3<Float>(1, 0, 0), err: Float.infinity)
        for (t, tri) in topo.triangles.enumerated() {
            let ids = [Int(tri.x), Int(tri.y), Int(tri.z)]
            guard ids.allSatisfy({ isSkin(topo.kinds[$0]) }) else { continue }
            let a = topo.chart[ids[0]], b = topo.chart[ids[1]], cc = topo.chart[ids[2]]
            if abs(a.x - c.x) > 0.2 { continue }
            let den = (b.y - cc.y) * (a.x - cc.x) + (cc.x - b.x) * (a.y - cc.y)
            if abs(den) < 1e-12 { continue }
            let l0 = ((b.y - cc.y) * (c.x - cc.x) + (cc.x - b.x) * (c.y - cc.y)) / den
            let l1 = ((cc.y - a.y) * (c.x - cc.x) + (a.x - cc.x) * (c.y - cc.y)) / den
            let l2 = 1 - l0 - l1
            let err = max(-min(l0, l1, l2), 0)
            if err < best.err { best = (t, SIMD3(l0, l1, l2), err) }
            if err == 0 { break }
        }
        return LandmarkEmbedding(triangle: Int32(best.t), barycentric: best.bary)
    }

    static func isSkin(_ k: HeadVertexKind) -> Bool {
        switch k {
        case .grid, .eye, .mouth: return true
        default: return false
        }
    }

    /// For each vertex, the first triangle that uses it.
    static func firstTriangle(_ topo: HeadTopology) -> [Int] {
        var out = [Int](repeating: -1, count: topo.kinds.count)
        for (t, tri) in topo.triangles.enumerated() {
            for v in [tri.x, tri.y, tri.z] where out[Int(v)] < 0 { out[Int(v)] = t }
        }
        return out
    }
}
