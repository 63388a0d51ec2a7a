@testable import Assets
import FaceModel
import Foundation
import XCTest
@testable import Retargeting

/// The retarget outputs: the animated GLB's keys and its re-import by assimp, the Live Link Face
/// CSV, the quaternion of a rotation.
final class RetargetOutputTests: XCTestCase {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-retarget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Three frames with a face (weights 0.1·k·(i+1) on shape k mod 5, a head turn growing by 0.1 rad
    /// of yaw per frame) and one lost frame between them.
    func frames(_ model: MorphableModel) -> [DriverFrame] {
        let n = model.expressionCount, p = 3 * model.joints.count
        return (0..<4).map { i in
            if i == 2 {
                return DriverFrame(index: i, timestamp: Double(i) * 0.04, name: "t", state: .lost, expression: [], pose: [],
                                   camera: nil, rawExpression: [], rawPose: [], landmarks: [])
            }
            let w = (0..<n).map { k in Float(k % 5) * 0.1 * Float(i + 1) / 4 }
            var pose = [Float](repeating: 0, count: p)
            pose[1] = 0.1 * Float(i)
            pose[6] = 0.05 * Float(i)     // jaw opens about +x
            pose[10] = 0.02 * Float(i)    // left eye turns about +y
            pose[13] = -0.02 * Float(i)   // right eye the other way
            return DriverFrame(index: i, timestamp: Double(i) * 0.04, name: "t", state: i == 0 ? .detected : .tracked,
                               expression: w, pose: pose, camera: OrthoCamera(scale: 1000, translation: [256, 256]),
                               rawExpression: w, rawPose: pose, landmarks: [])
        }
    }

    func testTimecodeAndCSVColumns() {
        XCTAssertEqual(RetargetOutput.timecode(1.5, frameRate: 25), "00:00:01:12.500")
        XCTAssertEqual(RetargetOutput.timecode(3725.04, frameRate: 25), "01:02:05:01.000")
        let model = EmbeddedHead.make()
        let csv = RetargetOutput.csv(frames(model), expressionNames: model.expressionNames, frameRate: 25)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.count, 4, "header + the 3 frames with a face (the lost one has no row)")
        XCTAssertEqual(rows[0].count, 2 + 52 + 9)
        XCTAssertEqual(rows[0][0], "Timecode")
        XCTAssertEqual(rows[0][2], "EyeBlinkLeft")
        XCTAssertEqual(rows[0].last, "RightEyeRoll")
        XCTAssertEqual(rows[1][1], "61")
        XCTAssertEqual(rows[3][0], "00:00:00:03.000")
        // Every ARKit name of the model maps to a column: JawOpen carries jawOpen's weight.
        let jaw = model.expressionNames.firstIndex(of: "jawOpen")!
        let column = rows[0].firstIndex(of: "JawOpen")!
        XCTAssertEqual(Float(rows[3][column])!, frames(model)[3].expression[jaw], accuracy: 1e-6)
        let yaw = rows[0].firstIndex(of: "HeadYaw")!
        XCTAssertEqual(Float(rows[3][yaw])!, 0.3, accuracy: 1e-5)
        XCTAssertEqual(Set(rows[0].dropFirst(2).prefix(52)).count, 52)
        XCTAssertEqual(Set(model.expressionNames.map { $0.prefix(1).uppercased() + $0.dropFirst() }),
                       Set(RetargetOutput.liveLinkNames))
    }

    func testQuaternionOfRotation() {
        for v in [SIMD3<Float>(0.3, -0.2, 0.1), SIMD3<Float>(0, 2.9, 0), SIMD3<Float>(-1.2, 0.4, 2.0)] {
            let q = RetargetOutput.quaternion(Rodrigues.matrix(v))
            let angle = (v * v).sum().squareRoot(), axis = v / angle
            let expected = SIMD4<Float>(axis.x * sin(angle / 2), axis.y * sin(angle / 2), axis.z * sin(angle / 2), cos(angle / 2))
            let sign: Float = (q * expected).sum() < 0 ? -1 : 1
            for c in 0..<4 { XCTAssertEqual(sign * q[c], expected[c], accuracy: 1e-5) }
        }
    }

