import Foundation
import Imaging
import XCTest
@testable import Video

/// The reader against what ffprobe reports for two clips of ../shared/data/video, typed errors for
/// bad files, and an encode → decode round trip.
final class VideoTests: XCTestCase {
    /// `../shared/<relative>` or `$LIKENESS_SHARED/<relative>`; skips when absent.
    static func shared(_ relative: String) throws -> URL {
        let root = ProcessInfo.processInfo.environment["LIKENESS_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared").standardized
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(relative) not found under \(root.path) (set LIKENESS_SHARED); skipping")
        }
        return url
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// ffprobe -count_frames: lp_d0.mp4 is h264 512×512, r = avg = 25/1, 78 frames, best-effort
    /// timestamps 0.000, 0.040, …, 3.040 (time base 1/12800).
    func testConstantRateClipMatchesFFprobe() throws {
        let reader = try VideoReader(contentsOf: try Self.shared("data/video/lp_d0.mp4"))
        XCTAssertEqual(reader.codecName, "h264")
        XCTAssertEqual(reader.width, 512)
        XCTAssertEqual(reader.height, 512)
        XCTAssertEqual(reader.frameRate, 25, accuracy: 1e-9)
        XCTAssertEqual(reader.nominalFrameRate, 25, accuracy: 1e-9)
        XCTAssertEqual(reader.declaredFrameCount, 78)
        XCTAssertEqual(reader.duration ?? 0, 3.12, accuracy: 1e-6)
        let frames = try reader.readAll()
        XCTAssertEqual(frames.count, 78)
        for (i, f) in frames.enumerated() {
            XCTAssertEqual(f.index, i)
            XCTAssertEqual(f.timestamp, Double(i) * 0.04, accuracy: 1e-6)
            XCTAssertEqual(f.image.width, 512)
            XCTAssertEqual(f.image.channels, 3)
        }
        // A real picture, not a blank buffer: the frame's pixels spread over most of the range.
        let pixels = frames[40].image.pixels
        XCTAssertGreaterThan(Int(pixels.max()!) - Int(pixels.min()!), 150)
        XCTAssertNil(try reader.next(), "the reader stays at the end")
    }

    /// ffprobe: vr_1.mp4 is h264 700×700, r_frame_rate 30/1, avg_frame_rate 1350/61 (a variable
    /// rate: 48 of its 134 steps are 2/30 s, the rest 1/30 s), 135 frames, time base 1/15360, first timestamp
    /// 0.033008 (pts 507), then 0.099674, 0.133008, …, last 6.099674.
    func testVariableRateClipKeepsTimestamps() throws {
        let reader = try VideoReader(contentsOf: try Self.shared("data/video/vr_1.mp4"))
        XCTAssertEqual(reader.width, 700)
        XCTAssertEqual(reader.nominalFrameRate, 30, accuracy: 1e-9)
        XCTAssertEqual(reader.frameRate, 1350.0 / 61, accuracy: 1e-9)
        let frames = try reader.readAll()
        XCTAssertEqual(frames.count, 135)
        XCTAssertEqual(frames[0].timestamp, 507.0 / 15360, accuracy: 1e-9)
        XCTAssertEqual(frames[1].timestamp, 0.099674, accuracy: 1e-6)
        XCTAssertEqual(frames[2].timestamp, 0.133008, accuracy: 1e-6)
        XCTAssertEqual(frames[134].timestamp, 6.099674, accuracy: 1e-6)
        let steps = zip(frames.dropFirst(), frames).map { $0.timestamp - $1.timestamp }
        XCTAssertEqual(steps.filter { abs($0 - 2.0 / 30) < 1e-3 }.count, 48)
        XCTAssertEqual(steps.filter { abs($0 - 1.0 / 30) < 1e-3 }.count, 86)
    }

    func testTruncatedClipWithoutIndexIsTruncated() throws {
        let source = try Data(contentsOf: try Self.shared("data/video/lp_d0.mp4"))
        let cut = try scratch().appendingPathComponent("cut.mp4")
        try source.prefix(source.count / 2).write(to: cut)
        XCTAssertThrowsError(try VideoReader(contentsOf: cut)) { error in
            XCTAssertEqual(error as? VideoError, .truncated(decodedFrames: 0, declaredFrames: nil))
        }
    }

