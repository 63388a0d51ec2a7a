/// The machinery of the paper's silhouette vertex re-projection loss (Eq. 1):
///
///     L_sil = Σ_{i: N_z,i > 0} d(kᵢ, k̃ᵢ) + Σ_{i: N_z,i < 0} min_{v_e ∈ Ṽ_e} d(kᵢ, v_e)
///
/// for the 17 annotated jaw-line landmarks kᵢ: k̃ᵢ are the zero-pose boundary landmarks (the model's
/// landmarks 0–16), visible when the camera-space normal at k̃ᵢ points at the viewer (N_z > 0);
/// Ṽ_e are the silhouette vertices — both ends of every mesh edge whose endpoint normals have
/// opposite camera-space z signs — without the regions of the mask Z (nose, ears; also eyeballs and
/// the mouth interior, whose inner surfaces are never the outline), projected to the image.
public struct Silhouette: Sendable {
    /// Camera-space unit normals R n, N×3.
    public var cameraNormals: [Float]
    /// Ṽ_e: vertex indices of the silhouette vertices.
    public var edgeVertices: [Int]
    /// Their image positions (pixels, y down).
    public var edgePoints: [SIMD2<Float>]
    /// k̃ᵢ projected, i = 0…16.
    public var boundaryLandmarks: [SIMD2<Float>]
    /// N_z at each k̃ᵢ (barycentric blend of vertex normals, camera space).
    public var boundaryNormalZ: [Float]

    /// Whether k̃ᵢ faces the camera (N_z > 0).
    public var boundaryVisible: [Bool] { boundaryNormalZ.map { $0 > 0 } }

    /// The correspondence Eq. 1 assigns to annotated jaw-line landmark i.
    public enum Match: Sendable, Equatable {
        /// Visible: kᵢ pairs with the boundary landmark k̃ᵢ.
        case landmark(Int)
        /// Occluded: kᵢ pairs with the nearest silhouette vertex (a vertex index).
        case vertex(Int)
    }

    /// Correspondences for the annotated points k₀…k₁₆ (image pixels).
    public func matches(_ annotated: [SIMD2<Float>]) -> [Match] {
        annotated.prefix(boundaryLandmarks.count).enumerated().map { i, k in
            if boundaryNormalZ[i] > 0 || edgePoints.isEmpty { return .landmark(i) }
            return .vertex(edgeVertices[nearestEdgePoint(to: k)])
        }
    }

    /// Index into `edgePoints` of the silhouette point nearest to `p`.
    public func nearestEdgePoint(to p: SIMD2<Float>) -> Int {
        var best = 0, bestDistance = Float.infinity
        for (j, q) in edgePoints.enumerated() {
            let d = (q - p) * (q - p)
            if d.sum() < bestDistance { bestDistance = d.sum(); best = j }
        }
        return best
    }

    /// L_sil of Eq. 1 with d the L1 distance |Δx| + |Δy|, in pixels.
    public func loss(_ annotated: [SIMD2<Float>]) -> Float {
        var total: Float = 0
        for (i, k) in annotated.prefix(boundaryLandmarks.count).enumerated() {
            let target = boundaryNormalZ[i] > 0 || edgePoints.isEmpty ? boundaryLandmarks[i] : edgePoints[nearestEdgePoint(to: k)]
            total += abs(k.x - target.x) + abs(k.y - target.y)
        }
        return total
    }
}

extension MorphableModel {
    /// The surface point behind a silhouette correspondence, for `FaceEvaluator.jacobian(of:)`.
    public func combination(_ match: Silhouette.Match) -> SurfaceCombination {
        switch match {
        case .landmark(let i): return combination(landmarks[i])
        case .vertex(let v): return .vertex(v)
        }
    }

    /// Eq. 1's mask Z per vertex: false for the nose and ears (and eyeballs, mouth interior, teeth,
    /// tongue).
    public var silhouetteMask: [Bool] {
        guard vertexRegions.count == vertexCount else { return [Bool](repeating: true, count: vertexCount) }
        return vertexRegions.map { ![.nose, .ears, .eyeballs, .mouthInterior, .teeth, .tongue].contains($0) }
    }
}

extension FaceEvaluator {
    /// The silhouette of an evaluated face seen through `camera` (Eq. 1).
    public func silhouette(_ output: FaceOutput, camera: OrthoCamera, edges: MeshEdges, mask: [Bool]? = nil) -> Silhouette {
        let mask = mask ?? model.silhouetteMask
        let r = camera.rotation
        var normals = [Float](repeating: 0, count: output.normals.count)
        for i in 0..<(normals.count / 3) {
            let n = r * output.normal(i)
            normals[3 * i] = n.x; normals[3 * i + 1] = n.y; normals[3 * i + 2] = n.z
        }
        var isEdge = [Bool](repeating: false, count: normals.count / 3)
        for e in 0..<edges.count {
            let a = Int(edges.endpoints[2 * e]), b = Int(edges.endpoints[2 * e + 1])
            if normals[3 * a + 2] * normals[3 * b + 2] < 0 { isEdge[a] = true; isEdge[b] = true }
        }
        let vertices = isEdge.indices.filter { isEdge[$0] && mask[$0] }
        let boundary = model.landmarks.prefix(17)
        return Silhouette(
            cameraNormals: normals, edgeVertices: vertices, edgePoints: vertices.map { camera.project(output.vertex($0)) },
            boundaryLandmarks: boundary.indices.map { camera.project(output.landmarks[$0]) },
            boundaryNormalZ: boundary.map { e in
                let f = 3 * Int(e.triangle)
                return (0..<3).reduce(Float(0)) { $0 + e.barycentric[$1] * normals[3 * Int(model.triangles[f + $1]) + 2] }
            })
    }
}
