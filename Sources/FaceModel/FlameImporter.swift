import Foundation

/// Loads FLAME from the `.npz` that `Scripts/flame_to_npz.py` writes from a user's own
/// `generic_model.pkl` (keys v_template, shapedirs, posedirs, J_regressor, weights, kintree_table, f,
/// shape_count), with — in the same file or in extra `.npz` files — the DECA landmark embedding
/// (static_lmk_* for landmarks 17–67, dynamic_lmk_* contour tables for 0–16 by yaw),
/// `mask_<region>` vertex lists from FLAME_masks.pkl and `vt`/`ft` UVs; a `head_template.obj`
/// can be given instead of `vt`/`ft`.
public enum FlameImporter {
    /// FLAME's joints in kinematic order.
    public static let jointNames = ["global", "neck", "jaw", "eye_left", "eye_right"]

    public static func load(_ url: URL, extras: [URL] = [], identityCount: Int? = nil) throws -> MorphableModel {
        let main = try NpzFile(contentsOf: url)
        var sources = [main]
        var uvMesh: ObjMesh?
        for extra in extras {
            if extra.pathExtension.lowercased() == "obj" { uvMesh = try ObjMesh(contentsOf: extra) } else {
                sources.append(try NpzFile(contentsOf: extra))
            }
        }
        let arrays = KeyedArrays(files: sources, path: url.path)
        var model = try core(arrays, identityCount: identityCount, path: url.path)
        try addUVs(&model, arrays, uvMesh)
        try addLandmarks(&model, arrays)
        model.vertexRegions = try regions(arrays, vertexCount: model.vertexCount)
        model.info = ModelInfo(name: "FLAME", version: url.deletingPathExtension().lastPathComponent,
                               contentHash: ContentHash.of(model), licence: "FLAME licence (MPI, non-commercial; not redistributable)",
                               source: url.path)
        try model.validate()
        return model
    }

    /// Geometry, bases, skeleton and skinning.
    static func core(_ a: KeyedArrays, identityCount: Int?, path: String) throws -> MorphableModel {
        let template = try a.array("v_template", shape: [-1, 3])
        let n = template.shape[0]
        let faces = try a.array("f", shape: [-1, 3])
        let shapedirs = try a.array("shapedirs", shape: [n, 3, -1])
        let total = shapedirs.shape[2]
        let kb = try identityCount ?? a.optional("shape_count").map { $0.integers[0] } ?? (total == 400 ? 300 : {
            throw FaceModelError.inconsistentModel("shapedirs has \(total) modes and the file has no shape_count: say how many are identity modes")
        }())
        guard kb >= 0, kb <= total else { throw FaceModelError.inconsistentModel("shape_count \(kb) exceeds the \(total) modes") }
        let ke = total - kb
        var identity = [Float](repeating: 0, count: 3 * n * kb), expression = [Float](repeating: 0, count: 3 * n * ke)
        for row in 0..<(3 * n) {
            for k in 0..<kb { identity[row * kb + k] = shapedirs.floats[row * total + k] }
            for k in 0..<ke { expression[row * ke + k] = shapedirs.floats[row * total + kb + k] }
        }
        let kintree = try a.array("kintree_table", shape: [2, -1])
        let jc = kintree.shape[1]
        let joints = (0..<jc).map { j -> Joint in
            let parent = kintree.integers[j]
            return Joint(name: jc == jointNames.count ? jointNames[j] : "joint\(j)", parent: parent < 0 || parent > jc ? -1 : parent)
        }
        let regressor = try a.array("J_regressor", shape: [jc, n])
        let weights = try a.array("weights", shape: [n, jc])
        let posedirs = try a.optional("posedirs")
        if let p = posedirs, p.count != 3 * n * 9 * (jc - 1) {
            throw FaceModelError.inconsistentModel("posedirs has shape \(p.shape), expected (\(n), 3, \(9 * (jc - 1)))")
        }
        return MorphableModel(
            info: ModelInfo(name: "FLAME", version: "", contentHash: "", licence: "", source: path),
            template: template.floats, triangles: faces.integers.map { Int32($0) }, uvs: [], uvTriangles: [],
            identityBasis: identity, identityCount: kb, expressionBasis: expression,
            expressionNames: (0..<ke).map { "expression\($0)" }, joints: joints,
            jointRegressor: regressor.floats, skinWeights: weights.floats, poseCorrectives: posedirs?.floats ?? [],
            landmarks: [], dynamicContour: nil, vertexRegions: [])
    }

