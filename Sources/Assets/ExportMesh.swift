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
