import FaceModel

/// How jaw-line landmark i (0–16) was matched to the model in the last iteration of a fit.
public enum BoundaryMatch: Sendable, Equatable, Codable {
    /// Eq. 1, visible (N_z > 0 at k̃ᵢ): the zero-pose boundary landmark itself.
    case landmark
    /// Eq. 1, occluded: the nearest projected silhouette vertex (a model vertex index).
    case silhouetteVertex(Int)
    /// Landmark marching: the embedding of this row of the dynamic contour table.
    case contour(row: Int)
}

/// Picks the model points the 17 detected jaw-line landmarks pair with, re-selected at every
/// iteration of a fit.
///
/// `.silhouette` implements Eq. 1's correspondences:
///
///     L_sil = Σ_{i, N_z,i > 0} d(kᵢ, k̃ᵢ) + Σ_{i, N_z,i < 0} min_{v_e ∈ Ṽ_e} d(kᵢ, v_e)
///
/// with N_z,i the camera-space normal's z at k̃ᵢ and Ṽ_e the silhouette vertices (ends of mesh edges
/// whose endpoint normals have opposite z signs, nose and ears removed by the mask Z), using
/// FaceModel's `Silhouette`. `.marching` uses FLAME's dynamic contour for the head's yaw.
public struct BoundaryCorrespondence: Sendable {
    public let mode: BoundaryMode
    let edges: MeshEdges
    let mask: [Bool]

    public init(model: MorphableModel, mode: BoundaryMode) {
        self.mode = mode
        edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
        mask = model.silhouetteMask
    }

    /// The surface point and match of each jaw-line landmark.
    public func select(_ evaluator: FaceEvaluator, output: FaceOutput, camera: OrthoCamera,
                targets: [SIMD2<Float>]) -> [(SurfaceCombination, BoundaryMatch)] {
        let model = evaluator.model
        switch mode {
        case .marching:
            let embeddings = evaluator.marchedEmbeddings(output)
            let row = evaluator.marchedLandmarks(output).row ?? 0
            return (0..<17).map { (model.combination(embeddings[$0]), .contour(row: row)) }
        case .silhouette:
            let silhouette = evaluator.silhouette(output, camera: camera, edges: edges, mask: mask)
            return silhouette.matches(Array(targets.prefix(17))).enumerated().map { i, match in
                switch match {
                case .landmark: return (model.combination(model.landmarks[i]), .landmark)
                case let .vertex(v): return (.vertex(v), .silhouetteVertex(v))
                }
            }
        }
    }
}