    static func addUVs(_ model: inout MorphableModel, _ a: KeyedArrays, _ obj: ObjMesh?) throws {
        if let obj {
            guard obj.uvTriangles.count == model.triangles.count else {
                throw FaceModelError.inconsistentModel("the UV template has \(obj.uvTriangles.count / 3) textured faces, the model \(model.triangleCount)")
            }
            model.uvs = obj.uvs
            model.uvTriangles = obj.uvTriangles
        } else if let vt = try a.optional("vt"), let ft = try a.optional("ft") {
            model.uvs = vt.floats
            model.uvTriangles = ft.integers.map { Int32($0) }
        }
    }

    /// Landmarks 0–16: the dynamic contour at yaw 0 (the zero-pose boundary landmarks k̃ᵢ);
    /// 17–67: the static embedding. Without dynamic tables, DECA's full 68-point embedding.
    static func addLandmarks(_ model: inout MorphableModel, _ a: KeyedArrays) throws {
        var contour: DynamicContour?
        if let faces = try a.optional("dynamic_lmk_faces_idx"), let bary = try a.optional("dynamic_lmk_bary_coords") {
            let rows = faces.shape[0]
            guard faces.shape == [rows, 17], bary.shape == [rows, 17, 3], rows % 2 == 1 else {
                throw FaceModelError.inconsistentModel("dynamic contour tables have shapes \(faces.shape), \(bary.shape)")
            }
            // DECA's rows: yaw 0…m degrees, then −1…−m (m = 39 for FLAME).
            let m = rows / 2
            let yaws = (0...m).map(Float.init) + (1...max(m, 1)).prefix(m).map { -Float($0) }
            contour = DynamicContour(yawDegrees: yaws, embeddings: (0..<rows).map { r in
                embeddings(faces.integers[(17 * r)..<(17 * r + 17)], bary.floats[(51 * r)..<(51 * r + 51)])
            })
        }
        var landmarks: [LandmarkEmbedding] = []
        if let faces = try a.optional("static_lmk_faces_idx"), let bary = try a.optional("static_lmk_bary_coords"),
           faces.count == 51, let zeroPose = contour?.embeddings[0] {
            landmarks = zeroPose + embeddings(faces.integers[...], bary.floats[...])
        } else if let faces = try a.optional("full_lmk_faces_idx"), let bary = try a.optional("full_lmk_bary_coords"), faces.count == 68 {
            landmarks = embeddings(faces.integers[...], bary.floats[...])
        }
        model.landmarks = landmarks
        model.dynamicContour = contour
    }

    static func embeddings(_ faces: ArraySlice<Int>, _ bary: ArraySlice<Float>) -> [LandmarkEmbedding] {
        let b = Array(bary)
        return faces.enumerated().map { k, f in
            LandmarkEmbedding(triangle: Int32(f), barycentric: SIMD3(b[3 * k], b[3 * k + 1], b[3 * k + 2]))
        }
    }

    /// FLAME_masks → one label per vertex; later rules win (eyeballs over eye region over face).
    static func regions(_ a: KeyedArrays, vertexCount n: Int) throws -> [FaceRegion] {
        let order: [(String, FaceRegion)] = [
            ("scalp", .scalp), ("neck", .neck), ("boundary", .neck), ("face", .face), ("forehead", .face),
            ("eye_region", .eyes), ("left_eye_region", .eyes), ("right_eye_region", .eyes), ("lips", .lips),
            ("nose", .nose), ("left_ear", .ears), ("right_ear", .ears), ("left_eyeball", .eyeballs), ("right_eyeball", .eyeballs),
        ]
        var labels = [FaceRegion](repeating: .scalp, count: n)
        var any = false
        for (name, region) in order {
            guard let mask = try a.optional("mask_" + name) else { continue }
            any = true
            for v in mask.integers where v >= 0 && v < n { labels[v] = region }
        }
        return any ? labels : []
    }
}

/// Arrays looked up by key across several `.npz` files (the first file holding a key wins).
struct KeyedArrays {
    let files: [NpzFile]
    let path: String

    func optional(_ key: String) throws -> NumpyArray? {
        for f in files where f.contains(key) { return try f.array(key) }
        return nil
    }

    /// A required array whose shape matches `shape` (−1 = any size).
    func array(_ key: String, shape: [Int]) throws -> NumpyArray {
        guard let a = try optional(key) else { throw FaceModelError.missingEntry(path: path, entry: "array '\(key)'") }
        guard a.shape.count == shape.count, zip(a.shape, shape).allSatisfy({ $1 < 0 || $0 == $1 }) else {
            throw FaceModelError.inconsistentModel("'\(key)' has shape \(a.shape), expected \(shape.map { $0 < 0 ? "*" : String($0) })")
        }
        return a
    }
}
