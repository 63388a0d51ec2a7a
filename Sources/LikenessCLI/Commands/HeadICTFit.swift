import FaceModel
import Foundation
import Reconstruction

/// Fits the embedded head's identity to an ICT-FaceKit identity mesh and measures the distance.
///
/// ICT's 68 landmark vertices (its README) give the correspondence. Alternating: a similarity
/// (Umeyama) maps the ICT mesh onto the model; β solves the ridge problem
///     min ‖T_c + B_c β − y_c‖² + λ‖β‖²
/// over the correspondences c (the 68 landmarks, then also each model face vertex ↔ its nearest
/// aligned ICT face vertex: ICP). The figure is the median distance from ICT's face region
/// (vertices 0–9408) to the fitted model surface (nearest vertex's incident triangles).
struct HeadICTFit {
    static let ictLandmarks: [Int] = [
        1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443, 268, 493, 1914,
        2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147, 4269, 3360, 1507, 1542, 1537, 1528,
        1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695, 2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841,
        5702, 5711, 5533, 6216, 6207, 6470, 5517, 5966,
    ]
    static let ictFaceVertices = 9409

    let model: MorphableModel
    let target: [SIMD3<Float>]

    func vertex(_ v: [Float], _ i: Int) -> SIMD3<Float> { SIMD3(v[3 * i], v[3 * i + 1], v[3 * i + 2]) }

    func run() -> Float {
        let k = model.identityCount
        var beta = [Float](repeating: 0, count: k)
        let face = (0..<model.vertexCount).filter { [.face, .nose, .lips, .eyes].contains(model.vertexRegions[$0]) }
        let ictFace = Array(target.prefix(Self.ictFaceVertices))
        var aligned = target
        var pairs: [(SurfaceCombination, Int)] = model.landmarks.enumerated().map { (model.combination($0.element), Self.ictLandmarks[$0.offset]) }
        for round in 0..<6 {
            let shape = shapeVertices(beta)
            // Similarity ICT → model from the current correspondences.
            let src = pairs.map { target[$0.1] }
            let dst = pairs.map { p in zip(p.0.vertices, p.0.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * vertex(shape, $1.0) } }
            let sim = Similarity.umeyama(from: src, to: dst)
            aligned = target.map(sim.apply)
            beta = solveIdentity(pairs, aligned)
            if round >= 1 {
                // ICP: each model face vertex with its nearest aligned ICT face vertex.
                let shape = shapeVertices(beta)
                let grid = PointGrid(points: Array(aligned.prefix(Self.ictFaceVertices)), cell: 0.006)
                var dense: [(SurfaceCombination, Int)] = []
                for i in face {
                    if let (j, d) = grid.nearest(vertex(shape, i)), d < 0.012 { dense.append((.vertex(i), j)) }
                }
                pairs = model.landmarks.enumerated().map { (model.combination($0.element), Self.ictLandmarks[$0.offset]) } + dense
            }
        }
        let shape = shapeVertices(beta)
        let surface = MeshDistance(model: model, vertices: shape)
        var d = aligned.prefix(ictFace.count).map { surface.distance($0) }
        d.sort()
        return d[d.count / 2]
    }

    func shapeVertices(_ beta: [Float]) -> [Float] {
        var v = model.template
        let k = model.identityCount
        for r in 0..<v.count {
            var s: Float = 0
            for c in 0..<k { s += model.identityBasis[r * k + c] * beta[c] }
            v[r] += s
        }
        return v
    }

    /// Ridge solve of β over correspondences (model combination ↔ aligned ICT vertex).
    func solveIdentity(_ pairs: [(SurfaceCombination, Int)], _ aligned: [SIMD3<Float>]) -> [Float] {
        let k = model.identityCount
        var H = [Double](repeating: 0, count: k * k), g = [Double](repeating: 0, count: k)
        let lambda = 1e-5 * Double(pairs.count) / 68
        for (combo, j) in pairs {
            for c in 0..<3 {
                var row = [Double](repeating: 0, count: k)
                var base: Double = 0
                for (v, w) in zip(combo.vertices, combo.weights) {
                    base += Double(w * model.template[3 * v + c])
                    for m in 0..<k { row[m] += Double(w * model.identityBasis[(3 * v + c) * k + m]) }
                }
                let r = Double(aligned[j][c]) - base
                for a in 0..<k where row[a] != 0 {
                    g[a] += row[a] * r
                    for b in 0..<k { H[a * k + b] += row[a] * row[b] }
                }
            }
        }
        for a in 0..<k { H[a * k + a] += lambda }
        return (LandmarkFit.solve(H, g, k) ?? [Double](repeating: 0, count: k)).map(Float.init)
    }
}

