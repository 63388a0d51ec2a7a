import Dispatch
import FaceDetect
import Foundation
import Imaging
import Reconstruction
import Tensor
import Video

/// `likeness dataset build`: photos and videos → aligned 256² crops with 68 landmarks, person
/// groups, and the typed reason for every photo left out.
///
/// A video (any file `VideoReader.isVideo` names) is one person: every `videoFrameStride`-th frame
/// is decoded in process with ffmpeg's libraries and treated as a photo named `<clip>-frame-NNNNN`
/// (consecutive frames are near-duplicates, so the stride keeps a clip from outweighing the rest).
///
/// Per photo: decode; pad by a fifth of its larger side (tight crops such as UTKFace's have the chin
/// on the border, and neither the detector nor the landmark model works there); detect and place
/// the 68 landmarks with the front end (the paper's HRNet role: pseudo-labels); take the photo's
/// `.pts` instead where one lies beside it; align the crop by the detector's landmarks, as inference
/// does (by the `.pts` when the detector fails on an annotated photo).
///
/// Reliability: a pseudo-labelled face is rejected (`implausible-landmarks`) when its landmarks lie
/// far from the alignment template after the similarity alignment — mean distance over the
/// template's eye-corner distance above `maximumTemplateResidual` — which is what failed ERT fits
/// (landmarks collapsed or spread over the background) look like; faces turned up to about 60°
/// stay below it.
public struct DatasetBuilder {
    public struct Source: Sendable {
        public var path: String
        /// True: every photo is a different person (300-W, UTKFace); false: one person.
        public var eachPhotoItsOwnPerson: Bool
        public init(path: String, eachPhotoItsOwnPerson: Bool) {
            self.path = path
            self.eachPhotoItsOwnPerson = eachPhotoItsOwnPerson
        }
    }

    public var sources: [Source]
    public var maximumTemplateResidual: Float = 0.45
    public var padding: Float = 0.2
    public var limitPerSource: Int?
    /// Every this-many-th frame of a video source becomes a sample.
    public var videoFrameStride = 5
    let frontEnd: FaceFrontEnd
    let aligner: FaceAligner

    public init(sources: [Source], frontEnd: FaceFrontEnd) {
        self.sources = sources
        self.frontEnd = frontEnd
        aligner = frontEnd.aligner
    }

    enum Outcome {
        case sample(FaceDatasetManifest.Sample, [UInt8])
        case rejected(FaceDatasetManifest.Rejected)
    }

    /// One photo or video frame to process: how to decode it, and where it came from.
    struct Item {
        var name: String
        /// The photo's folder, or the video's file name without extension (the person of a video).
        var folder: String
        var source: Source
        /// A `.pts` file beside the photo (videos have none).
        var pts: URL?
        var decode: () throws -> Image
    }

