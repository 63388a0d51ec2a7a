import FaceModel
import Foundation
import XCTest
@testable import Assets

/// `GLBAnimation` read back by pygltflib (a glTF library that is not ours): the weights channel on
/// the mesh's node, the rotation on the skin's root joint, key times and values as written; and
/// assimp still imports the edited file.
final class GLBAnimationTests: XCTestCase {
    static let script = """
        import json, struct, sys
        from pygltflib import GLTF2
        gltf = GLTF2().load(sys.argv[1])
        blob = gltf.binary_blob()
        def read(index):
            a = gltf.accessors[index]; v = gltf.bufferViews[a.bufferView]
            width = {"SCALAR": 1, "VEC4": 4}[a.type]
            return list(struct.unpack_from("<%df" % (width * a.count), blob, (v.byteOffset or 0) + (a.byteOffset or 0)))
        anim = gltf.animations[0]
        channels = []
        for ch in anim.channels:
            s = anim.samplers[ch.sampler]; node = gltf.nodes[ch.target.node]
            channels.append({"path": ch.target.path, "node": node.name or "", "hasMesh": node.mesh is not None,
                             "rest": node.rotation or [0, 0, 0, 1],
                             "times": read(s.input), "values": read(s.output), "interpolation": s.interpolation})
        mesh_node = [n for n in gltf.nodes if n.mesh is not None][0]
        joints = [gltf.nodes[j].name for j in gltf.skins[mesh_node.skin].joints] if mesh_node.skin is not None else []
        print("GLTF:" + json.dumps({"name": anim.name, "channels": channels, "joints": joints,
                                    "targets": len(gltf.meshes[0].primitives[0].targets)}))
        """

    struct Read: Decodable {
        struct Channel: Decodable {
            var path: String; var node: String; var hasMesh: Bool; var rest: [Float]; var times: [Float]; var values: [Float]; var interpolation: String
        }
        var name: String
        var channels: [Channel]
        var joints: [String]
        var targets: Int
    }

