import FaceModel
import Foundation
import Imaging
import XCTest
@testable import Assets

final class ExportTests: TemporaryFolderTestCase {
    static func checkerboard() -> Image {
        var image = Image(width: 16, height: 16, channels: 3)
        for y in 0..<16 { for x in 0..<16 { for c in 0..<3 { image.pixels[(y * 16 + x) * 3 + c] = UInt8(((x / 4 + y / 4) % 2) * 200 + c) } } }
        return image
    }

    func testGLBReimportsWithNamedMorphTargetsAndEmbeddedTexture() throws {
        let model = SyntheticModel.make(identityCount: 3, expressionCount: 5)
        let url = dir.appendingPathComponent("head.glb")
        try GLBExporter.export(model, identity: [0.5, -1, 0], texture: Self.checkerboard(), to: url)
        let mesh = try ExportMesh(model: model, identity: [0.5, -1, 0])
        // Seams split vertices: more glTF vertices than model vertices.
        XCTAssertGreaterThan(mesh.vertexCount, model.vertexCount)
        let back = try ImportedSummary(contentsOf: url)
        XCTAssertEqual(back.vertexCount, mesh.vertexCount)
        XCTAssertEqual(back.targetNames, model.expressionNames)
        XCTAssertEqual(back.textureCount, 1)
        // The binary carries the names in mesh.extras.targetNames.
        let bytes = try Data(contentsOf: url)
        let json = String(decoding: bytes.prefix(20 + Int(bytes[12]) + Int(bytes[13]) << 8 + Int(bytes[14]) << 16), as: UTF8.self)
        XCTAssertTrue(json.contains("\"targetNames\""), "GLB JSON lacks extras.targetNames")
        XCTAssertTrue(json.contains("synthetic4"))
    }

    /// Top half red, bottom half blue (rows from the top, as stored in the PNG).
    static func redOverBlue() -> Image {
        var image = Image(width: 8, height: 8, channels: 3)
        for y in 0..<8 { for x in 0..<8 { image.pixels[(y * 8 + x) * 3 + (y < 4 ? 0 : 2)] = 255 } }
        return image
    }

