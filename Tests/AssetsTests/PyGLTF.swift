import Foundation
import XCTest

/// Reads a GLB with pygltflib, a glTF library that is not ours and not assimp (whose importer
/// undoes its exporter's conventions, so a round trip through it cannot catch a flipped axis).
/// The library lives in a helper venv made once under the temporary folder; the test skips with a
/// message when python3, venv or the package cannot be had.
enum PyGLTF {
    /// What pygltflib reads: the first primitive's positions and TEXCOORD_0 (V×3, V×2, as stored,
    /// glTF's v = 0 at the top of the image) and the base-colour texture's embedded image bytes.
    struct Primitive: Decodable {
        var positions: [[Float]]
        var uvs: [[Float]]
        var imagePath: String
    }

    static let script = """
        import json, struct, sys
        from pygltflib import GLTF2
        gltf = GLTF2().load(sys.argv[1])
        blob = gltf.binary_blob()
        def read(index, width):
            accessor = gltf.accessors[index]
            view = gltf.bufferViews[accessor.bufferView]
            stride = view.byteStride or 4 * width
            start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
            assert accessor.componentType == 5126, "float accessors only"
            return [list(struct.unpack_from("<%df" % width, blob, start + i * stride)) for i in range(accessor.count)]
        primitive = gltf.meshes[0].primitives[0]
        material = gltf.materials[primitive.material]
        image = gltf.images[gltf.textures[material.pbrMetallicRoughness.baseColorTexture.index].source]
        view = gltf.bufferViews[image.bufferView]
        with open(sys.argv[2], "wb") as f:
            f.write(blob[(view.byteOffset or 0):(view.byteOffset or 0) + view.byteLength])
        print("GLTF:" + json.dumps({"positions": read(primitive.attributes.POSITION, 3),
                          "uvs": read(primitive.attributes.TEXCOORD_0, 2), "imagePath": sys.argv[2]}))
        """

    static func read(_ glb: URL, scratch: URL) throws -> Primitive {
        try run(script, name: "read_glb.py", [glb.path, scratch.appendingPathComponent("image.bin").path], scratch: scratch)
    }

    /// What pygltflib reads of the first primitive's material: its normal texture (texture index,
    /// texCoord, the embedded image's MIME type, written to `normalImagePath`), whether the base
    /// colour texture is kept, the material's and the document's `extras`, and whether every
    /// buffer view lies inside the binary blob.
    struct Material: Decodable {
        var normalTextureIndex: Int?
        var normalTexCoord: Int?
        var normalMimeType: String?
        var normalImagePath: String
        var hasBaseColorTexture: Bool
        var materialExtras: [String: String]
        var rootExtras: [String: String]
        var bufferViewsInBounds: Bool
        var samplerMinFilter: Int?
    }

    static let materialScript = """
        import json, sys
        from pygltflib import GLTF2
        gltf = GLTF2().load(sys.argv[1])
        blob = gltf.binary_blob()
        material = gltf.materials[gltf.meshes[0].primitives[0].material]
        normal = material.normalTexture
        result = {"normalImagePath": sys.argv[2], "materialExtras": material.extras or {}, "rootExtras": gltf.extras or {},
                  "hasBaseColorTexture": bool(material.pbrMetallicRoughness and material.pbrMetallicRoughness.baseColorTexture),
                  "bufferViewsInBounds": all((v.byteOffset or 0) + v.byteLength <= len(blob) for v in gltf.bufferViews)}
        if normal is not None:
            texture = gltf.textures[normal.index]
            image = gltf.images[texture.source]
            view = gltf.bufferViews[image.bufferView]
            with open(sys.argv[2], "wb") as f:
                f.write(blob[(view.byteOffset or 0):(view.byteOffset or 0) + view.byteLength])
            result.update({"normalTextureIndex": normal.index, "normalTexCoord": normal.texCoord, "normalMimeType": image.mimeType,
                           "samplerMinFilter": gltf.samplers[texture.sampler].minFilter if texture.sampler is not None else None})
        print("GLTF:" + json.dumps(result))
        """

    static func material(_ glb: URL, scratch: URL) throws -> Material {
        try run(materialScript, name: "material_glb.py", [glb.path, scratch.appendingPathComponent("normal.bin").path], scratch: scratch)
    }

    /// What pygltflib reads of the skin, and the mesh posed by glTF's skinning rule computed here
    /// from the file alone: joint nodes' TRS (the joints in `rotations`, name → axis-angle in
    /// radians, rotated in their parent's frame), global transforms down the node tree, and
    /// v' = Σₖ wₖ · G(jointₖ) · IBMₖ · v over JOINTS_0/WEIGHTS_0 (the mesh node's own transform
    /// is ignored for a skinned mesh, as the spec says).
    struct Skinned: Decodable {
        var jointNames: [String]
        /// The node holding the mesh names the skin.
        var meshNodeHasSkin: Bool
        var jointsComponentType: Int
        var weightSums: [Float]
        var targetCount: Int
        var rest: [[Float]]
        var skinned: [[Float]]
    }

