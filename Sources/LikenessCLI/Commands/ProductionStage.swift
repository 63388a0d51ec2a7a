import Daemon
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Library
import Reconstruction

/// The production job of the watcher (run in a `likeness build-job` child process):
/// 1. screen every photo from its header alone (`ImageDecoder.probe`): not an image, damaged
///    header or more pixels than the decode limit (a decompression bomb) are typed rejections,
///    and files over `maximumBytes` are refused unread;
/// 2. run the classical person fit (`PersonFit`, the fitting baseline: decode, face detection and
///    68 landmarks, one shared identity fitted to all photos) on the rest, which writes
///    `head.glb` (expressions as named morph targets), `head.obj/.mtl/.png`, per-photo
///    parameters, `preview.png` and `summary.json` into the build folder; photos it skips become
///    typed rejections (no face, several faces, face too small, cut by the border, corrupt);
/// 3. report the models used with their licences and the run's figures for the manifest.
/// Person-specific transfer will replace step 2 when it exists; the stage interface stays.
struct ProductionStage: BundleStage {
    let name = "likeness-fit-baseline-1"
    /// Files larger than this are not read at all.
    var maximumBytes: Int64 = 200 << 20
    var limits = DecodeLimits.default
    /// Side of the bundle texture.
    var textureSize = 1024

    /// The bundle texture side from `LIKENESS_TEXTURE_SIZE` (64…4096), else 1024.
    static func textureSize(_ environment: [String: String]) -> Int {
        guard let value = environment["LIKENESS_TEXTURE_SIZE"].flatMap(Int.init), (64...4096).contains(value) else { return 1024 }
        return value
    }

    func build(_ request: StageRequest) throws -> StageOutput {
        let started = Date()
        var rejected: [RejectedPhoto] = []
        var candidates: [StagePhoto] = []
        for photo in request.photos {
            if let rejection = screen(photo) {
                rejected.append(RejectedPhoto(sha256: photo.sha256, name: photo.name, reason: rejection))
            } else {
                candidates.append(photo)
            }
        }
        let model = EmbeddedHead.make()
        var statistics: [String: Double] = ["photos": Double(request.photos.count)]
        var accepted: [String] = []
        if !candidates.isEmpty {
            let fitted = try fit(candidates, model: model, into: request.buildDirectory, statistics: &statistics)
            accepted = fitted.accepted
            rejected += fitted.rejected
        }
        if accepted.isEmpty { try clear(request.buildDirectory) }
        statistics["accepted"] = Double(accepted.count)
        statistics["rejected"] = Double(rejected.count)
        statistics["seconds"] = Date().timeIntervalSince(started)
        return StageOutput(stage: name, accepted: accepted.sorted(), rejected: rejected, models: models(model),
                           statistics: statistics)
    }

