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
    /// Eye-margin vertex m for iBUG points 36–41 (subject's right eye) and 42–47 (left eye).
    static let rightEyeSlots = [0, 7, 10, 14, 18, 21]      // outer, upper ×2, inner, lower ×2
    static let leftEyeSlots = [14, 10, 7, 0, 21, 18]       // inner, upper ×2, outer, lower ×2
    /// (ring, m) of the outer lip points 48–59 and inner lip points 60–67.
    static let outerLip: [(Int, Int)] = [(3, 20), (2, 17), (2, 14), (2, 10), (2, 6), (2, 3), (3, 0),
                                         (2, 37), (2, 34), (2, 30), (2, 26), (2, 23)]
    static let innerLip: [(Int, Int)] = [(0, 20), (0, 14), (0, 10), (0, 6), (0, 0), (0, 34), (0, 30), (0, 26)]

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
        var out: [LandmarkEmbedding] = jawLine(P, candidates: candidates, yaw: 0, L).map { surface($0, topo, P) }
        // Brows: upper brow line, outer → inner on the right (−x), inner → outer on the left.
        let browX: [Float] = [0.065, 0.048, 0.034, 0.024, 0.014]
        let browLift: [Float] = [-0.002, 0.002, 0.004, 0.003, 0.0005]
        // Aim from the origin at the brow's approximate depth (the forehead curves back laterally).
        func brow(_ x: Float, _ k: Int) -> LandmarkEmbedding {
            surface(SIMD3(x, L.browY + browLift[k], 0.095 - 9 * x * x), topo, P)
        }
        for k in 0..<5 { out.append(brow(-browX[k], k)) }
        for k in (0..<5).reversed() { out.append(brow(browX[k], k)) }
        // Nose bridge 27–30 from between the eyes to the tip (the most anterior midline vertex).
        let tip = (0..<P.count).filter { regions[$0] == .nose && abs(P[$0].x) < 0.004 }.max { P[$0].z < P[$1].z }!
        // 300-W marks the tip a little above the most anterior point (its frontal highlight).
        let bridgeTop = L.canthusY + 0.004, tipY = P[tip].y + 0.009
        for k in 0...3 {
            let y = bridgeTop + (tipY - bridgeTop) * Float(k) / 3
            out.append(surface(SIMD3(0, y, 0.1), topo, P))
        }
        // Nose base 31–35.
        let baseX: [Float] = [-0.0100, -0.0052, 0, 0.0052, 0.0100]
        let baseY: [Float] = [0.0035, 0.0012, 0, 0.0012, 0.0035]
        for k in 0..<5 { out.append(surface(SIMD3(baseX[k], L.subnasaleY + baseY[k] + 0.0005, 0.1), topo, P)) }
        for m in rightEyeSlots { out.append(atVertex(topo.eyeIndex[1][0][m])) }
        for m in leftEyeSlots { out.append(atVertex(topo.eyeIndex[0][0][m])) }
        for (ring, m) in outerLip + innerLip { out.append(atVertex(topo.mouthIndex[ring][m])) }

        let yaws: [Float] = stride(from: -40, through: 40, by: 5).map { Float($0) }
        let rows = yaws.map { jawLine(P, candidates: candidates, yaw: $0, L).map { surface($0, topo, P) } }
        return (out, DynamicContour(yawDegrees: yaws, embeddings: rows))
    }

    /// Vertices allowed on the jaw contour: face, neck-top and lips-free skin in front of the ears.
    static func contourCandidates(_ topo: HeadTopology, _ P: [SIMD3<Float>], _ regions: [FaceRegion], _ L: HeadLayout) -> [Int] {
        (0..<P.count).filter { i in
            guard case .grid = topo.kinds[i] else { return false }
            let r = regions[i]
            return (r == .face || r == .neck) && P[i].z > -0.005 && P[i].y > L.gnathionY - 0.010 && P[i].y < L.canthusY
        }
    }

    /// The 17 jaw-line vertices of the frontal silhouette with the head turned by `yaw` degrees.
    static func jawLine(_ P: [SIMD3<Float>], candidates: [Int], yaw: Float, _ L: HeadLayout) -> [SIMD3<Float>] {
        let a = yaw * .pi / 180
        func turn(_ p: SIMD3<Float>) -> SIMD2<Float> { SIMD2(cos(a) * p.x + sin(a) * p.z, p.y) }
        let center = turn(SIMD3(0, L.canthusY - 0.030, 0.06))
        // Dense silhouette from the right cheek (level with the lower lids) through the chin to the
        // left cheek, then 17 points at equal arc length, as 300-W annotates the jaw line.
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
                // Outermost point inside a narrow wedge around the direction.
                let score = along - 4 * max(across - 0.0025, 0)
                if score > bestScore { bestScore = score; best = i }
            }
            if dense.last != best { dense.append(best) }
        }
        var arc: [Float] = [0]
        for k in 1..<dense.count { arc.append(arc[k - 1] + hlen(turn(P[dense[k]]) - turn(P[dense[k - 1]]))) }
        // Points between silhouette vertices (interpolated in 3D, then put on the surface).
        return (0..<17).map { j in
            let target = arc.last! * Float(j) / 16
            let k = max(arc.firstIndex { $0 >= target - 1e-6 } ?? dense.count - 1, 1)
            let t = (target - arc[k - 1]) / max(arc[k] - arc[k - 1], 1e-9)
            return P[dense[k - 1]] + min(max(t, 0), 1) * (P[dense[k]] - P[dense[k - 1]])
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
