import ArgumentParser
import Checksum
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Library
import Reconstruction
import Render
import Retargeting
import Training
import Video

/// `likeness retarget`: the expressions, jaw, eyes and head rotation of driving photos or video
/// on a person's head (their identity kept).
struct Retarget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retarget",
        abstract: "Drive a person's head with the expressions and head pose of driving photos or video.",
        discussion: """
            Per frame: the driver's 52 ARKit weights, jaw, eyes and head rotation from the base model \
            (or the driver's own person-specific model, --driver), refined by the landmark fit with \
            --refine; only those transfer, the person keeps their identity. Video is read in process \
            (ffmpeg's libraries): the face is detected once, then tracked from the previous frame's \
            landmarks (re-detected on loss) and filtered per channel (One-Euro); frames without a face \
            are marked, never fatal. Driving photos form one clip (frame i at i seconds); each video is \
            its own clip, written to <output>/ (or <output>/<clip>/ when there are several): \
            animation.glb (the person's head, morph-target weights keyed at the source timestamps, \
            head rotation on the skin's root joint, jaw and eye rotations on their joints), arkit.csv \
            (Live Link Face's columns), retarget.json (every frame, lost ones marked; with --driver, \
            the driver's adapters and their sha256), preview.png (driving frame beside the retargeted \
            head) and, for video, preview.mp4.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Driving photos, folders of photos, or videos.")
    var inputs: [String]

    @Option(help: "The person to drive: a name in --library or a bundle folder (any folder with a summary.json identity).")
    var person: String

    @Option(help: "The driver's own bundle (name, bundle folder or adapters.safetensors): estimate with their person-specific model.")
    var driver: String?

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Flag(help: "Refine each frame's estimate by the classical landmark fit.")
    var refine = false

    @Option(help: "The Library that --person and --driver names are looked up in.")
    var library = "./Library"

    @Option(help: "A trained model (safetensors from train-base) instead of the shipped one.")
    var weights: String?

    @Option(help: "Frames in preview.png.")
    var sheetFrames = 8

    @Flag(help: "Skip preview.mp4 (the slowest output: every frame rendered).")
    var noVideoPreview = false

    static let videoExtensions: Set<String> = ["mp4", "mov", "m4v", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "mts", "flv", "wmv", "3gp"]

    func run() throws {
        let logger = global.makeLogger("likeness.retarget")
        let model = EmbeddedHead.make()
        let shipped = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try shipped.check(model)
        let driverModel = try driver.map(driverRecord)
        let network = try driverModel.map { try PersonTransfer.personModel(shipped, adapters: URL(fileURLWithPath: $0.adapters)) } ?? shipped
        if let driverModel { print("driver \(driverModel.name): adapters \(driverModel.adapters) (sha256 \(driverModel.adaptersSHA256.prefix(12)))") }
        let target = try RetargetTarget(bundle: try Self.bundle(of: person, library: library))
        let retargeter = try Retargeter(model: model, network: network, frontEnd: try FaceFrontEnd.standard(), refine: refine)
        let (photos, videos) = try clips()
        let clipCount = (photos.isEmpty ? 0 : 1) + videos.count
        guard clipCount > 0 else { throw ValidationError("no driving photos or videos in \(inputs.joined(separator: " "))") }
        let root = URL(fileURLWithPath: output)
        var written = 0
        if !photos.isEmpty {
            let folder = clipCount > 1 ? root.appendingPathComponent("photos") : root
            var frames: [DriverFrame] = [], images: [Image] = []
            for (i, url) in photos.enumerated() {
                let name = url.deletingPathExtension().lastPathComponent
                guard let image = try? ImageDecoder.decode(contentsOf: url) else {
                    print("  skipped \(name): not a readable image")
                    continue
                }
                let frame = retargeter.photo(image, index: i, name: name)
                if !frame.hasFace { print("  \(name): no usable face (marked)") }
                frames.append(frame)
                images.append(image)
            }
            try write(frames, images: { body in for (i, image) in images.enumerated() { try body(i, image) } }, clip: "photos",
                      source: inputs.joined(separator: " "), frameRate: 1, video: false, target: target, model: model,
                      network: network, driver: driverModel, to: folder)
            written += 1
        }
        for url in videos {
            let clip = url.deletingPathExtension().lastPathComponent
            let folder = clipCount > 1 ? root.appendingPathComponent(clip) : root
            let reader: VideoReader
            do { reader = try VideoReader(contentsOf: url) } catch {
                print("  skipped \(url.lastPathComponent): \(error)")
                continue
            }
            retargeter.startClip()
            var frames: [DriverFrame] = []
            let bar = ProgressLine(label: clip)
            let start = Date()
            var failure: Error?
            do {
                while let f = try reader.next() {
                    frames.append(retargeter.videoFrame(f.image, index: f.index, timestamp: f.timestamp, name: clip))
                    if f.index % 10 == 0 { bar.update(f.index, of: reader.declaredFrameCount ?? f.index + 1, "") }
                }
            } catch {
                failure = error
            }
            bar.finish()
            let seconds = Date().timeIntervalSince(start)
            if let failure { print("  \(clip): \(failure) — writing the \(frames.count) frames read") }
            let found = frames.filter(\.hasFace).count
            logger.info("\(clip): \(frames.count) frames, \(found) with a face, \(String(format: "%.1f", Double(frames.count) / max(seconds, 1e-9))) fps")
            // The previews decode the clip again rather than keep every frame in memory.
            let again: ((Int, Image) throws -> Void) throws -> Void = { body in
                let second = try VideoReader(contentsOf: url)
                while let f = try second.next(), f.index < frames.count { try body(f.index, f.image) }
            }
            try write(frames, images: again, clip: clip, source: url.path, frameRate: reader.frameRate, video: !noVideoPreview,
                      fps: Double(frames.count) / max(seconds, 1e-9),
                      target: target, model: model, network: network, driver: driverModel, to: folder)
            written += 1
        }
        print("retargeted \(written) clip\(written == 1 ? "" : "s") onto \(target.name); wrote \(output)")
        if written == 0 { throw ExitCode(2) }
    }

    /// Driving photos (files and folders' images, in order) and videos (by extension).
    func clips() throws -> (photos: [URL], videos: [URL]) {
        var photos: [URL] = [], videos: [URL] = []
        let fm = FileManager.default
        for path in inputs {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isFolder) else { throw ValidationError("\(path) does not exist") }
            let url = URL(fileURLWithPath: path)
            if isFolder.boolValue {
                let names = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
                for name in names {
                    let ext = (name as NSString).pathExtension.lowercased()
                    if Self.videoExtensions.contains(ext) { videos.append(url.appendingPathComponent(name)) }
                    else if PhotoIntake.imageExtensions.contains(ext) { photos.append(url.appendingPathComponent(name)) }
                }
            } else if PhotoIntake.imageExtensions.contains(url.pathExtension.lowercased()) {
                photos.append(url)
            } else {
                videos.append(url)  // anything else is given to ffmpeg, which says what it is
            }
        }
        return (photos, videos)
    }

    /// The driver's adapters (`--driver`: a name in `library`, a bundle folder or an adapters file)
    /// and their hash; a driver without adapters is a `ValidationError` (exit 64) saying where it looked.
    func driverRecord(_ driver: String) throws -> RetargetOutput.DriverModel {
        let url = try Reconstruct.adapters(of: driver, library: library)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError("no adapters for driver \(driver): \(url.path) does not exist")
        }
        let name = FileManager.default.fileExists(atPath: driver) ? RetargetTarget.personName(ofBundle: url.deletingLastPathComponent()) : driver
        return RetargetOutput.DriverModel(name: name, adapters: url.path, adaptersSHA256: try SHA256.hex(fileAt: url))
    }

    /// The bundle folder `person` names: a folder as given, or a name's latest bundle in `library`.
    static func bundle(of person: String, library: String) throws -> URL {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: person, isDirectory: &isFolder), isFolder.boolValue {
            return URL(fileURLWithPath: person)
        }
        let name = try PersonName(person)
        let bundle = LibraryLayout(root: URL(fileURLWithPath: library)).latestLink(name)
        guard FileManager.default.fileExists(atPath: bundle.appendingPathComponent("summary.json").path) else {
            throw ValidationError("no bundle for \(person): \(bundle.path) has no summary.json (is \(library) the Library?)")
        }
        return bundle
    }

    /// The clip's files: animation.glb, arkit.csv, retarget.json, preview.png and (video) preview.mp4.
    /// `images` calls its body with each frame's index and picture, in order.
    func write(_ frames: [DriverFrame], images: (((Int, Image) throws -> Void) throws -> Void), clip: String, source: String,
               frameRate: Double, video: Bool, fps: Double? = nil, target: RetargetTarget, model: MorphableModel, network: BaseModel,
               driver: RetargetOutput.DriverModel?, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let keys = try RetargetOutput.writeGLB(frames, target: target, model: model, clip: clip,
                                               to: folder.appendingPathComponent("animation.glb"))
        try RetargetOutput.csv(frames, expressionNames: model.expressionNames, frameRate: frameRate)
            .write(to: folder.appendingPathComponent("arkit.csv"), atomically: true, encoding: .utf8)
        let record = RetargetOutput.Record(source: source, target: target.name, frameRate: frameRate, refined: refine,
                                           network: network.contentHash, driver: driver, expressionNames: model.expressionNames,
                                           jointNames: model.joints.map(\.name), framesWithFace: keys, processingFPS: fps,
                                           frames: frames)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: folder.appendingPathComponent("retarget.json"))
        let evaluator = try FaceEvaluator(model: model)
        let texture = target.texture.map { TextureMap(image: $0) }
        let withFace = frames.indices.filter { frames[$0].hasFace }
        let pool = withFace.isEmpty ? Array(frames.indices) : withFace
        let count = min(sheetFrames, pool.count)
        let chosen = Set((0..<count).map { pool[count <= 1 ? 0 : $0 * (pool.count - 1) / (count - 1)] })
        var tiles: [Image] = []
        var writer: VideoWriter?
        let bar = ProgressLine(label: "\(clip) preview")
        try images { i, image in
            guard i < frames.count else { return }
            let inVideo = video
            guard inVideo || chosen.contains(i) else { return }
            let tile = try RetargetOutput.tile(frames[i], image: image, target: target, model: model, evaluator: evaluator, texture: texture)
            if chosen.contains(i) { tiles.append(tile) }
            if inVideo {
                if writer == nil {
                    writer = try VideoWriter(url: folder.appendingPathComponent("preview.mp4"), width: tile.width, height: tile.height,
                                             frameRate: frameRate)
                }
                try writer?.write(tile, timestamp: frames[i].timestamp)
                if i % 10 == 0 { bar.update(i, of: frames.count, writer?.codecName ?? "") }
            }
        }
        if let writer { try writer.finish(); bar.finish() }
        if !tiles.isEmpty {
            try PNGEncoder.encode(FitPreview.sheet(tiles, tileHeight: 240, columns: 2)).write(to: folder.appendingPathComponent("preview.png"))
        }
        print(String(format: "  %@: %d frames, %d with a face, %d keys%@ → %@", clip, frames.count, withFace.count, keys,
                     writer.map { ", preview.mp4 (\($0.codecName))" } ?? "", folder.path))
    }
}
