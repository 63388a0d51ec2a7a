import FaceDetect
import Foundation
import Training
import XCTest

/// `DatasetBuilder` on real photos and a real video from `../shared` (skips without them).
final class DatasetBuilderTests: XCTestCase {
    /// A video is one person: every stride-th frame, decoded with ffmpeg's libraries, becomes a
    /// detector-labelled sample named by its frame; annotated photos keep their `.pts`; the dataset
    /// reads back with one 256² RGB crop per sample.
    func testVideoFramesAndAnnotatedPhotosBuildOneDataset() throws {
        let video = try sharedData("data/video/lp_d0.mp4")
        let helen = try sharedData("data/faces-300w/helen-train")
        var builder = DatasetBuilder(sources: [.init(path: video.path, eachPhotoItsOwnPerson: false),
                                               .init(path: helen.path, eachPhotoItsOwnPerson: true)],
                                     frontEnd: try FaceFrontEnd.standard())
        builder.videoFrameStride = 10
        builder.limitPerSource = 3
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-dataset-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var reports: [(Int, Int)] = []
        let manifest = try builder.build(into: dir) { reports.append(($0, $1)) }

        let frames = manifest.samples.filter { $0.source == "lp_d0" }
        XCTAssertEqual(frames.map(\.name), ["lp_d0-frame-00001", "lp_d0-frame-00011", "lp_d0-frame-00021"])
        XCTAssertTrue(frames.allSatisfy { $0.person == "lp_d0" && $0.labels == "detector" })
        let photos = manifest.samples.filter { $0.source == "helen-train" }
        XCTAssertEqual(photos.count + manifest.rejected.filter { $0.source == "helen-train" }.count, 3)
        XCTAssertTrue(photos.allSatisfy { $0.labels == "pts" && $0.person.hasPrefix("helen-train/") })
        XCTAssertEqual(reports.last?.0, 6)

        let read = try FaceDataset(directory: dir)
        XCTAssertEqual(read.count, manifest.samples.count)
        XCTAssertEqual(read.crops.count, manifest.samples.count * 256 * 256 * 3)
        for sample in frames {
            // The labels lie on the face in the crop: inside it, spread over the template's scale.
            let xs = stride(from: 0, to: 136, by: 2).map { sample.landmarks[$0] }
            XCTAssertTrue(xs.allSatisfy { $0 > 0 && $0 < 256 })
            XCTAssertLessThan(sample.templateResidual, builder.maximumTemplateResidual)
        }
    }
}
