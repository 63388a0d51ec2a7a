import FaceModel
import Foundation
import Imaging
import Render
import XCTest
@testable import Assets

/// The asset side of facial details: the 16-bit displacement encoding, the wrinkle rig (blend,
/// files, read-back), the GLB's normalTexture and extras as pygltflib reads them, the OBJ's
/// normal-map lines and the detail preview sheet.
final class DetailAssetsTests: TemporaryFolderTestCase {
    /// A d×d×1 map of f(u, v) at texel centres.
    static func map(_ d: Int, _ f: (Float, Float) -> Float) throws -> TextureMap {
        try TextureMap(width: d, height: d, channels: 1, data: (0..<(d * d)).map { k in
            f((Float(k % d) + 0.5) / Float(d), 1 - (Float(k / d) + 0.5) / Float(d))
        })
    }

    /// A rig on a d×d layout: a gentle neutral map, a forehead-ish wrinkle on morph target 2 masked
    /// to v > ½ (soft edge from 0.4), a second wrinkle on target 5 over u < ½ with a smoothstep curve.
    static func rig(size d: Int = 32) throws -> WrinkleRig {
        let neutral = try map(d) { u, v in 0.0005 * sin(9 * u) * cos(7 * v) }
        let brow = try map(d) { u, v in 0.004 * sin(40 * v) }
        let browMask = try map(d) { _, v in min(1, max(0, (v - 0.4) / 0.1)) }
        let smile = try map(d) { u, v in -0.003 * cos(30 * u + 5 * v) }
        let smileMask = try map(d) { u, _ in u < 0.5 ? 1 : 0 }
        return try WrinkleRig(neutral: neutral, wrinkles: [
            .init(blendshape: "browInnerUp", morphTargetIndex: 2, displacement: brow, mask: browMask),
            .init(blendshape: "mouthSmileLeft", morphTargetIndex: 5, displacement: smile, mask: smileMask, weightCurve: .smoothstep),
        ])
    }

    func testDisplacementEncodingRoundTripsThroughA16BitPNG() throws {
        let values: [Float] = [-0.01, 0, 0.01, 0.0123, -0.02, 0.001234, -0.0067, 0.00999]
        let d = try TextureMap(width: 4, height: 2, channels: 1, data: values)
        let encoding = DisplacementEncoding.standard
        let image = try encoding.image(d)
        XCTAssertEqual(Array(image.pixels.prefix(5)), [0, 32768, 65535, 65535, 0], "round((D/0.01 + 1)/2 · 65535), clamped")
        let png = try PNGEncoder.encode(image)
        XCTAssertEqual([png[24], png[25]], [16, 0], "IHDR: bit depth 16, colour type 0 (grey)")
        let back = try encoding.displacement(ImageDecoder.decodeGray16(png))
        for (x, y) in zip(back.data, values) {
            XCTAssertEqual(x, min(max(y, -0.01), 0.01), accuracy: 0.01 / 65535 + 1e-9, "within half a step")
        }
        XCTAssertThrowsError(try DisplacementEncoding(bits: 8, scaleMetres: 0.01, offsetMetres: -0.01, decode: "").image(d))
        let json = String(decoding: try JSONEncoder().encode(encoding), as: UTF8.self)
        XCTAssertTrue(json.contains("\"scale_m\":0.01") && json.contains("\"offset_m\":-0.01") && json.contains("\"bits\":16"), json)
    }

    func testBlendIsNeutralAtZeroAndTheWrinkleInsideItsMaskAtOne() throws {
        let rig = try Self.rig()
        XCTAssertEqual(rig.blend(weights: []), rig.neutral)
        XCTAssertEqual(rig.blend(weights: [Float](repeating: 0, count: 52)), rig.neutral)
        XCTAssertEqual(rig.blend(weights: [1, 1, -3, 1, 1, 0]), rig.neutral, "negative weights clamp to 0; other targets have no wrinkle")
        let brow = rig.wrinkles[0], d = rig.size
        let full = rig.blend(weights: [0, 0, 1])
        XCTAssertEqual(rig.blend(weights: [0, 0, 7]), full, "weights above 1 clamp")
        XCTAssertEqual(rig.blend(named: ["browInnerUp": 1, "jawOpen": 1]), full)
        var inside = 0, outside = 0
        for t in 0..<(d * d) {
            let m = brow.mask.data[t]
            let expected = rig.neutral.data[t] + m * (brow.displacement.data[t] - rig.neutral.data[t])
            XCTAssertEqual(full.data[t], expected, accuracy: 1e-9)
            if m == 1 { XCTAssertEqual(full.data[t], brow.displacement.data[t], accuracy: 1e-9); inside += 1 }
            if m == 0 { XCTAssertEqual(full.data[t], rig.neutral.data[t]); outside += 1 }
        }
        XCTAssertGreaterThan(inside, d * d / 4)
        XCTAssertGreaterThan(outside, d * d / 4)
        // Half weight: linear curve halfway; the smoothstep wrinkle at ½ is also halfway (3/4 − 2/8 = ½), at ¼ it is 5/32.
        let half = rig.blend(weights: [0, 0, 0.5]), smile = rig.wrinkles[1]
        let quarter = rig.blend(weights: [0, 0, 0, 0, 0, 0.25])
        for t in stride(from: 0, to: d * d, by: 5) {
            XCTAssertEqual(half.data[t], rig.neutral.data[t] + 0.5 * brow.mask.data[t] * (brow.displacement.data[t] - rig.neutral.data[t]), accuracy: 1e-9)
            XCTAssertEqual(quarter.data[t], rig.neutral.data[t] + 5 / 32 * smile.mask.data[t] * (smile.displacement.data[t] - rig.neutral.data[t]), accuracy: 1e-9)
        }
        // Both at once add their deltas.
        let both = rig.blend(weights: [0, 0, 1, 0, 0, 1])
        for t in 0..<(d * d) {
            let sum = full.data[t] + smile.mask.data[t] * (smile.displacement.data[t] - rig.neutral.data[t])
            XCTAssertEqual(both.data[t], sum, accuracy: 1e-9)
        }
    }

