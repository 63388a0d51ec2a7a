import Foundation
import XCTest

/// Animatable details end to end through the binary: `likeness build` publishes a bundle with the
/// wrinkle rig (`wrinkles.json`, 16-bit displacements, normal maps, masks, preview, the detail
/// stage's report), the head GLB carries the neutral normal map and points at the rig, the manifest
/// records the detail networks; `render --details` draws the bundle's head with wrinkles that
/// follow `--expression`; `reconstruct --details` writes a photo's displacement. Needs ../shared.
final class DetailCommandTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try DaemonCLISupport.temporaryFolder("details") }
    override func tearDownWithError() throws { if let root { try? FileManager.default.removeItem(at: root) } }

    static let bush = ["George_W_Bush_0001.jpg", "George_W_Bush_0002.jpg", "George_W_Bush_0003.jpg", "George_W_Bush_0004.jpg"]
        .map { "data/people/george-w-bush/" + $0 }

    /// The JSON chunk of a GLB.
    func glbJSON(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        let length = data.subdata(in: 12..<16).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        return try JSONSerialization.jsonObject(with: data.subdata(in: 20..<(20 + Int(length)))) as! [String: Any]
    }

    func testBundleCarriesTheWrinkleRigAndRenderFollowsTheExpression() throws {
        let folder = root.appendingPathComponent("Inbox/george")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (i, relative) in Self.bush.enumerated() {
            try FileManager.default.copyItem(at: try DaemonCLISupport.sharedPhoto(relative), to: folder.appendingPathComponent("bush\(i).jpg"))
        }
        let library = root.appendingPathComponent("Library")
        let build = try LikenessBinary.run(["build", folder.path, "--library", library.path])
        XCTAssertEqual(build.status, 0, build.stderr + build.stdout)
        let bundle = library.appendingPathComponent("george/latest")

        let rig = try JSONSerialization.jsonObject(with: Data(contentsOf: bundle.appendingPathComponent("wrinkles.json"))) as! [String: Any]
        XCTAssertEqual(rig["format"] as? String, "likeness-wrinkles")
        let wrinkles = try XCTUnwrap(rig["wrinkles"] as? [[String: Any]])
        let names = Set(wrinkles.compactMap { $0["blendshape"] as? String })
        XCTAssertTrue(names.isSuperset(of: ["browInnerUp", "eyeSquintLeft", "mouthSmileLeft", "noseSneerLeft"]), "\(names)")
        for entry in wrinkles {
            for key in ["displacement", "normal_map", "mask"] {
                let path = try XCTUnwrap(entry[key] as? String, key)
                XCTAssertTrue(FileManager.default.fileExists(atPath: bundle.appendingPathComponent(path).path), path)
            }
        }
        for file in ["details/neutral-displacement.png", "details/neutral-normal.png", "details/preview.png", "details/transfer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: bundle.appendingPathComponent(file).path), file)
        }
        // 16-bit grey PNG: IHDR bit depth 16, colour type 0.
        let png = try Data(contentsOf: bundle.appendingPathComponent("details/neutral-displacement.png"))
        XCTAssertEqual(png[24], 16)
        XCTAssertEqual(png[25], 0)

        let gltf = try glbJSON(bundle.appendingPathComponent("head.glb"))
        let material = try XCTUnwrap((gltf["materials"] as? [[String: Any]])?.first)
        XCTAssertNotNil(material["normalTexture"], "the head's material has the details as a normal map")
        XCTAssertEqual((material["extras"] as? [String: Any])?["likeness_wrinkles"] as? String, "wrinkles.json")

        let manifest = String(decoding: try Data(contentsOf: bundle.appendingPathComponent("manifest.json")), as: UTF8.self)
        XCTAssertTrue(manifest.contains("detail-model") && manifest.contains("detail-teacher"), manifest)
        XCTAssertTrue(manifest.contains("wrinkles.json"), "the rig is part of the verified bundle")
        let verify = try LikenessBinary.run(["verify", "--library", library.path])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // Wrinkles follow the expression: the brow raise changes the render only with the rig's details.
        func render(_ extra: [String], _ name: String) throws -> Data {
            let out = root.appendingPathComponent(name)
            let r = try LikenessBinary.run(["render", "--expression", "browInnerUp=1", "--output", out.path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
            return try Data(contentsOf: out.appendingPathComponent("grey.png"))
        }
        let plain = try render([], "plain")
        let detailed = try render(["--details", bundle.path], "detailed")
        XCTAssertNotEqual(plain, detailed)
        let badRig = try LikenessBinary.run(["render", "--details", root.path])
        XCTAssertNotEqual(badRig.status, 0, "a folder without wrinkles.json is refused")
    }

    func testReconstructWritesThePhotosDisplacement() throws {
        let out = root.appendingPathComponent("out")
        let r = try LikenessBinary.run(["reconstruct", try DaemonCLISupport.sharedPhoto(Self.bush[0]).path, "-o", out.path, "--details"])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let photo = out.appendingPathComponent("George_W_Bush_0001")
        for file in ["details/displacement.png", "wrinkles.json", "details/neutral-normal.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: photo.appendingPathComponent(file).path), file)
        }
        XCTAssertNotNil(((try glbJSON(photo.appendingPathComponent("head.glb"))["materials"] as? [[String: Any]])?.first)?["normalTexture"])
    }
}