    static let skinScript = """
        import json, math, struct, sys
        from pygltflib import GLTF2
        gltf = GLTF2().load(sys.argv[1])
        rotations = json.loads(sys.argv[2])
        blob = gltf.binary_blob()
        FORMAT = {5126: "f", 5123: "H", 5121: "B"}
        SIZE = {5126: 4, 5123: 2, 5121: 1}
        WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
        def read(index):
            accessor = gltf.accessors[index]
            view = gltf.bufferViews[accessor.bufferView]
            width, size = WIDTH[accessor.type], SIZE[accessor.componentType]
            stride = view.byteStride or size * width
            start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
            fmt = "<%d%s" % (width, FORMAT[accessor.componentType])
            return [list(struct.unpack_from(fmt, blob, start + i * stride)) for i in range(accessor.count)]
        def multiply(a, b):
            return [[sum(a[r][k] * b[k][c] for k in range(4)) for c in range(4)] for r in range(4)]
        def quaternion_matrix(q):
            x, y, z, w = q
            return [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w), 0],
                    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w), 0],
                    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y), 0], [0, 0, 0, 1]]
        def axis_angle_quaternion(r):
            angle = math.sqrt(sum(c * c for c in r))
            if angle == 0: return [0, 0, 0, 1]
            s = math.sin(angle / 2) / angle
            return [r[0] * s, r[1] * s, r[2] * s, math.cos(angle / 2)]
        def local(node):
            if node.matrix: return [[node.matrix[c * 4 + r] for c in range(4)] for r in range(4)]
            t = node.translation or [0, 0, 0]
            q = node.rotation or [0, 0, 0, 1]
            s = node.scale or [1, 1, 1]
            m = quaternion_matrix(q)
            if node.name in rotations: m = multiply(m, quaternion_matrix(axis_angle_quaternion(rotations[node.name])))
            m = multiply(m, [[s[0], 0, 0, 0], [0, s[1], 0, 0], [0, 0, s[2], 0], [0, 0, 0, 1]])
            for r in range(3): m[r][3] = t[r]
            return m
        world = {}
        def walk(index, parent):
            world[index] = multiply(parent, local(gltf.nodes[index]))
            for child in gltf.nodes[index].children or []: walk(child, world[index])
        identity = [[float(r == c) for c in range(4)] for r in range(4)]
        for root in gltf.scenes[gltf.scene or 0].nodes: walk(root, identity)
        mesh_node = next(n for n in gltf.nodes if n.mesh is not None)
        skin = gltf.skins[mesh_node.skin]
        inverse_bind = [[[m[c * 4 + r] for c in range(4)] for r in range(4)] for m in read(skin.inverseBindMatrices)]
        joint_matrices = [multiply(world[j], ibm) for j, ibm in zip(skin.joints, inverse_bind)]
        primitive = gltf.meshes[mesh_node.mesh].primitives[0]
        rest = read(primitive.attributes.POSITION)
        joints = read(primitive.attributes.JOINTS_0)
        assert gltf.accessors[primitive.attributes.WEIGHTS_0].componentType == 5126, "float weights expected"
        weights = read(primitive.attributes.WEIGHTS_0)
        skinned = []
        for v, js, ws in zip(rest, joints, weights):
            p = [0.0, 0.0, 0.0]
            for j, w in zip(js, ws):
                if w == 0: continue
                m = joint_matrices[j]
                for r in range(3): p[r] += w * (m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2] + m[r][3])
            skinned.append(p)
        sums = [sum(ws) for ws in weights]
        print("GLTF:" + json.dumps({"jointNames": [gltf.nodes[j].name for j in skin.joints],
            "meshNodeHasSkin": mesh_node.skin is not None,
            "jointsComponentType": gltf.accessors[primitive.attributes.JOINTS_0].componentType,
            "weightSums": [min(sums), max(sums)], "targetCount": len(primitive.targets or []),
            "rest": rest, "skinned": skinned}))
        """

    /// The skin of `glb` posed with `rotations` (joint name → axis-angle, radians) by `skinScript`.
    static func skinned(_ glb: URL, rotations: [String: [Float]], scratch: URL) throws -> Skinned {
        let json = String(decoding: try JSONEncoder().encode(rotations), as: UTF8.self)
        return try run(skinScript, name: "skin_glb.py", [glb.path, json], scratch: scratch)
    }

    /// Runs a pygltflib script that prints one `GLTF:<json>` line and decodes it.
    static func run<Result: Decodable>(_ script: String, name: String, _ arguments: [String], scratch: URL) throws -> Result {
        let python = try venvPython()
        let scriptURL = scratch.appendingPathComponent(name)
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let (status, output) = try run(python, [scriptURL.path] + arguments)
        // pygltflib is there (venvPython checked): a script that fails found something wrong in the file.
        guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("GLTF:") }) else {
            throw ScriptFailure(message: "pygltflib's reading of the GLB failed: \(output.suffix(1500))")
        }
        return try JSONDecoder().decode(Result.self, from: Data(line.dropFirst("GLTF:".count).utf8))
    }

    struct ScriptFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The venv's python with pygltflib importable, made on first use.
    static func venvPython() throws -> String {
        let venv = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-test-venv")
        let python = venv.appendingPathComponent("bin/python").path
        if FileManager.default.isExecutableFile(atPath: python), (try? run(python, ["-c", "import pygltflib"]).0) == 0 { return python }
        guard let system = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("python3 not found; skipping the pygltflib check")
        }
        let (made, madeOutput) = try run(system, ["-m", "venv", venv.path])
        guard made == 0 else { throw XCTSkip("cannot make a venv (apt-get install python3-venv): \(madeOutput.suffix(500))") }
        let (installed, output) = try run(python, ["-m", "pip", "install", "-q", "pygltflib"])
        guard installed == 0 else { throw XCTSkip("cannot install pygltflib into \(venv.path): \(output.suffix(500))") }
        return python
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
