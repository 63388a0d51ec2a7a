import Foundation
import FaceModel

/// FLAME-style dynamic contour tables ("landmark marching") for a model that has none (ICT-FaceKit,
/// the embedded head), so the paper's ablation row "w/o L_sil" can run on any model.
///
/// FLAME's tables pair each yaw with 17 jaw-line embeddings that slide along horizontal mesh lines
/// to the visible outline. Here, on the mean face at zero pose, the horizontal line of jaw landmark
/// i is the band of face-region vertices (mask Z applied) on i's side with |y − y(k̃ᵢ)| < hᵢ,
/// hᵢ half the mean vertical spacing of the jaw landmarks (at least 3 mm). For a yaw φ (head turned by
/// R_y(φ)): if k̃ᵢ's rotated normal faces the camera (n_z > 0) the row keeps k̃ᵢ; otherwise it takes
/// the band vertex furthest out on i's side, sᵢ·(R_y(φ) v)ₓ maximal with sᵢ = sign(k̃ᵢ.x) — the
/// outline along that line. Rows cover −40°…40° in 2° steps (FLAME: ±39°).
public enum ContourTables {
    public static let yawDegrees: [Float] = stride(from: -40, through: 40, by: 2).map { Float($0) }

    public static func make(for model: MorphableModel) -> DynamicContour? {
        guard model.landmarks.count == 68, let rest = try? model.evaluate(.neutral(for: model)) else { return nil }
        let firstTriangle = cornerOfVertex(model)
        let mask = model.silhouetteMask
        let regionsKnown = model.vertexRegions.count == model.vertexCount
        let jaw = (0..<17).map { rest.landmarks[$0] }
        let jawNormals = (0..<17).map { i -> SIMD3<Float> in
            let c = model.combination(model.landmarks[i])
            return zip(c.vertices, c.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * rest.normal($1.0) }
        }
        let spacing = zip(jaw.dropFirst(), jaw).map { abs($0.y - $1.y) }.reduce(0, +) / 16
        let band = max(0.003, spacing / 2)
        let lines = jaw.map { p -> [Int] in
            let side: Float = p.x >= 0 ? 1 : -1
            return (0..<model.vertexCount).filter { v in
                let q = rest.vertex(v)
                return mask[v] && (!regionsKnown || model.vertexRegions[v] == .face)
                    && abs(q.y - p.y) < band && side * q.x > 0 && firstTriangle[v] != nil
            }
        }
        let rows = yawDegrees.map { yaw -> [LandmarkEmbedding] in
            let r = Rodrigues.matrix(SIMD3(0, yaw * .pi / 180, 0))
            return (0..<17).map { i in
                let facing = (r * jawNormals[i]).z > 0
                guard !facing, !lines[i].isEmpty else { return model.landmarks[i] }
                let side: Float = jaw[i].x >= 0 ? 1 : -1
                let best = lines[i].max { side * (r * rest.vertex($0)).x < side * (r * rest.vertex($1)).x }!
                return firstTriangle[best]!
            }
        }
        return DynamicContour(yawDegrees: yawDegrees, embeddings: rows)
    }

    /// For each vertex, an embedding that is exactly that vertex (a triangle using it, weight 1 on its corner).
    static func cornerOfVertex(_ model: MorphableModel) -> [LandmarkEmbedding?] {
        var out = [LandmarkEmbedding?](repeating: nil, count: model.vertexCount)
        for f in 0..<model.triangleCount {
            for corner in 0..<3 {
                let v = Int(model.triangles[3 * f + corner])
                guard out[v] == nil else { continue }
                var b = SIMD3<Float>.zero
                b[corner] = 1
                out[v] = LandmarkEmbedding(triangle: Int32(f), barycentric: b)
            }
        }
        return out
    }
}
