import Foundation
import Imaging
import Library
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

    /// The target person: `likeness fit` on two frames of the Obama sequence, copied to
    /// `<folder>/photos`, written to `<folder>/person`.
    static func fittedPerson(in folder: URL) throws -> (photos: URL, person: URL) {
        let sequence = try shared("data/sequences/obama")
        let photos = folder.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["frame_0001.jpg", "frame_0020.jpg"] {
            try FileManager.default.copyItem(at: sequence.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        let person = folder.appendingPathComponent("person")
        let fit = try LikenessBinary.run(["fit", photos.path, "-o", person.path, "--quiet"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        return (photos, person)
    }

    func testRetargetVideoAndPhotosOntoAFittedPerson() throws {
        let video = try Self.shared("data/video/lp_d0.mp4")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-retarget-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (photos, person) = try Self.fittedPerson(in: folder)

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

    /// `--driver`: the driver's own adapters (made by `likeness adapt` on four photos (its minimum) of George W.
    /// Bush, no hold-out so they are always written) estimate the frames; retarget.json records
    /// the driver and the adapters' SHA-256, and the estimates differ from the base model's on the
    /// same photos. A driver without adapters is a clear usage error (exit 64), nothing written.
    func testDriverModelDrivesAndIsRecorded() throws {
        let folder = try DaemonCLISupport.temporaryFolder("retarget-driver")
        defer { try? FileManager.default.removeItem(at: folder) }
        func copy(_ names: [String], into name: String) throws -> URL {
            let target = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for n in names {
                try FileManager.default.copyItem(at: try DaemonCLISupport.sharedPhoto("data/people/george-w-bush/\(n)"),
                                                 to: target.appendingPathComponent(n))
            }
            return target
        }
        let training = try copy(["George_W_Bush_0001.jpg", "George_W_Bush_0002.jpg", "George_W_Bush_0003.jpg", "George_W_Bush_0004.jpg"],
                                into: "Inbox/george")
        let driving = try copy(["George_W_Bush_0005.jpg", "George_W_Bush_0006.jpg"], into: "driving")
        let (photos, person) = try Self.fittedPerson(in: folder)
        let driver = folder.appendingPathComponent("george")
        let adapt = try LikenessBinary.run(["adapt", training.path, "-o", driver.path, "--holdout", "0", "--steps", "12", "--quiet"])
        XCTAssertEqual(adapt.status, 0, adapt.stderr + adapt.stdout)
        let adapters = driver.appendingPathComponent("adapters.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: adapters.path), adapt.stdout)

        func retarget(_ extra: [String], _ name: String) throws -> (result: CommandResult, out: URL) {
            let out = folder.appendingPathComponent(name)
            let result = try LikenessBinary.run(["retarget", "--person", person.path, driving.path, "-o", out.path, "--quiet",
                                                 "--library", folder.appendingPathComponent("Library").path] + extra)
            return (result, out)
        }
        func record(_ out: URL) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("retarget.json"))) as! [String: Any]
        }
        let driven = try retarget(["--driver", driver.path], "driven")
        XCTAssertEqual(driven.result.status, 0, driven.result.stderr + driven.result.stdout)
        for file in ["animation.glb", "arkit.csv", "retarget.json", "preview.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: driven.out.appendingPathComponent(file).path), file)
        }
        let json = try record(driven.out)
        let recorded = try XCTUnwrap(json["driver"] as? [String: Any], "retarget.json records the driver's model")
        XCTAssertEqual(recorded["name"] as? String, "george")
        XCTAssertEqual(recorded["adapters"] as? String, adapters.path)
        XCTAssertEqual(recorded["adaptersSHA256"] as? String, SHA256.hex(try Data(contentsOf: adapters)))
        XCTAssertEqual(json["framesWithFace"] as? Int, 2)

        let base = try retarget([], "base")
        XCTAssertEqual(base.result.status, 0, base.result.stderr + base.result.stdout)
        let baseJSON = try record(base.out)
        XCTAssertNil(baseJSON["driver"], "no driver, no driver record")
        func raw(_ json: [String: Any]) -> [Double] {
            (json["frames"] as! [[String: Any]]).flatMap { ($0["rawExpression"] as! [NSNumber]).map(\.doubleValue) }
        }
        let (a, b) = (raw(json), raw(baseJSON))
        XCTAssertEqual(a.count, b.count)
        XCTAssertGreaterThan(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 1e-4, "the driver's adapters change the estimates")

        let noAdapters = try retarget(["--driver", photos.path], "none")
        XCTAssertEqual(noAdapters.result.status, 64, noAdapters.result.stdout)
        XCTAssertTrue(noAdapters.result.stderr.contains("no adapters for driver"), noAdapters.result.stderr)
        let unknown = try retarget(["--driver", "nobody"], "unknown")
        XCTAssertEqual(unknown.result.status, 64, unknown.result.stdout)
        XCTAssertTrue(unknown.result.stderr.contains("no adapters for nobody"), unknown.result.stderr)
        for name in ["none", "unknown"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "nothing written")
        }
    }
}
