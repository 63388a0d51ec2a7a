import Foundation

/// Facial tension (the paper's Eq. 3): per-vertex compression (> 0) or stretch (< 0) of a mesh S
/// against a reference S' of the same topology,
///
///     t_vᵢ(S, S') = (1/Eᵢ) Σⱼ (e^{k‖e'ⱼ‖} − e^{k‖eⱼ‖}) / (e^{k‖e'ⱼ‖} + e^{k‖eⱼ‖})
///                 = (1/Eᵢ) Σⱼ tanh(k (‖e'ⱼ‖ − ‖eⱼ‖) / 2)
///
/// over the Eᵢ edges at vertex i (eⱼ in S, e'ⱼ in S'). The tanh form is the same number without
/// overflowing exp for long edges. Antisymmetric, t(S', S) = −t(S, S'), and bounded in (−1, 1)
/// (each term is, and the mean of numbers in an open interval stays in it; Float rounds tanh to ±1
/// only for |k Δ| > ~18). For the paper, S = S(β, θ, ψ) and S' = S(β, 0, 0).
public enum Tension {
    /// k in 1/metre: an edge 1 mm shorter than at rest gives a term tanh(0.5) ≈ 0.46.
    public static let defaultScale: Float = 1000

    /// Shapes: `vertices`, `reference` N×3 → N tensions (0 for isolated vertices).
    public static func perVertex(_ vertices: [Float], reference: [Float], edges: MeshEdges, scale k: Float = defaultScale) -> [Float] {
        let current = edges.lengths(vertices), rest = edges.lengths(reference)
        let terms = zip(rest, current).map { r, c in Float(tanhf(k * (r - c) / 2)) }
        let n = vertices.count / 3
        return (0..<n).map { i in
            let lo = Int(edges.start[i]), hi = Int(edges.start[i + 1])
            guard hi > lo else { return 0 }
            var sum: Float = 0
            for e in lo..<hi { sum += terms[Int(edges.incident[e])] }
            return sum / Float(hi - lo)
        }
    }
}

extension FaceEvaluator {
    /// Eq. 3's tension of the evaluated face against S' = S(β, 0, 0) of the same identity.
    public func tension(of output: FaceOutput, code: FaceCode, edges: MeshEdges, scale: Float = Tension.defaultScale) throws -> [Float] {
        let reference = try evaluate(code.neutralExpression)
        return Tension.perVertex(output.vertices, reference: reference.vertices, edges: edges, scale: scale)
    }

    /// The 256×256 UV tension map T_UV(β, θ, ψ) the detail MAE reads.
    public func tensionMap(of output: FaceOutput, code: FaceCode, edges: MeshEdges, size: Int = 256,
                           scale: Float = Tension.defaultScale) throws -> UVMap {
        let t = try tension(of: output, code: code, edges: edges, scale: scale)
        return UVRasterizer.rasterize(t, channels: 1, model: model, size: size)
    }
}