    func testTextEmptyMissingAndTooLargeFilesGiveTypedErrors() throws {
        let folder = try scratch()
        let text = folder.appendingPathComponent("notes.txt")
        try String(repeating: "This is a shopping list, not a video.\n", count: 50).write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try VideoReader(contentsOf: text)) { error in
            guard case .notVideo = error as? VideoError else { return XCTFail("\(error)") }
        }
        let renamed = folder.appendingPathComponent("notes.mp4")
        try FileManager.default.copyItem(at: text, to: renamed)
        XCTAssertThrowsError(try VideoReader(contentsOf: renamed)) { error in
            guard case .notVideo = error as? VideoError else { return XCTFail("\(error)") }
        }
        let empty = folder.appendingPathComponent("empty.mp4")
        try Data().write(to: empty)
        XCTAssertThrowsError(try VideoReader(contentsOf: empty)) { XCTAssertEqual($0 as? VideoError, .emptyFile) }
        XCTAssertThrowsError(try VideoReader(contentsOf: folder.appendingPathComponent("missing.mp4"))) { error in
            guard case .io = error as? VideoError else { return XCTFail("\(error)") }
        }
        let clip = folder.appendingPathComponent("clip.mp4")
        try writeGradientClip(clip, frames: 3)
        XCTAssertThrowsError(try VideoReader(contentsOf: clip, limits: VideoLimits(maxPixels: 96 * 64 - 1))) {
            XCTAssertEqual($0 as? VideoError, .tooLarge(width: 96, height: 64, maxPixels: 96 * 64 - 1))
        }
        XCTAssertThrowsError(try VideoReader(contentsOf: clip, limits: VideoLimits(maxSeconds: 0.01))) { error in
            guard case .tooLong = error as? VideoError else { return XCTFail("\(error)") }
        }
    }

    /// 96×64 frames of a moving gradient at 25 fps.
    func gradient(_ t: Int) -> Image {
        var image = Image(width: 96, height: 64, channels: 3)
        for y in 0..<64 { for x in 0..<96 {
            image[x, y, 0] = UInt8((x * 2 + t * 8) % 256)
            image[x, y, 1] = UInt8(y * 3)
            image[x, y, 2] = UInt8(128)
        } }
        return image
    }

    @discardableResult
    func writeGradientClip(_ url: URL, frames: Int) throws -> String {
        let writer = try VideoWriter(url: url, width: 96, height: 64, frameRate: 25)
        for t in 0..<frames { try writer.write(gradient(t), timestamp: Double(t) * 0.04) }
        try writer.finish()
        return writer.codecName
    }

    /// Encode 20 frames, decode them: the same count, timestamps and (lossy) pixels within a few levels.
    func testEncodeDecodeRoundTrip() throws {
        let clip = try scratch().appendingPathComponent("round.mp4")
        let codec = try writeGradientClip(clip, frames: 20)
        XCTAssertEqual(codec, "libx264", "Debian's libavcodec encodes H.264 with libx264")
        let reader = try VideoReader(contentsOf: clip)
        XCTAssertEqual(reader.codecName, "h264")
        XCTAssertEqual(reader.frameRate, 25, accuracy: 0.01)
        let frames = try reader.readAll()
        XCTAssertEqual(frames.count, 20)
        for (t, f) in frames.enumerated() {
            XCTAssertEqual(f.timestamp - frames[0].timestamp, Double(t) * 0.04, accuracy: 1e-3)
            let reference = gradient(t).pixels
            let error = zip(f.image.pixels, reference).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            XCTAssertLessThan(Double(error) / Double(reference.count), 6, "frame \(t)")
        }
    }

    /// The writer puts the index first (faststart), so a copy cut short opens and decodes the
    /// frames it holds, then reports the ones it lost.
    func testTruncatedIndexedClipReportsDecodedAndDeclaredFrames() throws {
        let folder = try scratch()
        let clip = folder.appendingPathComponent("whole.mp4")
        try writeGradientClip(clip, frames: 50)
        let data = try Data(contentsOf: clip)
        let cut = folder.appendingPathComponent("cut.mp4")
        try data.prefix(data.count * 8 / 10).write(to: cut)
        let reader = try VideoReader(contentsOf: cut)
        XCTAssertEqual(reader.declaredFrameCount, 50)
        var decoded = 0
        XCTAssertThrowsError(try { while try reader.next() != nil { decoded += 1 } }()) { error in
            guard case let .truncated(frames, declared) = error as? VideoError else { return XCTFail("\(error)") }
            XCTAssertEqual(frames, decoded)
            XCTAssertEqual(declared, 50)
            XCTAssertGreaterThan(frames, 0)
            XCTAssertLessThan(frames, 50)
        }
    }
}