    func testRigValidatesItsMaps() throws {
        let rig = try Self.rig()
        let small = try TextureMap(width: 16, height: 16, fill: [0])
        XCTAssertThrowsError(try WrinkleRig(neutral: rig.neutral, wrinkles: [
            .init(blendshape: "browInnerUp", morphTargetIndex: 2, displacement: small, mask: rig.wrinkles[0].mask)]))
        XCTAssertThrowsError(try WrinkleRig(neutral: rig.neutral, wrinkles: [rig.wrinkles[0], rig.wrinkles[0]]))
        var badName = rig.wrinkles[0]
        badName.blendshape = "../brow"
        XCTAssertThrowsError(try WrinkleRig(neutral: rig.neutral, wrinkles: [badName])) { error in
            guard case WrinkleRig.Error.mismatch = error else { return XCTFail("\(error)") }
        }
    }

    /// The rig written for the embedded head and read back: the document's members, 16-bit
    /// displacements and 8-bit masks within their quantisation, RGB normal maps of the rig's size.
    func testRigFilesRoundTrip() throws {
        let rig = try Self.rig(size: 64)
        let mesh = try RenderMesh(model: EmbeddedHead.make())
        let document = try rig.write(to: dir, mesh: mesh)
        let url = dir.appendingPathComponent("wrinkles.json")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        XCTAssertEqual(json["format"] as? String, "likeness-wrinkles")
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual(json["normal_map"] as? String, "details/neutral-normal.png")
        let displacement = try XCTUnwrap(json["displacement"] as? [String: Any])
        XCTAssertEqual(displacement["neutral"] as? String, "details/neutral-displacement.png")
        XCTAssertEqual((displacement["encoding"] as? [String: Any])?["scale_m"] as? Double, 0.01)
        let entries = try XCTUnwrap(json["wrinkles"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["blendshape"] as? String }, ["browInnerUp", "mouthSmileLeft"])
        XCTAssertEqual(entries.map { $0["morph_target_index"] as? Int }, [2, 5])
        XCTAssertEqual(entries.map { $0["weight_curve"] as? String }, ["linear", "smoothstep"])
        XCTAssertEqual(entries[0]["mask"] as? String, "details/mask-browInnerUp.png")
        for path in [document.normalMap] + document.wrinkles.map(\.normalMap) {
            let normal = try ImageDecoder.decode(contentsOf: dir.appendingPathComponent(path))
            XCTAssertEqual([normal.width, normal.height, normal.channels], [64, 64, 3], path)
        }
        let back = try WrinkleRig(contentsOf: url)
        XCTAssertEqual(back.document, document)
        for (a, b) in zip(back.neutral.data, rig.neutral.data) { XCTAssertEqual(a, b, accuracy: 0.01 / 65535 + 1e-9) }
        for (w, v) in zip(back.wrinkles, rig.wrinkles) {
            for (a, b) in zip(w.displacement.data, v.displacement.data) { XCTAssertEqual(a, b, accuracy: 0.01 / 65535 + 1e-9) }
            for (a, b) in zip(w.mask.data, v.mask.data) { XCTAssertEqual(a, b, accuracy: 0.5 / 255 + 1e-6) }
        }
        // Another version is refused with a typed error; a missing file is a read failure.
        var newer = json
        newer["version"] = 2
        try JSONSerialization.data(withJSONObject: newer).write(to: url)
        XCTAssertThrowsError(try WrinkleRig(contentsOf: url)) { error in
            guard case WrinkleRig.Error.unsupported = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try WrinkleRig(contentsOf: dir.appendingPathComponent("none.json"))) { error in
            guard case ExportError.readFailed = error else { return XCTFail("\(error)") }
        }
    }