/// x ↦ s·R·x + t.
struct Similarity {
    var s: Float, r: [SIMD3<Float>], t: SIMD3<Float>
    func apply(_ x: SIMD3<Float>) -> SIMD3<Float> { s * SIMD3((r[0] * x).sum(), (r[1] * x).sum(), (r[2] * x).sum()) + t }

    /// Least-squares similarity (Umeyama 1991) via the SVD of the 3×3 covariance (Jacobi on ΣᵀΣ).
    static func umeyama(from a: [SIMD3<Float>], to b: [SIMD3<Float>]) -> Similarity {
        let n = Float(a.count)
        let ma = a.reduce(.zero, +) / n, mb = b.reduce(.zero, +) / n
        var cov = [[Double]](repeating: [0, 0, 0], count: 3)
        var va: Double = 0
        for (p, q) in zip(a, b) {
            let x = p - ma, y = q - mb
            va += Double((x * x).sum())
            for i in 0..<3 { for j in 0..<3 { cov[i][j] += Double(y[i] * x[j]) } }
        }
        let (u, sigma, v) = SVD3.decompose(cov)
        var d: [Double] = [1, 1, 1]
        if SVD3.det(u) * SVD3.det(v) < 0 { d[2] = -1 }
        var R = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { R[i][j] += u[i][k] * d[k] * v[j][k] } } }
        let s = (0..<3).reduce(0.0) { $0 + sigma[$1] * d[$1] } / va
        let rows = R.map { SIMD3(Float($0[0]), Float($0[1]), Float($0[2])) }
        let sim = Similarity(s: Float(s), r: rows, t: .zero)
        return Similarity(s: Float(s), r: rows, t: mb - sim.apply(ma))
    }
}

enum SVD3 {
    static func det(_ m: [[Double]]) -> Double {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// M = U diag(σ) Vᵀ from the eigenvectors of MᵀM (one-sided Jacobi).
    static func decompose(_ m: [[Double]]) -> ([[Double]], [Double], [[Double]]) {
        var a = m   // columns are orthogonalised in place
        var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        for _ in 0..<30 {
            for p in 0..<2 { for q in (p + 1)..<3 {
                var alpha = 0.0, beta = 0.0, gamma = 0.0
                for i in 0..<3 { alpha += a[i][p] * a[i][p]; beta += a[i][q] * a[i][q]; gamma += a[i][p] * a[i][q] }
                if abs(gamma) < 1e-15 { continue }
                let zeta = (beta - alpha) / (2 * gamma)
                let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                let c = 1 / (1 + t * t).squareRoot(), s = c * t
                for i in 0..<3 {
                    let x = a[i][p], y = a[i][q]; a[i][p] = c * x - s * y; a[i][q] = s * x + c * y
                    let vx = v[i][p], vy = v[i][q]; v[i][p] = c * vx - s * vy; v[i][q] = s * vx + c * vy
                }
            } }
        }
        var sigma = [0.0, 0.0, 0.0]
        var u = [[Double]](repeating: [0, 0, 0], count: 3)
        for j in 0..<3 {
            sigma[j] = (0..<3).reduce(0.0) { $0 + a[$1][j] * a[$1][j] }.squareRoot()
            for i in 0..<3 { u[i][j] = sigma[j] > 1e-15 ? a[i][j] / sigma[j] : (i == j ? 1 : 0) }
        }
        return (u, sigma, v)
    }
}

/// Uniform hash grid for nearest-point queries.
struct PointGrid {
    let points: [SIMD3<Float>]
    let cell: Float
    var buckets: [SIMD3<Int32>: [Int]] = [:]

