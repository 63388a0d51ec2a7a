import Daemon
import Foundation
import Imaging
import Library
import Logging
import XCTest
import ShippedModels
@testable import LikenessCLI

/// The production stage on crafted bad inputs (typed rejections, nothing published) and, when
/// `../shared` is present, on a real face photo (a fitted head.glb).
final class ProductionStageTests: XCTestCase {
    var folder: URL!
    let alice = try! PersonName("alice")

    override func setUpWithError() throws { folder = try DaemonCLISupport.temporaryFolder("stage") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func photo(_ name: String, _ data: Data) throws -> StagePhoto {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return StagePhoto(name: name, path: url.path, sha256: SHA256.hex(data))
    }

    /// The progress a job reported, in order.
    final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [JobProgress] = []
        func add(_ p: JobProgress) { lock.withLock { list.append(p) } }
        var all: [JobProgress] { lock.withLock { list } }
    }

    func run(_ photos: [StagePhoto], reports: Reports = Reports()) throws -> (StageOutput, [String]) {
        let build = folder.appendingPathComponent("build")
        try FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        let output = try ProductionStage().build(StageRequest(person: alice, photos: photos, buildDirectory: build,
                                                             logger: Logger(label: "test"), reportProgress: reports.add))
        return (output, try FileManager.default.contentsOfDirectory(atPath: build.path).sorted())
    }

    func testCorruptBombAndNonImagesAreRejectedWithTypedReasons() throws {
        var gradient = Image(width: 96, height: 96, channels: 3)
        for y in 0..<96 { for x in 0..<96 { for c in 0..<3 { gradient.pixels[(y * 96 + x) * 3 + c] = UInt8((x + y * c) & 255) } } }
        let jpeg = try JPEGEncoder.encode(gradient)
        let photos = [
            try photo("truncated.jpg", jpeg.prefix(jpeg.count / 2)),
            try photo("bomb.png", DaemonCLISupport.pngDeclaring(width: 100_000, height: 100_000)),
            try photo("notes.jpg", Data("shopping list".utf8)),
            try photo("empty.jpg", Data()),
            try photo("anim.gif", Data("GIF89a".utf8) + Data(repeating: 0, count: 20)),
        ]
        let (output, files) = try run(photos)
        XCTAssertEqual(output.accepted, [])
        XCTAssertEqual(files, [], "nothing is left in the build folder when nothing is accepted")
        let kinds = Dictionary(uniqueKeysWithValues: output.rejected.map { ($0.name, $0.reason.kind) })
        XCTAssertEqual(kinds, ["truncated.jpg": .corrupt, "bomb.png": .tooLarge, "notes.jpg": .notAnImage,
                               "empty.jpg": .notAnImage, "anim.gif": .notAnImage])
        XCTAssertTrue(output.rejected.first { $0.name == "bomb.png" }!.reason.detail.contains("100000×100000"))
        XCTAssertEqual(Set(output.models.map(\.role)), ["face-detector", "landmarks", "face-model", "albedo-model", "base-model", "identity",
                                                           "detail-model", "detail-teacher"])
        let albedo = output.models.first { $0.role == "albedo-model" }!
        XCTAssertTrue(albedo.id.contains("sha256:\(ShippedModels.albedoModelSHA256)"), albedo.id)
        XCTAssertTrue(albedo.licence.contains("non-commercial"))
        XCTAssertTrue(output.models.allSatisfy { !$0.licence.isEmpty })
    }

    /// A JPEG whose frame header declares `width × height` (the screen reads only the header).
    func jpegDeclaring(width: Int, height: Int) throws -> Data {
        var bytes = [UInt8](try JPEGEncoder.encode(Image(width: 16, height: 16, channels: 3)))
        let sof = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        bytes[sof + 5] = UInt8(height >> 8); bytes[sof + 6] = UInt8(height & 0xFF)
        bytes[sof + 7] = UInt8(width >> 8); bytes[sof + 8] = UInt8(width & 0xFF)
        return Data(bytes)
    }

    func testLargeJPEGsPassTheScreenToBeDecodedDownscaled() throws {
        let stage = ProductionStage(base: nil)
        XCTAssertNil(stage.screen(try photo("camera.jpg", jpegDeclaring(width: 12_000, height: 12_000))),
                     "a 144-Mpixel photo is decoded at 1/2, not refused")
        let bomb = try XCTUnwrap(stage.screen(try photo("bomb.jpg", jpegDeclaring(width: 30_000, height: 30_000))))
        XCTAssertEqual(bomb.kind, .tooLarge)
        XCTAssertTrue(bomb.detail.contains("30000×30000") && bomb.detail.contains("even for a downscaled decode"), bomb.detail)
        let png = try XCTUnwrap(stage.screen(try photo("big.png", DaemonCLISupport.pngDeclaring(width: 12_000, height: 12_000))))
        XCTAssertEqual(png.kind, .tooLarge, "PNG cannot be decoded downscaled")
    }

    func testFacelessPhotoIsRejectedAsNoFace() throws {
        var plain = Image(width: 320, height: 240, channels: 3)
        for index in plain.pixels.indices { plain.pixels[index] = UInt8(90 + index % 7) }
        let (output, files) = try run([try photo("wall.png", try PNGEncoder.encode(plain))])
        XCTAssertEqual(output.accepted, [])
        XCTAssertEqual(output.rejected.map(\.reason.kind), [.noFace])
        XCTAssertEqual(files, [])
    }

    func testFacePhotoGivesAFittedHead() throws {
        let url = try DaemonCLISupport.sharedPhoto("data/sequences/obama/frame_0001.jpg")
        let data = try Data(contentsOf: url)
        let reports = Reports()
        let (output, files) = try run([try photo("obama.jpg", data), try photo("notes.jpg", Data("x".utf8))], reports: reports)
        XCTAssertEqual(output.accepted, [SHA256.hex(data)])
        // Progress goes forward through the stages and ends in the detail stage's last step.
        let progress = reports.all
        XCTAssertEqual(progress.map(\.percent), progress.map(\.percent).sorted(), "\(progress)")
        XCTAssertEqual(progress.first?.stage, .detection)
        let last = try XCTUnwrap(progress.last)
        XCTAssertEqual(last.stage, .details, "\(progress)")
        XCTAssertEqual(last.step, last.total)
        XCTAssertEqual(last.percent, 100)
        XCTAssertEqual(output.rejected.map(\.name), ["notes.jpg"])
        for name in ["head.glb", "head.obj", "head.png", "parameters", "preview.png", "summary.json"] {
            XCTAssertTrue(files.contains(name), "missing \(name) in \(files)")
        }
        XCTAssertFalse(files.contains(".work"))
        let glb = try Data(contentsOf: folder.appendingPathComponent("build/head.glb"))
        XCTAssertEqual(Array(glb.prefix(4)), Array("glTF".utf8))
        XCTAssertGreaterThan(output.statistics["secondsSharedFit"] ?? -1, 0)
        // Unseen skin is filled about the base network's α (the photos' mean).
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("build/summary.json"))) as! [String: Any]
        XCTAssertEqual((summary["textureFill"] as? [String: Any])?["fill"] as? String, "albedo-model+network-prior", "\(summary.keys)")
    }
}
