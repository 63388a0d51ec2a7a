import Foundation

/// Loads ICT-FaceKit (MIT) from its original `FaceXModel/` folder: `generic_neutral_mesh.obj`,
/// `identityNNN.obj` (PCA identity modes at +1σ), ARKit-named expression OBJs listed in
/// `vertex_indices.json` (whichever of them are present), and the 68 landmark vertex ids.
/// Units: centimetres in the files, metres in the model. Bases are deltas from the neutral mesh.
///
/// ICT has no skeleton: the model gets one root joint ("global") at the centroid of the face area,
/// every vertex fully skinned to it; the jaw moves through the `jawOpen` blendshape.
/// Regions follow the README's vertex ranges; nose and ears, which the README does not delimit, are
/// labelled geometrically (see `labelNoseAndEars`).
public enum ICTFaceKitImporter {
    /// The face area: vertices 0–9408, polygons 0–9229 (README, "Face Area Details").
    public static let faceVertexCount = 9409

    public static func load(_ folder: URL, faceOnly: Bool = false, maxIdentities: Int? = nil) throws -> MorphableModel {
        let indicesURL = folder.appendingPathComponent("vertex_indices.json")
        guard FileManager.default.fileExists(atPath: indicesURL.path) else {
            throw FaceModelError.missingEntry(path: folder.path, entry: "vertex_indices.json (is it ICT-FaceKit's FaceXModel folder?)")
        }
        let json: [String: Any]
        do {
            json = try (JSONSerialization.jsonObject(with: Data(contentsOf: indicesURL)) as? [String: Any]) ?? [:]
        } catch {
            throw FaceModelError.unreadableFile(path: indicesURL.path, reason: error.localizedDescription)
        }
        guard let expressionList = json["expressions"] as? [String], let landmarkIds = json["idx_to_landmark_verts"] as? [Int],
              landmarkIds.count == 68 else {
            throw FaceModelError.missingEntry(path: indicesURL.path, entry: "'expressions' and 68 'idx_to_landmark_verts'")
        }
        let neutralURL = folder.appendingPathComponent("generic_neutral_mesh.obj")
        guard FileManager.default.fileExists(atPath: neutralURL.path) else {
            throw FaceModelError.missingEntry(path: folder.path, entry: "generic_neutral_mesh.obj")
        }
        var neutral = try ObjMesh(contentsOf: neutralURL)
        if faceOnly { neutral = restrict(neutral, to: faceVertexCount) }
        let n = neutral.positions.count / 3
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var identityFiles = files.filter { $0.hasPrefix("identity") && $0.hasSuffix(".obj") }.sorted()
        if let maxIdentities { identityFiles = Array(identityFiles.prefix(maxIdentities)) }
        let expressionNames = expressionList.filter { files.contains($0 + ".obj") }
        let identity = try basis(identityFiles.map { folder.appendingPathComponent($0) }, neutral: neutral.positions)
        let expression = try basis(expressionNames.map { folder.appendingPathComponent($0 + ".obj") }, neutral: neutral.positions)
        let template = neutral.positions.map { $0 * 0.01 }
        let faceArea = min(n, faceVertexCount)
        var regressor = [Float](repeating: 0, count: n)
        for i in 0..<faceArea { regressor[i] = 1 / Float(faceArea) }
        var model = MorphableModel(
            info: ModelInfo(name: "ICT-FaceKit", version: faceOnly ? "light-face-area" : "light", contentHash: "",
                            licence: "MIT (ICT-FaceKit, USC Institute for Creative Technologies)", source: folder.path),
            template: template, triangles: neutral.triangles, uvs: neutral.uvs, uvTriangles: neutral.uvTriangles,
            identityBasis: identity, identityCount: identityFiles.count, expressionBasis: expression,
            expressionNames: expressionNames, joints: [Joint(name: "global", parent: -1)], jointRegressor: regressor,
            skinWeights: [Float](repeating: 1, count: n), poseCorrectives: [], landmarks: [], dynamicContour: nil,
            vertexRegions: [])
        model.landmarks = try landmarkIds.map { try embedding(ofVertex: $0, in: model) }
        model.vertexRegions = regions(model, landmarkIds: landmarkIds)
        model.info.contentHash = ContentHash.of(model)
        try model.validate()
        return model
    }

