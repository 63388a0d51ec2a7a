import FaceModel

/// A model's mesh laid out for formats with one UV per vertex (glTF): every distinct (vertex, UV
/// coordinates) pair of the per-corner UVs becomes its own vertex, so seams split vertices (UV
/// entries with equal coordinates share one, as assimp's enforced JoinIdenticalVertices would).
///
/// Shapes: `positions`, `normals` V×3, `uvs` V×2 in the model's (and assimp's `aiScene`) OpenGL
/// convention, v = 0 at the BOTTOM of the image: assimp's glTF2 exporter flips v into glTF's
/// top-down convention itself (and its importer flips it back), so flipping here as well turned
/// the texture upside down in the GLB. `indices` F×3, `sourceVertex` V (the model vertex of each).
public struct ExportMesh: Sendable {
    public var positions: [Float]
    public var normals: [Float]
    public var uvs: [Float]
    public var indices: [UInt32]
    public var sourceVertex: [Int]
    /// One entry per expression: absolute positions V×3 of the base with that blendshape at weight 1.
    public var targetPositions: [[Float]]
    public var targetNormals: [[Float]]
    public var targetNames: [String]
    /// The model's joints and LBS weights as a glTF skin (nil when the model has no skeleton).
    public var skin: Skin?

    public var vertexCount: Int { sourceVertex.count }

    /// The mesh of S(β, 0, 0) for `identity` (default: the template) with every expression as a target.
    public init(model: MorphableModel, identity: [Float] = [], includeTargets: Bool = true) throws {
        let hasUVs = try ExportMesh.checkTopology(model)
        struct Key: Hashable { var vertex: Int, u: UInt32, v: UInt32 }
        var key = [Key: UInt32]()
        var source = [Int](), uvIndex = [Int]()
        indices = model.triangles.indices.map { corner in
            let v = Int(model.triangles[corner]), t = hasUVs ? Int(model.uvTriangles[corner]) : -1
            let k = t < 0 ? Key(vertex: v, u: 0, v: 0)
                : Key(vertex: v, u: model.uvs[2 * t].bitPattern, v: model.uvs[2 * t + 1].bitPattern)
            if let existing = key[k] { return existing }
            key[k] = UInt32(source.count)
            source.append(v)
            uvIndex.append(t)
            return UInt32(source.count - 1)
        }
        sourceVertex = source
        let base = try model.restShape(identity: identity)
        positions = ExportMesh.gather(base, source)
        normals = ExportMesh.gather(vertexNormals(base, triangles: model.triangles), source)
        uvs = hasUVs ? uvIndex.flatMap { [model.uvs[2 * $0], model.uvs[2 * $0 + 1]] } : []
        skin = try Skin(model: model, restShape: base, sourceVertex: source)
        targetPositions = []
        targetNormals = []
        targetNames = []
        guard includeTargets else { return }
        for (k, name) in model.expressionNames.enumerated() {
            var shifted = base
            let kCount = model.expressionCount
            for r in 0..<shifted.count { shifted[r] += model.expressionBasis[r * kCount + k] }
            targetPositions.append(ExportMesh.gather(shifted, source))
            targetNormals.append(ExportMesh.gather(vertexNormals(shifted, triangles: model.triangles), source))
            targetNames.append(name)
        }
    }

    /// The skeleton of linear blend skinning as glTF carries it: joint j rests at J_j(β) = R_J·S₀(β)
    /// (mesh space) and its inverse bind matrix is the translation by −J_j, so a joint rotated by
    /// R about its rest position moves vertex v to Σⱼ wᵥⱼ (R_j (v − J_j) + J_j) along the chain —
    /// `FaceEvaluator`'s LBS with offsets aⱼ = posed_j − R^G_j J_j. glTF applies the morph targets
    /// before the skin, as the model adds B_exp ψ before skinning. JOINTS_0/WEIGHTS_0 hold four
    /// joints per vertex: each vertex keeps its four largest weights, renormalised to sum to 1.
    /// Pose correctives (B_pose, FLAME's) have no glTF form and are left out.
    public struct Skin: Sendable, Equatable {
        public var jointNames: [String]
        /// Parent of each joint, −1 for the root.
        public var parents: [Int]
        /// J×3 rest positions.
        public var restPositions: [Float]
        /// V×4 joint indices and weights of the export vertices (unused slots: joint 0, weight 0).
        public var joints: [UInt32]
        public var weights: [Float]

        /// nil for a model without joints or skinning weights.
        init?(model: MorphableModel, restShape: [Float], sourceVertex: [Int]) throws {
            let count = model.joints.count
            guard count > 0, model.skinWeights.count == model.vertexCount * count,
                  model.jointRegressor.count == model.vertexCount * count else { return nil }
            jointNames = model.joints.map(\.name)
            guard Set(jointNames).count == count, !jointNames.contains(where: { $0.isEmpty || $0 == "face" }) else {
                throw ExportError.unsuitableModel("its joint names must be unique, not empty and not \"face\" (the mesh's node): \(jointNames)")
            }
            parents = model.joints.map(\.parent)
            restPositions = model.restJoints(of: restShape).flatMap { [$0.x, $0.y, $0.z] }
            joints = []
            weights = []
            joints.reserveCapacity(4 * sourceVertex.count)
            weights.reserveCapacity(4 * sourceVertex.count)
            for v in sourceVertex {
                let row = model.skinWeights[(v * count)..<((v + 1) * count)]
                let largest = row.indices.filter { row[$0] > 0 }.sorted { (row[$1], $0) < (row[$0], $1) }.prefix(4)
                let total = largest.reduce(Float(0)) { $0 + row[$1] }
                guard total > 0 else { throw ExportError.unsuitableModel("vertex \(v) has no skinning weight") }
                for slot in 0..<4 {
                    let j = slot < largest.count ? largest[largest.startIndex + slot] : -1
                    joints.append(j < 0 ? 0 : UInt32(j - row.startIndex))
                    weights.append(j < 0 ? 0 : row[j] / total)
                }
            }
        }
    }

    /// Throws unless triangles and UV corners index existing vertices and UVs; returns whether the
    /// model has per-corner UVs.
    static func checkTopology(_ model: MorphableModel) throws -> Bool {
        guard model.triangleCount > 0 else { throw ExportError.unsuitableModel("it has no triangles") }
        guard model.triangles.allSatisfy({ $0 >= 0 && Int($0) < model.vertexCount }) else {
            throw ExportError.unsuitableModel("a triangle names a missing vertex")
        }
        let hasUVs = model.uvTriangles.count == model.triangles.count && !model.uvs.isEmpty
        guard !hasUVs || model.uvTriangles.allSatisfy({ $0 >= 0 && Int($0) < model.uvs.count / 2 }) else {
            throw ExportError.unsuitableModel("a UV corner names a missing UV")
        }
        return hasUVs
    }

    static func gather(_ values: [Float], _ source: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * source.count)
        for (i, v) in source.enumerated() { for c in 0..<3 { out[3 * i + c] = values[3 * v + c] } }
        return out
    }
}
