import Foundation
import Imaging
import XCTest

/// `likeness retarget` end to end: a person fitted from two frames of the Obama sequence, driven by
/// lp_d0.mp4 (78 frames, 25 fps) and by photos, one of them without a face.
final class RetargetCommandTests: XCTestCase {
    static func shared(_ relative: String) throws -> URL {
        let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(relative) not found under \(root.path) (set LIKENESS_SHARED)") }
        return url
    }

    func testRetargetVideoAndPhotosOntoAFittedPerson() throws {
        let video = try Self.shared("data/video/lp_d0.mp4")
        let sequence = try Self.shared("data/sequences/obama")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-retarget-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = folder.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["frame_0001.jpg", "frame_0020.jpg"] {
            try FileManager.default.copyItem(at: sequence.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        let person = folder.appendingPathComponent("person")
        let fit = try LikenessBinary.run(["fit", photos.path, "-o", person.path, "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)

        let out = folder.appendingPathComponent("out")
        let result = try LikenessBinary.run(["retarget", "--person", person.path, video.path, "-o", out.path, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        XCTAssertTrue(result.stdout.contains("lp_d0: 78 frames"), result.stdout)
        for file in ["animation.glb", "arkit.csv", "retarget.json", "preview.png", "preview.mp4"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("retarget.json"))) as! [String: Any]
        let frames = json["frames"] as! [[String: Any]]
        XCTAssertEqual(frames.count, 78)
        XCTAssertEqual(frames[1]["timestamp"] as! Double, 0.04, accuracy: 1e-9)
        XCTAssertEqual(frames[0]["state"] as? String, "detected")
        XCTAssertGreaterThan(frames.filter { $0["state"] as? String == "tracked" }.count, 60, "detected once, then tracked")
        let csv = try String(contentsOf: out.appendingPathComponent("arkit.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + (json["framesWithFace"] as! Int))
        XCTAssertTrue(csv[0].hasPrefix("Timecode,BlendShapeCount,EyeBlinkLeft,"))
        let glb = try Data(contentsOf: out.appendingPathComponent("animation.glb"))
        XCTAssertEqual(Array(glb.prefix(4)), Array("glTF".utf8))
        let mp4 = try Data(contentsOf: out.appendingPathComponent("preview.mp4"))
        XCTAssertEqual(String(decoding: mp4[4..<8], as: UTF8.self), "ftyp")

        // Photos form one clip; a picture without a face is marked, not fatal; a text file passed
        // as a video is skipped with its typed reason.
        let noFace = folder.appendingPathComponent("blank.png")
        try PNGEncoder.encode(Image(width: 96, height: 96, channels: 3, pixels: [UInt8](repeating: 128, count: 96 * 96 * 3)))
            .write(to: noFace)
        let text = folder.appendingPathComponent("notes.txt")
        try "not a video".write(to: text, atomically: true, encoding: .utf8)
        let mixed = folder.appendingPathComponent("mixed")
        let second = try LikenessBinary.run(["retarget", "--person", person.path, photos.appendingPathComponent("frame_0020.jpg").path,
                                             noFace.path, text.path, "-o", mixed.path, "--quiet"])
        XCTAssertEqual(second.status, 0, second.stderr + second.stdout)
        XCTAssertTrue(second.stdout.contains("blank: no usable face (marked)"), second.stdout)
        XCTAssertTrue(second.stdout.contains("skipped notes.txt: The file is not a video"), second.stdout)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: mixed.appendingPathComponent("photos/retarget.json"))) as! [String: Any]
        XCTAssertEqual((record["frames"] as! [[String: Any]]).map { $0["state"] as! String }, ["detected", "lost"])
    }
}