    /// Builds the dataset into `directory` (created; an existing dataset there is replaced).
    /// `progress(done, total)` is called as photos and frames complete (a video's total is its
    /// declared frame count over the stride).
    @discardableResult
    public func build(into directory: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> FaceDatasetManifest {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let cropsURL = directory.appendingPathComponent("crops.u8")
        _ = fm.createFile(atPath: cropsURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: cropsURL)
        defer { try? handle.close() }
        var samples: [FaceDatasetManifest.Sample] = [], rejected: [FaceDatasetManifest.Rejected] = []
        var done = 0
        let total = try sources.map { try estimatedCount($0) }.reduce(0, +)
        try forEachChunk { part in
            var outcomes = [Outcome?](repeating: nil, count: part.count)
            outcomes.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                Compute.concurrentPerform(iterations: part.count) { i in base[i] = process(part[i]) }
            }
            for outcome in outcomes.compactMap({ $0 }) {
                switch outcome {
                case .sample(var sample, let bytes):
                    sample.index = samples.count
                    samples.append(sample)
                    try handle.write(contentsOf: bytes)
                case let .rejected(r): rejected.append(r)
                }
            }
            done += part.count
            progress(min(done, total), max(total, done))
        }
        let manifest = FaceDatasetManifest(cropSize: aligner.size, created: ISO8601DateFormatter().string(from: Date()),
                                           sources: sources.map(\.path), samples: samples, rejected: rejected,
                                           maximumTemplateResidual: maximumTemplateResidual)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent("dataset.json"), options: .atomic)
        return manifest
    }

    /// Hands the sources' photos and frames to `body` 64 at a time, in order. Photos are decoded
    /// inside the parallel loop; a video's frames are decoded here, in order, one chunk in memory.
    func forEachChunk(_ body: ([Item]) throws -> Void) throws {
        let chunk = 64
        var pending: [Item] = []
        func add(_ item: Item) throws {
            pending.append(item)
            if pending.count == chunk { try body(pending); pending.removeAll() }
        }
        for source in sources {
            if VideoReader.isVideo(source.path) {
                let url = URL(fileURLWithPath: source.path)
                let reader = try VideoReader(contentsOf: url)
                let clip = url.deletingPathExtension().lastPathComponent
                var taken = 0
                while taken < (limitPerSource ?? .max), let frame = try reader.next() {
                    guard frame.index % videoFrameStride == 0 else { continue }
                    taken += 1
                    let image = frame.image
                    try add(Item(name: frame.name(inClip: clip), folder: clip,
                                 source: source, pts: nil, decode: { image }))
                }
            } else {
                var urls = try PhotoIntake.photoURLs([source.path])
                if let limit = limitPerSource { urls = Array(urls.prefix(limit)) }
                for url in urls {
                    try add(Item(name: url.deletingPathExtension().lastPathComponent,
                                 folder: url.deletingLastPathComponent().lastPathComponent, source: source,
                                 pts: url.deletingPathExtension().appendingPathExtension("pts"),
                                 decode: { try ImageDecoder.decode(contentsOf: url) }))
                }
            }
        }
        if !pending.isEmpty { try body(pending) }
    }

    /// Photos in a folder, or a video's declared frames over the stride (for the progress bar).
    func estimatedCount(_ source: Source) throws -> Int {
        if VideoReader.isVideo(source.path) {
            let frames = (try? VideoReader(contentsOf: URL(fileURLWithPath: source.path)).declaredFrameCount) ?? nil
            return min(((frames ?? 0) + videoFrameStride - 1) / videoFrameStride, limitPerSource ?? .max)
        }
        return min(try PhotoIntake.photoURLs([source.path]).count, limitPerSource ?? .max)
    }

    func process(_ item: Item) -> Outcome {
        let name = item.name, folder = item.folder
        func reject(_ code: String, _ reason: String) -> Outcome {
            .rejected(.init(source: folder, name: name, code: code, reason: reason))
        }
        let photo: Image
        do { photo = try item.decode() } catch { return reject("unreadable-image", "\(error)") }
        let pad = Int((Float(max(photo.width, photo.height)) * padding).rounded())
        let padded = photo.padded(by: pad)
        let shift = Point2(Float(pad), Float(pad))
        let annotated = item.pts.flatMap { try? PtsFormat.read(contentsOf: $0) }?.map { Point2($0.x + shift.x, $0.y + shift.y) }
        var detected: [Point2]? = nil
        var detectorFailure: FaceRejection? = nil
        do { detected = try frontEnd.locate(in: padded).landmarks } catch let r as FaceRejection { detectorFailure = r } catch {
            return reject("unusable-photo", "\(error)")
        }
        guard let alignBy = detected ?? annotated, let labels = annotated ?? detected else {
            let r = detectorFailure ?? .noFace
            return reject(r.code, r.description)
        }
        guard let crop = try? aligner.crop(padded, landmarks: alignBy), crop.image.channels >= 3 || crop.image.channels == 1 else {
            return reject("unusable-photo", "the face could not be aligned")
        }
        let t = crop.photoToCrop
        let inCrop = labels.map { t.apply($0) }
        let aligned = alignBy.map { t.apply($0) }
        let residual = templateResidual(aligned)
        if annotated == nil, residual > maximumTemplateResidual {
            return reject("implausible-landmarks", String(format: "landmarks %.2f eye-corner distances from the template on average (at most %.2f)", residual, maximumTemplateResidual))
        }
        let sample = FaceDatasetManifest.Sample(
            index: 0, source: folder, name: name, person: item.source.eachPhotoItsOwnPerson ? "\(folder)/\(name)" : folder,
            landmarks: inCrop.flatMap { [$0.x, $0.y] }, labels: annotated == nil ? "detector" : "pts",
            alignedBy: detected == nil ? "pts" : "detector", templateResidual: residual)
        return .sample(sample, DatasetBuilder.rgb(crop.image))
    }

    func templateResidual(_ points: [Point2]) -> Float { Self.templateResidual(points, template: aligner.template) }

    /// Mean |p − template| / |template₃₆ − template₄₅|.
    static func templateResidual(_ points: [Point2], template tpl: [Point2]) -> Float {
        let d = { (a: Point2, b: Point2) in ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() }
        return zip(points, tpl).map(d).reduce(0, +) / Float(points.count) / d(tpl[36], tpl[45])
    }

    /// RGB bytes of an 8-bit image (gray replicated, alpha dropped).
    static func rgb(_ image: Image) -> [UInt8] {
        if image.channels == 3 { return image.pixels }
        var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for p in 0..<(image.width * image.height) {
            for k in 0..<3 { out[3 * p + k] = image.pixels[p * image.channels + (image.channels >= 3 ? k : 0)] }
        }
        return out
    }
}