    func testAnimationReadsInPygltflibAndAssimp() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-glbanim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 3)
        let url = folder.appendingPathComponent("a.glb")
        try GLBExporter.export(model, to: url)
        let times: [Float] = [0.5, 0.54, 0.62]
        let weights: [[Float]] = [[0, 0.1, 0.2], [0.3, 0.4, 0.5], [1, 0, 0.25]]
        let half = Float(0.2).squareRoot() / 2
        let rotations: [SIMD4<Float>] = [[0, 0, 0, 1], [0, sin(0.1), 0, cos(0.1)], [half, 0, 0, (1 - half * half).squareRoot()]]
        try GLBAnimation.add(to: url, name: "clip", times: times, weights: weights, rotations: rotations, pivot: [0, 0.1, -0.02])
        XCTAssertEqual(try ImportedSummary(contentsOf: url).targetNames, model.expressionNames)

        let read = try readAnimation(url, scratch: folder)
        XCTAssertEqual(read.name, "clip")
        XCTAssertEqual(read.targets, 3)
        XCTAssertEqual(read.joints, model.joints.map(\.name), "the GLB is skinned")
        let w = try XCTUnwrap(read.channels.first { $0.path == "weights" })
        XCTAssertTrue(w.hasMesh)
        // three.js binds a track on a node named "root" to the object the mixer plays, never to
        // the mesh (PropertyBinding.findNode), so the mesh's node must not be called that.
        XCTAssertEqual(w.node, "face")
        XCTAssertEqual(w.interpolation, "LINEAR")
        XCTAssertEqual(w.times, times)
        XCTAssertEqual(w.values, weights.flatMap { $0 })
        let r = try XCTUnwrap(read.channels.first { $0.path == "rotation" })
        // A skinned mesh ignores its node's transform: the head turns by the skin's root joint
        // (whose rest rotation is the identity, so the keys are stored as given).
        XCTAssertEqual(r.node, "global")
        for (a, b) in zip(r.values, rotations.flatMap { [$0.x, $0.y, $0.z, $0.w] }) { XCTAssertEqual(a, b, accuracy: 1e-6) }

        XCTAssertThrowsError(try GLBAnimation.add(to: url, name: "bad", times: [0, 1], weights: [[0, 0], [0, 0]], rotations: [],
                                                  pivot: .zero)) { error in
            guard case .mismatch = error as? GLBAnimation.Error else { return XCTFail("\(error)") }
        }
    }

    /// Reads the GLB's first animation with pygltflib.
    func readAnimation(_ url: URL, scratch: URL) throws -> Read {
        let python = try PyGLTF.venvPython()
        let scriptURL = scratch.appendingPathComponent("read.py")
        try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let (status, output) = try PyGLTF.run(python, [scriptURL.path, url.path])
        XCTAssertEqual(status, 0, output)
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("GLTF:") }, output)
        return try JSONDecoder().decode(Read.self, from: Data(line.dropFirst(5).utf8))
    }

    /// Jaw and eye joints keyed by name: one rotation channel per joint on the skin's node of that
    /// name, sharing the weights' key times, unit quaternions equal to the keys composed with the
    /// joint's rest rotation; a joint the skin lacks is a mismatch.
    func testJointRotationChannelsOnTheSkinsJoints() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-glbjoints-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SyntheticModel.make(identityCount: 1, expressionCount: 2)
        let url = folder.appendingPathComponent("a.glb")
        try GLBExporter.export(model, to: url)
        XCTAssertEqual(try GLBAnimation.skinJointNames(of: url), model.joints.map(\.name))
        let times: [Float] = [0, 0.04, 0.08, 0.2]
        func q(_ axis: SIMD3<Float>, _ angle: Float) -> SIMD4<Float> { SIMD4(axis * sin(angle / 2), cos(angle / 2)) }
        let keys: [(joint: String, rotations: [SIMD4<Float>])] = [
            ("jaw", times.map { q([1, 0, 0], 2 * $0) }),
            ("eye_left", times.map { q([0, 1, 0], -$0) }),
            ("eye_right", times.map { q([0.6, 0.8, 0], $0) }),
        ]
        try GLBAnimation.add(to: url, name: "joints", times: times, weights: times.map { [$0, 1 - $0] },
                             rotations: times.map { q([0, 1, 0], $0) }, jointRotations: keys, pivot: .zero)
        XCTAssertEqual(try ImportedSummary(contentsOf: url).targetNames, model.expressionNames, "assimp still reads it")

        let read = try readAnimation(url, scratch: folder)
        XCTAssertEqual(read.channels.filter { $0.path == "weights" }.count, 1)
        XCTAssertEqual(read.channels.filter { $0.path == "rotation" }.map(\.node).sorted(), ["eye_left", "eye_right", "global", "jaw"])
        for (joint, rotations) in keys {
            let channel = try XCTUnwrap(read.channels.first { $0.node == joint && $0.path == "rotation" }, joint)
            XCTAssertEqual(channel.times, times, joint)
            XCTAssertEqual(channel.values.count, 4 * times.count, joint)
            XCTAssertEqual(channel.interpolation, "LINEAR")
            let rest = SIMD4(channel.rest[0], channel.rest[1], channel.rest[2], channel.rest[3])
            for (k, key) in rotations.enumerated() {
                let value = SIMD4(channel.values[4 * k], channel.values[4 * k + 1], channel.values[4 * k + 2], channel.values[4 * k + 3])
                XCTAssertEqual((value * value).sum(), 1, accuracy: 1e-5, "\(joint) key \(k) is a unit quaternion")
                let expected = GLBAnimation.multiply(key, rest)
                for c in 0..<4 { XCTAssertEqual(value[c], expected[c], accuracy: 1e-6, "\(joint) key \(k)") }
            }
        }

        try GLBExporter.export(model, to: url)
        for bad: [(joint: String, rotations: [SIMD4<Float>])] in [[("leftEye", keys[0].rotations)], [("jaw", [keys[0].rotations[0]])]] {
            XCTAssertThrowsError(try GLBAnimation.add(to: url, name: "bad", times: times, weights: times.map { [$0, 0] }, rotations: [],
                                                      jointRotations: bad, pivot: .zero)) { error in
                guard case .mismatch = error as? GLBAnimation.Error else { return XCTFail("\(error)") }
            }
        }
    }
}
