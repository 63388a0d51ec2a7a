import FaceModel
import Foundation
import Imaging

/// Wavefront OBJ with UVs and normals: `v` per model vertex, `vt` per UV (model convention,
/// v = 0 at the bottom, as OBJ expects), `vn` per vertex, faces `v/vt/vn`; plus an `.mtl` naming
/// the texture when one is given (written as PNG next to the OBJ). Blendshapes are not part of OBJ.
/// A tangent-space normal map (8-bit RGB, glTF's convention, as `GLBMaterialDetails` takes) goes
/// beside it as `<stem>-normal.png`, named by `norm` (tinyobjloader, three.js) and `map_Bump`
/// (which Blender's importer reads as a normal map).
public enum ObjWriter {
    public static func write(_ model: MorphableModel, identity: [Float] = [], texture: Image? = nil, normalMap: Image? = nil,
                             to url: URL) throws {
        let hasUVs = try ExportMesh.checkTopology(model)
        let positions = try model.restShape(identity: identity)
        let normals = vertexNormals(positions, triangles: model.triangles)
        let stem = url.deletingPathExtension().lastPathComponent
        var text = "# \(model.info.name) \(model.info.version) — \(model.info.licence)\n"
        if texture != nil || normalMap != nil { text += "mtllib \(stem).mtl\nusemtl skin\n" }
        text.reserveCapacity(model.vertexCount * 80)
        for i in 0..<model.vertexCount { text += "v \(positions[3 * i]) \(positions[3 * i + 1]) \(positions[3 * i + 2])\n" }
        for t in 0..<(model.uvs.count / 2) { text += "vt \(model.uvs[2 * t]) \(model.uvs[2 * t + 1])\n" }
        for i in 0..<model.vertexCount { text += "vn \(normals[3 * i]) \(normals[3 * i + 1]) \(normals[3 * i + 2])\n" }
        for f in 0..<model.triangleCount {
            text += "f"
            for c in 0..<3 {
                let v = Int(model.triangles[3 * f + c]) + 1
                text += hasUVs ? " \(v)/\(Int(model.uvTriangles[3 * f + c]) + 1)/\(v)" : " \(v)//\(v)"
            }
            text += "\n"
        }
        do {
            try Data(text.utf8).write(to: url)
            let folder = url.deletingLastPathComponent()
            var mtl = "newmtl skin\nKd 1 1 1\n"
            if let texture {
                try PNGEncoder.encode(texture).write(to: folder.appendingPathComponent("\(stem).png"))
                mtl += "map_Kd \(stem).png\n"
            }
            if let normalMap {
                try PNGEncoder.encode(normalMap).write(to: folder.appendingPathComponent("\(stem)-normal.png"))
                mtl += "norm \(stem)-normal.png\nmap_Bump \(stem)-normal.png\n"
            }
            if texture != nil || normalMap != nil {
                try Data(mtl.utf8).write(to: folder.appendingPathComponent("\(stem).mtl"))
            }
        } catch {
            throw ExportError.writeFailed(path: url.path, reason: "\(error)")
        }
    }
}
