import Foundation
import Imaging

/// What the head's glTF material carries besides its base colour, added to the GLB after assimp
/// (whose exporter has no way to pass an embedded normal map or `extras` through `aiScene`): the
/// JSON chunk is edited and the image appended to the BIN chunk, as `GLBAnimation` does.
///
/// - `normalMap`: an 8-bit RGB tangent-space normal map (glTF 2.0 §3.9.3: n = 2·rgb − 1, +X = +u,
///   +Y = +v, +Z out of the surface; `Render.TextureMap.normalMap` bakes one from a displacement
///   map), embedded as a PNG image (buffer view, image, texture with a trilinear sampler) and named
///   by every material of the meshes as `normalTexture: {index, texCoord: 0}`. Engines without
///   TANGENT attributes derive tangents with MikkTSpace, as the spec says, matching the frame the
///   normal map is baked in.
/// - `materialExtras`, `rootExtras`: string members merged into the materials' and the document's
///   `extras` (e.g. `"likeness_wrinkles": "wrinkles.json"`, pointing at the wrinkle rig).
public struct GLBMaterialDetails: Sendable {
    public var normalMap: Image?
    public var materialExtras: [String: String]
    public var rootExtras: [String: String]

    public init(normalMap: Image? = nil, materialExtras: [String: String] = [:], rootExtras: [String: String] = [:]) {
        self.normalMap = normalMap
        self.materialExtras = materialExtras
        self.rootExtras = rootExtras
    }

    /// Nothing to add.
    public var isEmpty: Bool { normalMap == nil && materialExtras.isEmpty && rootExtras.isEmpty }

    /// glTF sampler filters: LINEAR magnification, LINEAR_MIPMAP_LINEAR minification.
    static let trilinearSampler: [String: Any] = ["magFilter": 9729, "minFilter": 9987]

    /// Rewrites the GLB at `url` with the details added.
    public func add(to url: URL) throws {
        guard !isEmpty else { return }
        if let map = normalMap, map.channels != 3 {
            throw ExportError.unsuitableModel("a normal map has 3 channels (RGB), this one \(map.channels)")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ExportError.readFailed(path: url.path, reason: "\(error)") }
        var (json, bin) = try GLBAnimation.split(data)
        var normalTexture: [String: Any]?
        if let map = normalMap {
            normalTexture = ["index": try appendTexture(PNGEncoder.encode(map), name: "normal.png", json: &json, bin: &bin),
                             "texCoord": 0]
        }
        try addToMaterials(&json, normalTexture: normalTexture)
        if !rootExtras.isEmpty { json["extras"] = Self.merged(json["extras"], rootExtras) }
        do { try GLBAnimation.write(json, bin: bin, to: url) } catch {
            throw ExportError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// Appends `png` as an embedded image with its own sampler and texture; returns the texture index.
    func appendTexture(_ png: Data, name: String, json: inout [String: Any], bin: inout Data) throws -> Int {
        var bufferViews = json["bufferViews"] as? [[String: Any]] ?? []
        let view = GLBAnimation.appendView(png, bin: &bin, bufferViews: &bufferViews)
        json["bufferViews"] = bufferViews
        func appended(_ key: String, _ entry: [String: Any]) -> Int {
            var list = json[key] as? [[String: Any]] ?? []
            list.append(entry)
            json[key] = list
            return list.count - 1
        }
        let image = appended("images", ["name": name, "bufferView": view, "mimeType": "image/png"])
        let sampler = appended("samplers", Self.trilinearSampler)
        return appended("textures", ["source": image, "sampler": sampler])
    }

    /// Sets `normalTexture` and merges `materialExtras` on every material a mesh primitive names.
    func addToMaterials(_ json: inout [String: Any], normalTexture: [String: Any]?) throws {
        guard var materials = json["materials"] as? [[String: Any]], let meshes = json["meshes"] as? [[String: Any]] else {
            throw GLBAnimation.Error.notGLB("no materials or meshes")
        }
        let used = Set(meshes.flatMap { ($0["primitives"] as? [[String: Any]] ?? []).compactMap { $0["material"] as? Int } })
        guard !used.isEmpty, used.allSatisfy(materials.indices.contains) else {
            throw GLBAnimation.Error.notGLB("the primitives name no material of the file")
        }
        for m in used {
            if let normalTexture { materials[m]["normalTexture"] = normalTexture }
            if !materialExtras.isEmpty { materials[m]["extras"] = Self.merged(materials[m]["extras"], materialExtras) }
        }
        json["materials"] = materials
    }

    /// An `extras` value with `members` added (extras that are not an object are replaced).
    static func merged(_ extras: Any?, _ members: [String: String]) -> [String: Any] {
        var object = extras as? [String: Any] ?? [:]
        for (key, value) in members { object[key] = value }
        return object
    }
}
