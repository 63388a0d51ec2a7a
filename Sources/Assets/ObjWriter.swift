import FaceModel
import Foundation
import Imaging

/// Wavefront OBJ with UVs and normals: `v` per model vertex, `vt` per UV (model convention,
/// v = 0 at the bottom, as OBJ expects), `vn` per vertex, faces `v/vt/vn`; plus an `.mtl` naming
/// the texture when one is given (written as PNG next to the OBJ). Blendshapes are not part of OBJ.
public enum ObjWriter {
    public static func write(_ model: MorphableModel, identity: [Float] = [], texture: Image? = nil, to url: URL) throws {
        let hasUVs = try ExportMesh.checkTopology(model)
        let positions = try model.restShape(identity: identity)
        let normals = vertexNormals(positions, triangles: model.triangles)
        let stem = url.deletingPathExtension().lastPathComponent
        var text = "# \(model.info.name) \(model.info.version) — \(model.info.licence)\n"
        if texture != nil { text += "mtllib \(stem).mtl\nusemtl skin\n" }
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
            if let texture {
                let png = url.deletingLastPathComponent().appendingPathComponent("\(stem).png")
                try PNGEncoder.encode(texture).write(to: png)
                let mtl = "newmtl skin\nKd 1 1 1\nmap_Kd \(stem).png\n"
                try Data(mtl.utf8).write(to: url.deletingLastPathComponent().appendingPathComponent("\(stem).mtl"))
            }
        } catch {
            throw ExportError.writeFailed(path: url.path, reason: "\(error)")
        }
    }
}