    /// A texture whose top half is red colours the top of the head in the GLB as pygltflib reads it,
    /// sampled by glTF's rule (v = 0 at the image's top row): the synthetic sphere's UVs put the
    /// north pole at the image's top, as a head's UVs put the scalp and forehead there.
    func testGLBTextureIsUprightAsAGLTFLibraryReadsIt() throws {
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 2)
        let url = dir.appendingPathComponent("upright.glb")
        let texture = Self.redOverBlue()
        try GLBExporter.export(model, texture: texture, to: url)
        let primitive = try PyGLTF.read(url, scratch: dir)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: primitive.imagePath)), try PNGEncoder.encode(texture),
                       "the embedded image is the texture as given")
        XCTAssertEqual(primitive.positions.count, primitive.uvs.count)
        var upper = 0, lower = 0
        for (position, uv) in zip(primitive.positions, primitive.uvs) where abs(position[1]) > 0.05 {
            let row = min(7, max(0, Int(uv[1] * 8))), column = min(7, max(0, Int(uv[0] * 8)))
            let red = texture.pixels[(row * 8 + column) * 3]
            if position[1] > 0 {
                XCTAssertEqual(red, 255, "vertex \(position) at uv \(uv) is not red")
                upper += 1
            } else {
                XCTAssertEqual(red, 0, "vertex \(position) at uv \(uv) is not blue")
                lower += 1
            }
        }
        XCTAssertGreaterThan(upper, 20)
        XCTAssertGreaterThan(lower, 20)
    }

    /// The embedded head's joints are a glTF skin as pygltflib reads it: five joints by name, every
    /// vertex's weights summing to 1, the 52 morph targets kept, and glTF's skinning rule computed
    /// from the file alone moves the mesh exactly as our LBS (`FaceEvaluator`) does: the chin
    /// follows a jaw rotation, and a neck turn with the jaw open and an eye turned moves every vertex.
    func testGLBSkinPosesTheHeadAsOurLBSDoesAsAGLTFLibraryReadsIt() throws {
        let model = EmbeddedHead.make()
        let identity: [Float] = [0.8, -0.5, 0.3]
        let url = dir.appendingPathComponent("skinned.glb")
        try GLBExporter.export(model, identity: identity, to: url)
        let mesh = try ExportMesh(model: model, identity: identity)
        let evaluator = try FaceEvaluator(model: model)
        XCTAssertEqual(try ImportedSummary(contentsOf: url).jointNames, ["global", "neck", "jaw", "leftEye", "rightEye"],
                       "assimp's reader sees the joints as bones")

        func compare(_ rotations: [String: SIMD3<Float>]) throws -> (file: PyGLTF.Skinned, ours: [Float]) {
            let file = try PyGLTF.skinned(url, rotations: rotations.mapValues { [$0.x, $0.y, $0.z] }, scratch: dir)
            var code = FaceCode.neutral(for: model)
            code.identity.replaceSubrange(0..<identity.count, with: identity)
            for (name, rotation) in rotations {
                code.setRotation(rotation, ofJoint: try XCTUnwrap(model.joints.firstIndex { $0.name == name }))
            }
            let posed = try evaluator.evaluate(code).vertices
            XCTAssertEqual(file.rest.count, mesh.vertexCount)
            var worst: Float = 0
            for (i, (rest, skinned)) in zip(file.rest, file.skinned).enumerated() {
                let v = mesh.sourceVertex[i]
                for c in 0..<3 {
                    XCTAssertEqual(rest[c], mesh.positions[3 * i + c], "vertex order kept")
                    worst = max(worst, abs(skinned[c] - posed[3 * v + c]))
                }
            }
            XCTAssertLessThan(worst, 2e-6, "glTF skinning and our LBS differ by \(worst) m for \(rotations)")
            return (file, posed)
        }

        let jaw = try compare(["jaw": SIMD3(0.3, 0, 0)])
        XCTAssertEqual(jaw.file.jointNames, ["global", "neck", "jaw", "leftEye", "rightEye"])
        XCTAssertTrue(jaw.file.meshNodeHasSkin)
        XCTAssertEqual(jaw.file.jointsComponentType, 5123, "JOINTS_0 as unsigned shorts")
        XCTAssertEqual(jaw.file.weightSums[0], 1, accuracy: 1e-5)
        XCTAssertEqual(jaw.file.weightSums[1], 1, accuracy: 1e-5)
        XCTAssertEqual(jaw.file.targetCount, 52, "the morph targets stay")
        // The chin (vertices wholly on the jaw) swings down and back by centimetres.
        let jawIndex = 2, count = model.joints.count
        let chin = (0..<mesh.vertexCount).filter { i in
            let v = mesh.sourceVertex[i]
            return model.skinWeights[v * count + jawIndex] > 0.99 && model.vertexRegions[v] == .face
        }
        XCTAssertGreaterThan(chin.count, 50)
        let drop = chin.map { jaw.file.rest[$0][1] - jaw.file.skinned[$0][1] }.max() ?? 0
        XCTAssertGreaterThan(drop, 0.01, "a 17° jaw rotation lowers the chin by over a centimetre")

        _ = try compare(["neck": SIMD3(0.1, 0.5, -0.2), "jaw": SIMD3(0.25, 0.05, 0), "leftEye": SIMD3(0, 0.3, 0)])
    }

    func testGLBListsOnlyTheExtensionsItUses() throws {
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 2)
        let url = dir.appendingPathComponent("extensions.glb")
        try GLBExporter.export(model, texture: Self.checkerboard(), to: url)
        let bytes = try Data(contentsOf: url)
        let container = try GLBContainer(bytes, path: url.path)
        XCTAssertEqual(container.jsonRange.count % 4, 0)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes.subdata(in: container.jsonRange)) as? [String: Any])
        let used = GLTFExtensions.usedExtensions(json)
        XCTAssertEqual((json["extensionsUsed"] as? [String]) ?? [], Array(used), "extensionsUsed is what the document uses")
        XCTAssertFalse(String(decoding: bytes.subdata(in: container.jsonRange), as: UTF8.self).contains("FB_ngon_encoding"))
        XCTAssertFalse(String(decoding: bytes.subdata(in: container.jsonRange), as: UTF8.self).contains("KHR_materials_volume"))
        XCTAssertEqual(try ImportedSummary(contentsOf: url).textureCount, 1, "the rewritten GLB still reads")
        // The surgery keeps the rest of the document and removes an emptied list with its comma.
        let text = #"{"asset":{"version":"2.0"},"extensionsUsed":["KHR_materials_volume","KHR_texture_transform"],"materials":[{"extensions":{"KHR_texture_transform":{}}}],"extensionsRequired":["FB_ngon_encoding"]}"#
        let pruned = try XCTUnwrap(try GLTFExtensions.pruned(Data(text.utf8), path: "test"))
        XCTAssertEqual(String(decoding: pruned, as: UTF8.self),
                       #"{"asset":{"version":"2.0"},"extensionsUsed":["KHR_texture_transform"],"materials":[{"extensions":{"KHR_texture_transform":{}}}]}"#)
        XCTAssertNil(try GLTFExtensions.pruned(pruned, path: "test"), "nothing left to prune")
    }

    func testOBJRoundTripsPositionsUVsAndNormals() throws {
        let model = SyntheticModel.make(identityCount: 2, expressionCount: 1)
        let url = dir.appendingPathComponent("head.obj")
        try ObjWriter.write(model, texture: Self.checkerboard(), to: url)
        let back = try ObjMesh(contentsOf: url)
        XCTAssertEqual(back.positions.count, model.template.count)
        for (a, b) in zip(back.positions, model.template) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(back.uvs.count, model.uvs.count)
        XCTAssertEqual(back.triangles, model.triangles)
        XCTAssertEqual(back.uvTriangles, model.uvTriangles)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("head.png").path))
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "\nvn ").count - 1, model.vertexCount)
        // assimp reads it too.
        XCTAssertEqual(try ImportedSummary(contentsOf: url).targetNames, [])
    }

    func testUnwritablePathIsATypedError() {
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 1)
        XCTAssertThrowsError(try GLBExporter.export(model, to: URL(fileURLWithPath: "/nonexistent/dir/x.glb"))) { error in
            guard case ExportError.writeFailed = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ImportedSummary(contentsOf: URL(fileURLWithPath: "/nonexistent.glb")))
    }

    func testICTFaceAreaExportsEveryExpressionAsNamedTarget() throws {
        let folder = try AssetsTestData.shared("models/ict-facekit")
        let model = try ICTFaceKitImporter.load(folder, faceOnly: true, maxIdentities: 1)
        let url = dir.appendingPathComponent("ict.glb")
        try GLBExporter.export(model, to: url)
        let back = try ImportedSummary(contentsOf: url)
        XCTAssertEqual(back.targetNames, model.expressionNames)
        XCTAssertEqual(back.targetNames.count, 8)
        XCTAssertEqual(back.vertexCount, try ExportMesh(model: model, includeTargets: false).vertexCount)
    }

    /// Debian's Blender 3.4 imports the GLB, lists the shape keys and wires the details' normal map
    /// (`normalTexture`) into the material through a Normal Map node (skipped without `blender`).
    func testBlenderListsShapeKeys() throws {
        guard let blender = ["/usr/bin/blender", "/usr/local/bin/blender"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("blender is not installed (apt-get install blender); skipping the Blender import check")
        }
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 4)
        let url = dir.appendingPathComponent("blender.glb")
        let normals = Image(width: 32, height: 32, channels: 3,
                            pixels: (0..<(32 * 32)).flatMap { i -> [UInt8] in [UInt8(100 + i % 32 * 2), 128, 230] })
        try GLBExporter.export(model, texture: Self.checkerboard(), details: GLBMaterialDetails(normalMap: normals), to: url)
        let script = dir.appendingPathComponent("keys.py")
        try """
        import numpy
        numpy.bool = bool  # Blender 3.4's glTF importer uses the removed alias
        import bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.ops.import_scene.gltf(filepath=r"\(url.path)")
        for ob in bpy.data.objects:
            if ob.type == 'MESH' and ob.data.shape_keys:
                print("SHAPEKEYS:" + ",".join(k.name for k in ob.data.shape_keys.key_blocks))
        print("IMAGES:%d" % sum(1 for im in bpy.data.images if im.size[0] == 16))
        for mat in bpy.data.materials:
            for node in (mat.node_tree.nodes if mat.node_tree else []):
                if node.type == 'NORMAL_MAP':
                    for link in node.inputs['Color'].links:
                        if link.from_node.type == 'TEX_IMAGE' and link.from_node.image:
                            print("NORMALMAP:%dx%d" % tuple(link.from_node.image.size))
        """.write(to: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: blender)
        process.arguments = ["-b", "--factory-startup", "--python", script.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("SHAPEKEYS:") }) else {
            return XCTFail("Blender listed no shape keys:\n\(output.suffix(2000))")
        }
        let keys = line.dropFirst("SHAPEKEYS:".count).split(separator: ",").map(String.init)
        XCTAssertEqual(Array(keys.dropFirst()), model.expressionNames, "first key is Blender's Basis")
        XCTAssertTrue(output.contains("IMAGES:1"), "the embedded 16×16 texture did not load")
        XCTAssertTrue(output.contains("NORMALMAP:32x32"), "Blender did not wire the normal map:\n\(output.suffix(2000))")
    }
}

enum AssetsTestData {
    /// `../shared/<relative>` from the package root, or `$LIKENESS_SHARED/<relative>`; skips when absent.
    static func shared(_ relative: String) throws -> URL {
        let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(relative) not found under \(root.path) (set LIKENESS_SHARED); skipping")
        }
        return url
    }
}
