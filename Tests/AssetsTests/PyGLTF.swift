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
        let python = try venvPython()
        let scriptURL = scratch.appendingPathComponent("read_glb.py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let (status, output) = try run(python, [scriptURL.path, glb.path, scratch.appendingPathComponent("image.bin").path])
        guard status == 0 else { throw XCTSkip("pygltflib could not read the GLB: \(output.suffix(1500))") }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("GLTF:") }) else {
            throw XCTSkip("pygltflib printed no result: \(output.suffix(1500))")
        }
        return try JSONDecoder().decode(Primitive.self, from: Data(line.dropFirst("GLTF:".count).utf8))
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
