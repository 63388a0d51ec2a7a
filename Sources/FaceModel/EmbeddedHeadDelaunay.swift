/// Planar Delaunay triangulation (Bowyer–Watson) used to mesh the embedded head's chart.
///
/// Points are inserted in the given order into a super-triangle; each insertion removes the
/// triangles whose circumcircle contains the point and fans the cavity's boundary to it.
/// Output triangles are counter-clockwise. O(n·T) per insertion — fine for the ~5k chart points,
/// which are meshed once per model build.
enum HeadDelaunay {
    private struct Tri {
        var a: Int, b: Int, c: Int
        var cx: Double, cy: Double, r2: Double
    }

    static func triangulate(_ points: [SIMD2<Double>]) -> [SIMD3<Int32>] {
        let n = points.count
        guard n >= 3 else { return [] }
        var lo = points[0], hi = points[0]
        for p in points { lo = SIMD2(min(lo.x, p.x), min(lo.y, p.y)); hi = SIMD2(max(hi.x, p.x), max(hi.y, p.y)) }
        let span = max(hi.x - lo.x, hi.y - lo.y) * 1000
        let mid = (lo + hi) * 0.5
        var pts = points
        pts.append(SIMD2(mid.x - span, mid.y - span))
        pts.append(SIMD2(mid.x + span, mid.y - span))
        pts.append(SIMD2(mid.x, mid.y + span))
        var tris: [Tri] = [make(n, n + 1, n + 2, pts)]
        var edgeCount: [Int: Int] = [:]
        for i in 0..<n {
            let p = pts[i]
            edgeCount.removeAll(keepingCapacity: true)
            var keep: [Tri] = []
            keep.reserveCapacity(tris.count + 2)
            for t in tris {
                let dx = p.x - t.cx, dy = p.y - t.cy
                if dx * dx + dy * dy < t.r2 {
                    for (u, v) in [(t.a, t.b), (t.b, t.c), (t.c, t.a)] {
                        let key = min(u, v) * (n + 3) + max(u, v)
                        edgeCount[key, default: 0] += 1
                    }
                } else {
                    keep.append(t)
                }
            }
            for (key, count) in edgeCount where count == 1 {
                let u = key / (n + 3), v = key % (n + 3)
                keep.append(make(u, v, i, pts))
            }
            tris = keep
        }
        return tris.compactMap { t in
            t.a >= n || t.b >= n || t.c >= n ? nil : SIMD3(Int32(t.a), Int32(t.b), Int32(t.c))
        }.sorted { ($0.x, $0.y, $0.z) < ($1.x, $1.y, $1.z) }
    }

    /// A CCW triangle with its circumcircle.
    private static func make(_ a: Int, _ b: Int, _ c: Int, _ p: [SIMD2<Double>]) -> Tri {
        var (a, b, c) = (a, b, c)
        let pa = p[a], pb = p[b], pc = p[c]
        let cross = (pb.x - pa.x) * (pc.y - pa.y) - (pb.y - pa.y) * (pc.x - pa.x)
        if cross < 0 { swap(&b, &c) }
        let A = p[a], B = p[b], C = p[c]
        let d = 2 * (A.x * (B.y - C.y) + B.x * (C.y - A.y) + C.x * (A.y - B.y))
        // A collinear triple (cannot be a valid Delaunay triangle) is never invalidated.
        if abs(d) < 1e-18 { return Tri(a: a, b: b, c: c, cx: 0, cy: 0, r2: -1) }
        let a2 = A.x * A.x + A.y * A.y, b2 = B.x * B.x + B.y * B.y, c2 = C.x * C.x + C.y * C.y
        let ux = (a2 * (B.y - C.y) + b2 * (C.y - A.y) + c2 * (A.y - B.y)) / d
        let uy = (a2 * (C.x - B.x) + b2 * (A.x - C.x) + c2 * (B.x - A.x)) / d
        let r2 = (A.x - ux) * (A.x - ux) + (A.y - uy) * (A.y - uy)
        return Tri(a: a, b: b, c: c, cx: ux, cy: uy, r2: r2)
    }
}