    /// A rejection decided from the file size and the image header, or nil if the photo may be decoded.
    func screen(_ photo: StagePhoto) -> Rejection? {
        guard let signature = FileSignature.of(photo.path) else { return Rejection(.unreadable, "the file cannot be read") }
        if signature.size > maximumBytes {
            return Rejection(.tooLarge, "the file is \(signature.size >> 20) MiB, more than the \(maximumBytes >> 20) MiB limit")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: photo.path))
            let info = try ImageDecoder.probe(data)
            let (pixels, overflow) = info.width.multipliedReportingOverflow(by: info.height)
            if overflow || pixels > limits.maxPixels {
                return Rejection(.tooLarge, "\(info.width)×\(info.height) pixels, more than the limit of \(limits.maxPixels)")
            }
            return nil
        } catch let error as ImageError {
            return ProductionStage.rejection(for: error)
        } catch {
            return Rejection(.unreadable, "\(error)")
        }
    }

    /// The typed rejection for a decoder error.
    static func rejection(for error: ImageError) -> Rejection {
        switch error {
        case .emptyFile, .unknownFormat, .unsupportedFormat, .codecUnavailable:
            return Rejection(.notAnImage, error.description)
        case .truncated, .corrupt, .invalidDimensions:
            return Rejection(.corrupt, error.description)
        case .tooLarge:
            return Rejection(.tooLarge, error.description)
        case .io, .unsupportedEncoding, .encodeFailed, .singularTransform:
            return Rejection(.unreadable, error.description)
        }
    }

    /// The typed rejection for a photo the fit skipped, by its skip code.
    static func rejection(code: String, reason: String) -> Rejection {
        switch code {
        case "no-face": return Rejection(.noFace, reason)
        case "several-faces": return Rejection(.severalFaces, reason)
        case "face-too-small": return Rejection(.faceTooSmall, reason)
        case "face-cut-by-border": return Rejection(.faceCutByBorder, reason)
        case "unreadable-image": return Rejection(.corrupt, reason)
        default: return Rejection(.noFace, "no usable face: \(reason)")
        }
    }

    /// Runs the shared-identity fit. Photos are offered under their content hash (symlinks in a
    /// work folder removed afterwards), so the fit's per-photo results map back unambiguously and
    /// the bundle names no inbox file.
    func fit(_ photos: [StagePhoto], model: MorphableModel, into build: URL,
             statistics: inout [String: Double]) throws -> (accepted: [String], rejected: [RejectedPhoto]) {
        let work = build.appendingPathComponent(".work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var urls: [URL] = []
        for photo in photos {
            let link = work.appendingPathComponent(photo.sha256 + ".photo")
            if !FileManager.default.fileExists(atPath: link.path) {
                try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: photo.path)
                urls.append(link)
            }
        }
        let byHash = Dictionary(photos.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
        let summary: PersonFitSummary
        do {
            summary = try PersonFit(model: model, settings: FitSettings(), textureSize: textureSize).run(urls, frontEnd: try FaceFrontEnd.standard(), output: build)
        } catch FitError.noPhotos {
            let skipped = (try? JSONDecoder().decode(PersonFitSummary.self,
                                                     from: Data(contentsOf: build.appendingPathComponent("summary.json"))))?.skipped ?? []
            return ([], rejections(skipped, byHash: byHash, all: photos))
        }
        statistics["secondsLocating"] = summary.secondsLocating
        statistics["secondsSharedFit"] = summary.secondsSharedFit
        statistics["iterations"] = Double(summary.iterations)
        statistics["energy"] = Double(summary.energy)
        statistics["albedoCoverage"] = Double(summary.albedoCoverage)
        if let fill = summary.textureFill {
            statistics["textureMirrored"] = Double(fill.mirrored)
            statistics["textureFilled"] = Double(fill.filled)
        }
        return (summary.fitted.filter { byHash[$0] != nil }, rejections(summary.skipped, byHash: byHash, all: []))
    }

    /// Maps the fit's skipped photos back to the inputs; `all` photos the fit gave no word on are rejected as unusable.
    func rejections(_ skipped: [SkippedPhoto], byHash: [String: StagePhoto], all: [StagePhoto]) -> [RejectedPhoto] {
        var result: [RejectedPhoto] = skipped.compactMap { skip in
            byHash[skip.name].map { RejectedPhoto(sha256: $0.sha256, name: $0.name,
                                                  reason: ProductionStage.rejection(code: skip.code, reason: skip.reason)) }
        }
        let covered = Set(result.map(\.sha256))
        for photo in all where !covered.contains(photo.sha256) {
            result.append(RejectedPhoto(sha256: photo.sha256, name: photo.name, reason: Rejection(.noFace, "no usable face")))
        }
        return result
    }

    /// Removes everything the fit wrote when nothing is published.
    func clear(_ build: URL) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: build.path) {
            try FileManager.default.removeItem(at: build.appendingPathComponent(name))
        }
    }

    /// The albedo model that fills unseen texels, or the skin-tone fill when none pairs with the head.
    func albedoRecord(_ model: MorphableModel) -> ModelRecord {
        let job = PersonFit(model: model, settings: FitSettings())
        guard job.albedoModel != nil else {
            return ModelRecord(role: "albedo-model", id: job.albedoModelRecord, licence: "n/a")
        }
        return ModelRecord(role: "albedo-model", id: job.albedoModelRecord,
                           licence: "built from UTKFace and LFW photos (non-commercial research only) and 300-W/HELEN (research only): the model inherits non-commercial research use (Sources/ShippedModels/albedo/MODEL_CARD.md)")
    }

    /// The models a bundle is made with, and their licences.
    func models(_ model: MorphableModel) -> [ModelRecord] {
        [
            ModelRecord(role: "face-detector", id: "opencv/haarcascade_frontalface_default.xml",
                        licence: "Intel License Agreement for OpenCV (BSD-style), Debian opencv-data"),
            ModelRecord(role: "landmarks", id: "dlib/shape_predictor_68_face_landmarks.dat",
                        licence: "CC0-1.0 per Debian libdlib-data; trained on iBUG 300-W, whose licence excludes commercial use: not for commercial products"),
            ModelRecord(role: "face-model", id: "\(model.info.name) \(model.info.version) sha256:\(model.info.contentHash)",
                        licence: model.info.licence),
            albedoRecord(model),
            ModelRecord(role: "base-model", id: "none: classical landmark fitting (no learned base model yet)", licence: "n/a"),
        ]
    }
}