    /// (3N)×K deltas (metres) of the given OBJs from the neutral positions (centimetres).
    static func basis(_ urls: [URL], neutral: [Float]) throws -> [Float] {
        let k = urls.count
        var out = [Float](repeating: 0, count: neutral.count * k)
        for (column, url) in urls.enumerated() {
            let mesh = try ObjMesh(contentsOf: url)
            guard mesh.positions.count >= neutral.count else {
                throw FaceModelError.inconsistentModel("\(url.lastPathComponent) has \(mesh.positions.count / 3) vertices, the neutral mesh \(neutral.count / 3)")
            }
            for r in 0..<neutral.count { out[r * k + column] = (mesh.positions[r] - neutral[r]) * 0.01 }
        }
        return out
    }

    /// The mesh cut to its first `count` vertices and the triangles among them.
    static func restrict(_ mesh: ObjMesh, to count: Int) -> ObjMesh {
        var out = mesh
        out.positions = Array(mesh.positions.prefix(3 * count))
        out.triangles = []
        out.uvTriangles = []
        for f in stride(from: 0, to: mesh.triangles.count, by: 3) where (0..<3).allSatisfy({ mesh.triangles[f + $0] < count }) {
            out.triangles += mesh.triangles[f..<(f + 3)]
            if !mesh.uvTriangles.isEmpty { out.uvTriangles += mesh.uvTriangles[f..<(f + 3)] }
        }
        return out
    }

    /// A landmark at a vertex: the first triangle using it, barycentric weight 1 on that corner.
    static func embedding(ofVertex v: Int, in model: MorphableModel) throws -> LandmarkEmbedding {
        for f in 0..<model.triangleCount {
            for c in 0..<3 where model.triangles[3 * f + c] == Int32(v) {
                var b = SIMD3<Float>.zero
                b[c] = 1
                return LandmarkEmbedding(triangle: Int32(f), barycentric: b)
            }
        }
        throw FaceModelError.inconsistentModel("landmark vertex \(v) is on no triangle")
    }

    /// Labels from the README's ranges (face 0–9408, head and neck 9409–11247, mouth socket, gums,
    /// teeth → mouth interior, eye sockets, eyeballs and eye dressing → eyeballs), then
    /// `labelNoseAndEars`, lips and eyes around their landmarks.
    static func regions(_ model: MorphableModel, landmarkIds: [Int]) -> [FaceRegion] {
        let n = model.vertexCount
        var labels = (0..<n).map { i -> FaceRegion in
            switch i {
            case 0..<9409: return .face
            case 9409..<11248: return i < 11248 && model.template[3 * i + 1] < -0.12 ? .neck : .scalp
            case 11248..<13294, 14062..<21451: return .mouthInterior
            default: return .eyeballs
            }
        }
        labelNoseAndEars(&labels, model: model, landmarkIds: landmarkIds)
        return labels
    }

    /// Nose: face vertices in front of the cheeks inside the box spanned by the nose landmarks
    /// 27–35 (±1 cm sideways, 0.8 cm below the nostrils). Ears: vertices more than 7.6 cm off the
    /// mid-plane between brow height and 2.5 cm below the nose, behind the face's front.
    /// Approximations: ICT's README gives no nose/ear ranges.
    static func labelNoseAndEars(_ labels: inout [FaceRegion], model: MorphableModel, landmarkIds: [Int]) {
        func p(_ i: Int) -> SIMD3<Float> { SIMD3(model.template[3 * i], model.template[3 * i + 1], model.template[3 * i + 2]) }
        let nose = landmarkIds[27...35].map(p)
        let halfWidth = nose.map { abs($0.x) }.max()! + 0.01
        let bottom = nose.map(\.y).min()! - 0.008, top = nose.map(\.y).max()!
        let front = nose.map(\.z).min()! - 0.015
        let brow = landmarkIds[17...26].map { p($0).y }.max()!
        for i in 0..<min(labels.count, 11248) {
            let v = p(i)
            if i < 9409, abs(v.x) <= halfWidth, v.y >= bottom, v.y <= top, v.z >= front { labels[i] = .nose }
            if abs(v.x) > 0.076, v.y < brow, v.y > bottom - 0.025, v.z < 0.035 { labels[i] = .ears }
        }
    }
}
