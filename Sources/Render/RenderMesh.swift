import FaceModel

/// A triangle mesh as the renderer sees it, in `MorphableModel`'s conventions: flat row-major
/// arrays, metres, +y up, +z towards the viewer, triangles counter-clockwise seen from outside.
///
/// Shapes: `positions` N×3, `triangles` F×3 (vertex indices), `uvs` U×2 in [0, 1] with v = 0 at
/// the bottom of the texture, `uvTriangles` F×3 (per-corner UV indices, so seams are allowed).
/// The topology (everything but `positions`) is fixed during a fit; positions change per step.
public struct RenderMesh: Sendable {
    public var positions: [Float]
    public let triangles: [Int32]
    public let uvs: [Float]
    public let uvTriangles: [Int32]

    public var vertexCount: Int { positions.count / 3 }
    public var triangleCount: Int { triangles.count / 3 }

    /// Validates shapes and index ranges; throws `RenderError.invalidMesh` on bad input.
    public init(positions: [Float], triangles: [Int32], uvs: [Float], uvTriangles: [Int32]) throws {
        guard positions.count % 3 == 0, !positions.isEmpty else {
            throw RenderError.invalidMesh("positions must be a non-empty N×3 array (got \(positions.count) values)")
        }
        guard triangles.count % 3 == 0, !triangles.isEmpty else {
            throw RenderError.invalidMesh("triangles must be a non-empty F×3 array (got \(triangles.count) values)")
        }
        guard uvs.count % 2 == 0, !uvs.isEmpty else {
            throw RenderError.invalidMesh("uvs must be a non-empty U×2 array (got \(uvs.count) values)")
        }
        guard uvTriangles.count == triangles.count else {
            throw RenderError.invalidMesh("uvTriangles has \(uvTriangles.count) entries, triangles \(triangles.count)")
        }
        let n = Int32(positions.count / 3), u = Int32(uvs.count / 2)
        if let bad = triangles.first(where: { $0 < 0 || $0 >= n }) {
            throw RenderError.invalidMesh("triangle vertex index \(bad) outside 0..<\(n)")
        }
        if let bad = uvTriangles.first(where: { $0 < 0 || $0 >= u }) {
            throw RenderError.invalidMesh("triangle UV index \(bad) outside 0..<\(u)")
        }
        if !positions.allSatisfy(\.isFinite) || !uvs.allSatisfy(\.isFinite) {
            throw RenderError.invalidMesh("positions and uvs must be finite")
        }
        self.positions = positions
        self.triangles = triangles
        self.uvs = uvs
        self.uvTriangles = uvTriangles
    }

    /// The model's topology with the given posed positions (default: the neutral template).
    public init(model: MorphableModel, positions: [Float]? = nil) throws {
        try self.init(positions: positions ?? model.template, triangles: model.triangles,
                      uvs: model.uvs, uvTriangles: model.uvTriangles)
    }

    /// Replaces the positions (same vertex count), throwing on a shape mismatch.
    public mutating func setPositions(_ newPositions: [Float]) throws {
        guard newPositions.count == positions.count else {
            throw RenderError.invalidMesh("expected \(positions.count) position values, got \(newPositions.count)")
        }
        positions = newPositions
    }

    /// Surface points Σₖ bₖ v_{tₖ} of embeddings (e.g. the 68 landmarks), flat K×3; embeddings
    /// whose triangle is out of range are skipped.
    public func surfacePoints(_ embeddings: [LandmarkEmbedding]) -> [Float] {
        embeddings.filter { $0.triangle >= 0 && Int($0.triangle) < triangleCount }.flatMap { e -> [Float] in
            var point = SIMD3<Float>(0, 0, 0)
            for k in 0..<3 { point += e.barycentric[k] * position(Int(triangles[3 * Int(e.triangle) + k])) }
            return [point.x, point.y, point.z]
        }
    }

    @inlinable func position(_ i: Int) -> SIMD3<Float> {
        SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2])
    }
}

/// Errors the renderer reports for bad input; messages are meant for users.
public enum RenderError: Error, Equatable, CustomStringConvertible {
    case invalidMesh(String)
    case invalidTexture(String)
    case invalidImageSize(width: Int, height: Int)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .invalidMesh(let why): return "invalid mesh: \(why)"
        case .invalidTexture(let why): return "invalid texture: \(why)"
        case .invalidImageSize(let w, let h): return "invalid render size \(w)×\(h) (each side must be 1...8192)"
        case .shapeMismatch(let why): return "shape mismatch: \(why)"
        }
    }
}
