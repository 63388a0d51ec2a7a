import AssimpShim
import FaceModel
import Foundation
import Imaging

/// glTF 2.0 binary (GLB) through assimp's exporter: the mesh of S(β, 0, 0) with UVs and normals,
/// one material whose base colour is an embedded PNG (when given), every expression
/// blendshape as a morph target carrying its name in `mesh.extras.targetNames`
/// (GLTF2_TARGETNAMES_EXP) and its normals (GLTF2_TARGET_NORMAL_EXP), and the model's joints as
/// a glTF skin (`ExportMesh.Skin`: a node per joint, inverse bind matrices, JOINTS_0/WEIGHTS_0),
/// so an engine drives the head, jaw and eyes by rotating joint nodes. `extensionsUsed` lists only
/// the extensions the file uses (`GLTFExtensions.pruneUnused`). `details` adds a normal map and
/// `extras` to the material (`GLBMaterialDetails`; binary GLB only).
public enum GLBExporter {
    public static func export(_ model: MorphableModel, identity: [Float] = [], texture: Image? = nil,
                              details: GLBMaterialDetails = GLBMaterialDetails(), to url: URL, format: String = "glb2") throws {
        let mesh = try ExportMesh(model: model, identity: identity)
        let png = try texture.map { try PNGEncoder.encode($0) } ?? Data()
        try export(mesh, texturePNG: png, name: model.info.name, details: details, to: url, format: format)
    }

    public static func export(_ mesh: ExportMesh, texturePNG png: Data, name: String,
                              details: GLBMaterialDetails = GLBMaterialDetails(), to url: URL, format: String = "glb2") throws {
        guard details.isEmpty || format == "glb2" else {
            throw ExportError.writeFailed(path: url.path, reason: "a normal map or extras need the binary glb2 format, not \(format)")
        }
        let targets = mesh.targetPositions.flatMap { $0 }
        let targetNormals = mesh.targetNormals.flatMap { $0 }
        let nameStorage = mesh.targetNames.map { strdup($0) }
        let jointNameStorage = (mesh.skin?.jointNames ?? []).map { strdup($0) }
        defer { (nameStorage + jointNameStorage).forEach { free($0) } }
        let namePointers: [UnsafePointer<CChar>?] = nameStorage.map { UnsafePointer($0) }
        let jointNamePointers: [UnsafePointer<CChar>?] = jointNameStorage.map { UnsafePointer($0) }
        let parents = (mesh.skin?.parents ?? []).map { Int32($0) }
        let rest = mesh.skin?.restPositions ?? [], joints = mesh.skin?.joints ?? [], weights = mesh.skin?.weights ?? []
        var error = [CChar](repeating: 0, count: 1024)
        var d = likeness_mesh_desc()
        let status: Int32 = mesh.positions.withUnsafeBufferPointer { positions in
            mesh.normals.withUnsafeBufferPointer { normals in
                mesh.uvs.withUnsafeBufferPointer { uvs in
                    mesh.indices.withUnsafeBufferPointer { indices in
                        targets.withUnsafeBufferPointer { tp in
                            targetNormals.withUnsafeBufferPointer { tn in
                                png.withUnsafeBytes { texture in
                                    namePointers.withUnsafeBufferPointer { names in
                                        d.vertexCount = UInt32(mesh.vertexCount)
                                        d.positions = positions.baseAddress
                                        d.normals = mesh.normals.isEmpty ? nil : normals.baseAddress
                                        d.uvs = mesh.uvs.isEmpty ? nil : uvs.baseAddress
                                        d.triangleCount = UInt32(mesh.indices.count / 3)
                                        d.indices = indices.baseAddress
                                        d.targetCount = UInt32(mesh.targetNames.count)
                                        d.targetPositions = targets.isEmpty ? nil : tp.baseAddress
                                        d.targetNormals = targetNormals.isEmpty ? nil : tn.baseAddress
                                        d.targetNames = names.baseAddress
                                        d.texturePNG = png.isEmpty ? nil : texture.bindMemory(to: UInt8.self).baseAddress
                                        d.textureSize = UInt(png.count)
                                        return withSkin(jointNamePointers, parents, rest, joints, weights) { skin in
                                            d.jointCount = skin.count
                                            d.jointNames = skin.names
                                            d.jointParents = skin.parents
                                            d.jointRestPositions = skin.rest
                                            d.vertexJoints = skin.joints
                                            d.vertexWeights = skin.weights
                                            return name.withCString { meshName in
                                                "skin".withCString { material in
                                                    d.meshName = meshName
                                                    d.materialName = material
                                                    return likeness_export_mesh(&d, format, url.path, &error, UInt(error.count))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw ExportError.writeFailed(path: url.path, reason: String(cString: error)) }
        try GLTFExtensions.pruneUnused(in: url)
        try details.add(to: url)
    }

    /// The skin arrays' addresses (count 0: no skin), valid while `body` runs.
    private struct SkinPointers {
        var count: UInt32
        var names: UnsafePointer<UnsafePointer<CChar>?>?
        var parents: UnsafePointer<Int32>?
        var rest: UnsafePointer<Float>?
        var joints: UnsafePointer<UInt32>?
        var weights: UnsafePointer<Float>?
    }

    private static func withSkin(_ names: [UnsafePointer<CChar>?], _ parents: [Int32], _ rest: [Float], _ joints: [UInt32],
                                 _ weights: [Float], _ body: (SkinPointers) -> Int32) -> Int32 {
        names.withUnsafeBufferPointer { names in
            parents.withUnsafeBufferPointer { parents in
                rest.withUnsafeBufferPointer { rest in
                    joints.withUnsafeBufferPointer { joints in
                        weights.withUnsafeBufferPointer { weights in
                            body(SkinPointers(count: UInt32(names.count), names: names.baseAddress, parents: parents.baseAddress,
                                              rest: rest.baseAddress, joints: joints.baseAddress, weights: weights.baseAddress))
                        }
                    }
                }
            }
        }
    }
}

/// What assimp reads back from an exported file (for verification).
public struct ImportedSummary: Sendable, Equatable {
    public var vertexCount: Int
    public var targetNames: [String]
    public var textureCount: Int
    /// The first mesh's bones (the skin's joints), in order.
    public var jointNames: [String]

    /// Re-imports `url` with assimp (Assimp::Importer through the shim).
    public init(contentsOf url: URL) throws {
        var vertices: UInt32 = 0, targets: UInt32 = 0, textures: UInt32 = 0, bones: UInt32 = 0
        var names = [CChar](repeating: 0, count: 1 << 16), boneNames = [CChar](repeating: 0, count: 1 << 14)
        var error = [CChar](repeating: 0, count: 1024)
        let status = likeness_inspect_file(url.path, &vertices, &targets, &textures, &names, UInt(names.count),
                                           &bones, &boneNames, UInt(boneNames.count), &error, UInt(error.count))
        guard status == 0 else { throw ExportError.readFailed(path: url.path, reason: String(cString: error)) }
        vertexCount = Int(vertices)
        textureCount = Int(textures)
        let joined = String(cString: names)
        targetNames = targets == 0 ? [] : joined.components(separatedBy: "\n")
        jointNames = bones == 0 ? [] : String(cString: boneNames).components(separatedBy: "\n")
    }
}