    /// The head GLB with the rig's normal map and extras, as pygltflib reads it: the material's
    /// normalTexture (texCoord 0) names an embedded PNG of the map's size, the base colour stays,
    /// every buffer view is inside the blob, extras point at wrinkles.json; assimp still reads it.
    func testGLBCarriesTheNormalTextureAndExtrasAsAGLTFLibraryReadsIt() throws {
        let model = EmbeddedHead.make()
        let rig = try Self.rig(size: 64)
        var details = try rig.glbDetails(mesh: RenderMesh(model: model))
        details.rootExtras = ["likeness_wrinkles": "wrinkles.json"]
        let url = dir.appendingPathComponent("head.glb")
        try GLBExporter.export(model, texture: ExportTests.checkerboard(), details: details, to: url)
        let material = try PyGLTF.material(url, scratch: dir)
        XCTAssertEqual(material.normalTexCoord, 0)
        XCTAssertEqual(material.normalMimeType, "image/png")
        XCTAssertTrue(material.hasBaseColorTexture)
        XCTAssertTrue(material.bufferViewsInBounds)
        XCTAssertEqual(material.samplerMinFilter, 9987)
        XCTAssertEqual(material.materialExtras, ["likeness_wrinkles": "wrinkles.json"])
        XCTAssertEqual(material.rootExtras, ["likeness_wrinkles": "wrinkles.json"])
        let image = try ImageDecoder.decode(Data(contentsOf: URL(fileURLWithPath: material.normalImagePath)))
        XCTAssertEqual(image, details.normalMap, "the embedded image is the normal map as given")
        let summary = try ImportedSummary(contentsOf: url)
        XCTAssertEqual(summary.targetNames.count, 52)
        XCTAssertEqual(summary.textureCount, 2, "base colour and normal map")
        // Only the extensions used are listed, still.
        let bytes = try Data(contentsOf: url)
        let container = try GLBContainer(bytes, path: url.path)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: bytes.subdata(in: container.jsonRange)) as? [String: Any])
        XCTAssertEqual((json["extensionsUsed"] as? [String]) ?? [], Array(GLTFExtensions.usedExtensions(json)))
        // Without a base colour the normal map still lands; a text glTF cannot take details.
        let bare = dir.appendingPathComponent("bare.glb")
        try GLBExporter.export(SyntheticModel.make(identityCount: 1, expressionCount: 2), details: GLBMaterialDetails(normalMap: details.normalMap), to: bare)
        let bareMaterial = try PyGLTF.material(bare, scratch: dir)
        XCTAssertFalse(bareMaterial.hasBaseColorTexture)
        XCTAssertNotNil(bareMaterial.normalTextureIndex)
        XCTAssertTrue(bareMaterial.bufferViewsInBounds)
        XCTAssertThrowsError(try GLBExporter.export(model, details: details, to: dir.appendingPathComponent("x.gltf"), format: "gltf2"))
    }

    func testOBJNamesTheNormalMap() throws {
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 1)
        let normal = Image(width: 4, height: 4, channels: 3, pixels: [UInt8]((0..<16).flatMap { _ in [128, 128, 255] as [UInt8] }))
        try ObjWriter.write(model, normalMap: normal, to: dir.appendingPathComponent("head.obj"))
        let mtl = try String(contentsOf: dir.appendingPathComponent("head.mtl"), encoding: .utf8)
        XCTAssertTrue(mtl.contains("norm head-normal.png\n") && mtl.contains("map_Bump head-normal.png\n"), mtl)
        XCTAssertFalse(mtl.contains("map_Kd"), "no base colour given")
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: dir.appendingPathComponent("head-normal.png")), normal)
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("head.obj"), encoding: .utf8).contains("mtllib head.mtl"))
    }

    /// The preview sheet renders each expression with D(w): with one mesh for all, a tile with
    /// the wrinkle's weight differs from the neutral tile on the face, a weight on a blendshape
    /// without a wrinkle changes nothing.
    func testPreviewSheetShowsWrinklesChangingWithTheWeights() throws {
        let model = EmbeddedHead.make()
        let mesh = try RenderMesh(model: model)
        let rig = try Self.rig(size: 128)
        let expressions: [[Float]] = [[], [0, 0, 1], [0, 1]]
        let sheet = try rig.previewSheet(expressions: expressions, mesh: { _ in mesh }, width: 96, height: 96)
        XCTAssertEqual([sheet.width, sheet.height], [4 + 3 * (96 + 4), 96 + 8])
        func tile(_ k: Int) -> [UInt8] {
            (0..<96).flatMap { y in (0..<(96 * 3)).map { sheet.pixels[((4 + y) * sheet.width + 4 + k * 100) * 3 + $0] } }
        }
        let neutral = tile(0), wrinkled = tile(1)
        let changed = zip(neutral, wrinkled).filter { abs(Int($0) - Int($1)) > 2 }.count
        XCTAssertGreaterThan(changed, 300, "the wrinkle shows")
        XCTAssertEqual(tile(2), neutral, "a blendshape without a wrinkle leaves the details alone")
        XCTAssertEqual(try Preview.detailSheet([(mesh, rig.neutral)], width: 96, height: 96),
                       try Preview.detailSheet([(mesh, rig.blend(weights: []))], width: 96, height: 96))
    }
}