    init(points: [SIMD3<Float>], cell: Float) {
        self.points = points; self.cell = cell
        for (i, p) in points.enumerated() { buckets[key(p), default: []].append(i) }
    }

    func key(_ p: SIMD3<Float>) -> SIMD3<Int32> { SIMD3(Int32((p.x / cell).rounded(.down)), Int32((p.y / cell).rounded(.down)), Int32((p.z / cell).rounded(.down))) }

    func nearest(_ p: SIMD3<Float>) -> (Int, Float)? {
        let k = key(p)
        var best: (Int, Float)? = nil
        for dx in -1...1 { for dy in -1...1 { for dz in -1...1 {
            for i in buckets[k &+ SIMD3(Int32(dx), Int32(dy), Int32(dz))] ?? [] {
                let d = ((points[i] - p) * (points[i] - p)).sum().squareRoot()
                if best == nil || d < best!.1 { best = (i, d) }
            }
        } } }
        return best
    }
}

/// Distance from a point to the model's skin surface: exact point–triangle distance over the
/// triangles around the nearest vertex.
struct MeshDistance {
    let vertices: [SIMD3<Float>]
    let triangles: [SIMD3<Int>]
    let around: [[Int]]
    let grid: PointGrid

    init(model: MorphableModel, vertices v: [Float]) {
        let skin: Set<FaceRegion> = [.face, .nose, .lips, .eyes, .scalp, .neck, .ears]
        vertices = (0..<model.vertexCount).map { SIMD3(v[3 * $0], v[3 * $0 + 1], v[3 * $0 + 2]) }
        var tris: [SIMD3<Int>] = [], around = [[Int]](repeating: [], count: model.vertexCount)
        for t in 0..<model.triangleCount {
            let ids = SIMD3(Int(model.triangles[3 * t]), Int(model.triangles[3 * t + 1]), Int(model.triangles[3 * t + 2]))
            guard skin.contains(model.vertexRegions[ids.x]) else { continue }
            for i in 0..<3 { around[ids[i]].append(tris.count) }
            tris.append(ids)
        }
        triangles = tris
        self.around = around
        let keep = (0..<model.vertexCount).filter { !around[$0].isEmpty }
        let points = vertices
        grid = PointGrid(points: keep.map { points[$0] }, cell: 0.01)
        indexMap = keep
    }
    private let indexMap: [Int]

    func distance(_ p: SIMD3<Float>) -> Float {
        guard let (j, dv) = grid.nearest(p) else { return 0.05 }
        var best = dv
        for t in around[indexMap[j]] {
            let tri = triangles[t]
            best = min(best, Self.pointTriangle(p, vertices[tri.x], vertices[tri.y], vertices[tri.z]))
        }
        return best
    }

    /// Ericson's closest point on a triangle.
    static func pointTriangle(_ p: SIMD3<Float>, _ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>) -> Float {
        func dot(_ u: SIMD3<Float>, _ v: SIMD3<Float>) -> Float { (u * v).sum() }
        let ab = b - a, ac = c - a, ap = p - a
        let d1 = dot(ab, ap), d2 = dot(ac, ap)
        var q: SIMD3<Float>
        if d1 <= 0 && d2 <= 0 { q = a } else {
            let bp = p - b, d3 = dot(ab, bp), d4 = dot(ac, bp)
            let cp = p - c, d5 = dot(ab, cp), d6 = dot(ac, cp)
            let vc = d1 * d4 - d3 * d2, vb = d5 * d2 - d1 * d6, va = d3 * d6 - d5 * d4
            if d3 >= 0 && d4 <= d3 { q = b }
            else if vc <= 0 && d1 >= 0 && d3 <= 0 { q = a + (d1 / (d1 - d3)) * ab }
            else if d6 >= 0 && d5 <= d6 { q = c }
            else if vb <= 0 && d2 >= 0 && d6 <= 0 { q = a + (d2 / (d2 - d6)) * ac }
            else if va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0 { q = b + ((d4 - d3) / ((d4 - d3) + (d5 - d6))) * (c - b) }
            else { let den = 1 / (va + vb + vc); q = a + ab * (vb * den) + ac * (vc * den) }
        }
        return ((p - q) * (p - q)).sum().squareRoot()
    }
}