    func testAnimatedGLBKeysAndReadsInAssimp() throws {
        let model = EmbeddedHead.make()
        let folder = try scratch()
        let url = folder.appendingPathComponent("animation.glb")
        let frames = frames(model)
        let keys = try RetargetOutput.writeGLB(frames, target: RetargetTarget(name: "t", identity: [], texture: nil), model: model,
                                               clip: "clip", to: url)
        XCTAssertEqual(keys, 3)
        let imported = try ImportedSummary(contentsOf: url)
        XCTAssertEqual(imported.targetNames, model.expressionNames, "assimp still reads the edited GLB")

        // The animation as written (pygltflib reads GLBAnimation's output in AssetsTests).
        let (json, bin) = try GLBAnimation.split(try Data(contentsOf: url))
        let animation = try XCTUnwrap((json["animations"] as? [[String: Any]])?.first)
        XCTAssertEqual(animation["name"] as? String, "clip")
        let nodes = json["nodes"] as! [[String: Any]]
        let accessors = json["accessors"] as! [[String: Any]], views = json["bufferViews"] as! [[String: Any]]
        func floats(_ accessor: Int) -> [Float] {
            let a = accessors[accessor], v = views[a["bufferView"] as! Int]
            let width = a["type"] as! String == "VEC4" ? 4 : 1, start = v["byteOffset"] as! Int
            return (0..<(width * (a["count"] as! Int))).map { i in
                bin.subdata(in: (start + 4 * i)..<(start + 4 * i + 4)).withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
            }
        }
        struct Channel { var path: String; var node: [String: Any]; var times: [Float]; var values: [Float]; var interpolation: String }
        let samplers = animation["samplers"] as! [[String: Any]]
        let channels = (animation["channels"] as! [[String: Any]]).map { c -> Channel in
            let target = c["target"] as! [String: Any], sampler = samplers[c["sampler"] as! Int]
            return Channel(path: target["path"] as! String, node: nodes[target["node"] as! Int], times: floats(sampler["input"] as! Int),
                           values: floats(sampler["output"] as! Int), interpolation: sampler["interpolation"] as! String)
        }
        let weights = try XCTUnwrap(channels.first { $0.path == "weights" })
        XCTAssertNotNil(weights.node["mesh"])
        XCTAssertEqual(weights.interpolation, "LINEAR")
        XCTAssertEqual(weights.times, [0, 0.04, 0.12], "keyed at the source timestamps of the frames with a face")
        XCTAssertEqual(weights.values.count, 3 * model.expressionCount)
        // The jaw joint is keyed, so the weights are ψ as estimated (θ_jaw is not folded into jawOpen).
        let expected = [0, 1, 3].flatMap { frames[$0].expression }
        for (a, b) in zip(weights.values, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(RetargetOutput.glbWeights(frames[3], expressionNames: model.expressionNames, jawJoint: true), frames[3].expression)
        let jawOpen = model.expressionNames.firstIndex(of: "jawOpen")!
        XCTAssertEqual(RetargetOutput.glbWeights(frames[3], expressionNames: model.expressionNames, jawJoint: false)[jawOpen],
                       min(1, frames[3].expression[jawOpen] + 0.15 / EmbeddedHead.jawOpenAngle), accuracy: 1e-6,
                       "without a jaw joint the jaw's opening is folded into jawOpen")
        // Jaw and eyes: a rotation channel each on the skin's joint of that name, at the same times,
        // the frame's θ_j as a unit quaternion.
        for (j, name) in [(2, "jaw"), (3, "leftEye"), (4, "rightEye")] {
            let channel = try XCTUnwrap(channels.first { $0.path == "rotation" && $0.node["name"] as? String == name }, name)
            XCTAssertEqual(channel.times, weights.times, name)
            XCTAssertEqual(channel.values.count, 12, name)
            for (k, f) in [0, 1, 3].enumerated() {
                let q = RetargetOutput.quaternion(Rodrigues.matrix(frames[f].rotation(ofJoint: j)))
                for c in 0..<4 { XCTAssertEqual(channel.values[4 * k + c], q[c], accuracy: 1e-6, "\(name) key \(k)") }
            }
        }
        XCTAssertEqual(channels.filter { $0.path == "rotation" }.count, 4, "head, jaw and two eyes")
        let rotation = try XCTUnwrap(channels.first { $0.path == "rotation" && $0.node["name"] as? String == "global" })
        // The GLB is skinned, and a skinned mesh ignores its node's transform: the head turns by
        // the skin's root joint.
        XCTAssertEqual(rotation.node["name"] as? String, "global")
        let meshNode = try XCTUnwrap(nodes.first { $0["mesh"] != nil })
        XCTAssertNotNil(meshNode["skin"], "the mesh is skinned")
        XCTAssertEqual(rotation.values.count, 12)
        // Frame 3: yaw 0.3 rad about +y → (0, sin 0.15, 0, cos 0.15).
        XCTAssertEqual(rotation.values[9], sin(0.15), accuracy: 1e-5)
        XCTAssertEqual(rotation.values[11], cos(0.15), accuracy: 1e-5)
    }
}
