import Checksum
import Daemon
import FaceDetect
import FaceModel
import FaceRecognition
import Foundation
import Imaging
import Library
import Logging
import Reconstruction
import Training

/// The production job of the watcher (run in a `likeness build-job` child process):
/// 1. screen every photo from its header alone (`ImageDecoder.probe`): not an image, damaged
///    header or more pixels than even a downscaled decode allows (a decompression bomb, see
///    `DecodeLimits`) are typed rejections, and files over `maximumBytes` are refused unread;
/// 2. run the person fit (`PersonFit`: decode, face detection and 68 landmarks, the identity gate
///    (`IdentityVerdict`: dlib's face-recognition embeddings, the reference face the medoid of the
///    largest group that agrees within the threshold) rejecting the faces that are not the folder's
///    person as `different-person`; then person-specific transfer of the shipped base model on the
///    photos (`PersonTransfer`, warm-started from the latest bundle's adapters; kept only when it
///    lowers the held-out NME), every photo estimated by the adapted model, and the classical
///    shared-identity landmark fit as its refinement: the person's one identity starts at the
///    per-coefficient median of the adapted model's per-photo β — a robust aggregate, because a
///    few photos at extreme poses or expressions give outlying β that a mean would follow — and is
///    then fitted jointly to all photos' landmarks. Without a shipped base model the classical
///    rigid initialisation replaces the network.) It writes `head.glb` (expressions as named morph
///    targets), `head.obj/.mtl/.png`, per-photo parameters, `preview.png`, `summary.json`,
///    `adapters.safetensors` and `transfer.json` into the build folder; photos it skips become
///    typed rejections (no face, several faces, face too small, cut by the border, corrupt);
/// 3. report the models used with their licences and the run's figures for the manifest.
struct ProductionStage: BundleStage {
    var name: String { base == nil ? "likeness-fit-baseline-1" : "likeness-adapt-refine-1" }
    /// The learned base model every photo starts from (nil when this build ships none).
    var base: BaseModel? = try? BaseModel()
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
        let gate = try identityGate(threshold: request.identityThreshold, logger: request)
        statistics["identityThreshold"] = gate.map { Double($0.threshold) } ?? 0
        if !candidates.isEmpty {
            let fitted = try fit(candidates, model: model, gate: gate, into: request.buildDirectory, logger: request.logger,
                                 progress: request.reportProgress, statistics: &statistics)
            accepted = fitted.accepted
            rejected += fitted.rejected
        }
        if accepted.isEmpty { try clear(request.buildDirectory) }
        statistics["accepted"] = Double(accepted.count)
        statistics["rejected"] = Double(rejected.count)
        statistics["seconds"] = Date().timeIntervalSince(started)
        return StageOutput(stage: name, accepted: accepted.sorted(), rejected: rejected,
                           models: models(model, gate: gate,
                                          adapters: request.buildDirectory.appendingPathComponent(ProductionStage.adaptersFile)),
                           statistics: statistics)
    }

    /// The identity gate, or nil (with a warning) when dlib's face-recognition model is not installed.
    func identityGate(threshold: Double?, logger request: StageRequest) throws -> IdentityGate? {
        let path = FaceRecognitionModel.modelPath
        guard FileManager.default.fileExists(atPath: path) else {
            request.logger.warning("identity gate off: \(path) is absent (Scripts/setup installs it)")
            return nil
        }
        let model: FaceRecognitionModel
        do { model = try FaceRecognitionModel(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw JobFailure("cannot load the face-recognition model: \(error)")
        }
        return IdentityGate(model: model, threshold: Float(threshold ?? Double(FaceRecognitionModel.dlibThreshold)))
    }

    /// A rejection decided from the file size and the image header, or nil if the photo may be decoded.
    func screen(_ photo: StagePhoto) -> Rejection? {
        guard let signature = FileSignature.of(photo.path) else { return Rejection(.unreadable, "the file cannot be read") }
        if signature.size > maximumBytes {
            return Rejection(.tooLarge, "the file is \(signature.size >> 20) MiB, more than the \(maximumBytes >> 20) MiB limit")
        }
        do {
            // A photo beyond the decode limit is decoded downscaled where its codec can (JPEG, WebP).
            _ = try limits.decodedSize(of: try ImageDecoder.probe(contentsOf: URL(fileURLWithPath: photo.path)))
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
        case "different-person": return Rejection(.differentPerson, reason)
        case "unreadable-image": return Rejection(.corrupt, reason)
        default: return Rejection(.noFace, "no usable face: \(reason)")
        }
    }

    /// Runs the shared-identity fit. Photos are offered under their content hash (symlinks in a
    /// work folder removed afterwards), so the fit's per-photo results map back unambiguously and
    /// the bundle names no inbox file.
    func fit(_ photos: [StagePhoto], model: MorphableModel, gate: IdentityGate?, into build: URL, logger: Logger,
             progress: @escaping @Sendable (JobProgress) -> Void = { _ in },
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
            let frontEnd = try FaceFrontEnd.standard()
            var personFit = PersonFit(model: model, settings: FitSettings(), textureSize: textureSize)
            personFit.identityGate = gate
            personFit.progress = { stage, step, total in progress(JobProgress(ProductionStage.stage(stage), step: step, of: total)) }
            var adaptStatistics: [String: Double] = [:]
            defer { statistics.merge(adaptStatistics) { _, new in new } }
            var located: [LocatedPhoto] = []
            if let base {
                try base.check(model)
                let evaluator = try FaceEvaluator(model: model)
                personFit.initialEstimate = { photos in
                    located = photos
                    let adapted = try adapt(base, model: model, photos: photos, aligner: frontEnd.aligner, into: build,
                                            logger: logger, progress: progress, statistics: &adaptStatistics)
                    return try adapted.estimate(photos, aligner: frontEnd.aligner, evaluator: evaluator)
                }
            }
            summary = try personFit.run(urls, frontEnd: frontEnd, output: build)
            if let base, !located.isEmpty {
                details(located, identity: summary.identity, model: model, base: base, aligner: frontEnd.aligner, into: build,
                        logger: logger, progress: progress, statistics: &adaptStatistics)
            }
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

    /// Person-specific transfer of the base model on the located photos (warm-started from the
    /// person's latest bundle's adapters when there are some): writes `adapters.safetensors` (when
    /// the adapted model is better on the held-out photos) and `transfer.json` into the build, and
    /// returns the model every photo is then reconstructed with.
    func adapt(_ base: BaseModel, model: MorphableModel, photos: [LocatedPhoto], aligner: FaceAligner, into build: URL,
               logger: Logger, progress: @escaping @Sendable (JobProgress) -> Void = { _ in },
               statistics: inout [String: Double]) throws -> BaseModel {
        let previous = build.deletingLastPathComponent().appendingPathComponent("latest")
            .appendingPathComponent(ProductionStage.adaptersFile)
        let warm = FileManager.default.fileExists(atPath: previous.path) ? previous : nil
        logger.info("adapting the base model to \(photos.count) photos\(warm == nil ? "" : " (warm start from the latest bundle)")")
        let (adapted, report) = try PersonTransfer.adapt(base, model: model, photos: photos, aligner: aligner, warmStart: warm) {
            step, total, loss in
            progress(JobProgress(.adaptation, step: step, of: total))
            if step % 20 == 0 { logger.info("stage adapt: step \(step)/\(total) (\(100 * step / max(total, 1)) %), loss \(loss)") }
        }
        logger.info("adaptation: \(report.note)")
        if adapted !== base { try PersonTransfer.save(adapted, report: report, to: build.appendingPathComponent(ProductionStage.adaptersFile)) }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        try json.encode(report).write(to: build.appendingPathComponent("transfer.json"))
        statistics["adaptSeconds"] = report.seconds
        statistics["adaptSteps"] = Double(report.steps)
        statistics["adaptImproved"] = report.improved ? 1 : 0
        if let before = report.heldOutBefore, let after = report.heldOutAfter {
            statistics["heldOutNMEBase"] = Double(before.meanAll)
            statistics["heldOutNMEAdapted"] = Double(after.meanAll)
        }
        return adapted
    }

    static let adaptersFile = "adapters.safetensors"

    /// The detail rig (`PersonDetails.build`: the person-specific detail stage on the shipped detail
    /// MAE and teacher, then the wrinkle rig at the person's identity) into the build: `wrinkles.json`,
    /// `details/`, and the normal map on `head.glb`. A bundle without details is still a bundle: a
    /// failure is logged and counted (`details` 0), never fatal.
    func details(_ photos: [LocatedPhoto], identity: [Float], model: MorphableModel, base: BaseModel, aligner: FaceAligner,
                 into build: URL, logger: Logger, progress: @escaping @Sendable (JobProgress) -> Void = { _ in },
                 statistics: inout [String: Double]) {
        statistics["details"] = 0
        progress(JobProgress(.details))
        guard let shipped = DetailModel.shipped(for: model) else {
            logger.warning("no detail networks pair with this head: the bundle has no wrinkle rig")
            return
        }
        do {
            let inputs = try DetailInputBuilder(model: model, aligner: aligner, base: base, uvSize: shipped.student.training.network.uvSize)
            let rig = try PersonDetails.build(photos: photos, identity: identity, student: shipped.student, teacher: shipped.teacher,
                                              inputs: inputs, progress: { progress(JobProgress(.details, step: $0, of: $1)) })
            try DetailOutputs.write(rig, identity: identity, model: model, into: build,
                                    glb: build.appendingPathComponent("head.glb"))
            statistics["details"] = 1
            statistics["detailFaces"] = Double(rig.faces)
            statistics["detailSeconds"] = rig.seconds
            statistics["detailWrinkles"] = Double(rig.rig.wrinkles.count)
            var note = "details: \(rig.rig.wrinkles.count) wrinkle maps from \(rig.faces) faces in \(String(format: "%.1f", rig.seconds)) s"
            if let t = rig.transfer {
                statistics["detailTeacherLossBefore"] = Double(t.teacherLossBefore)
                statistics["detailTeacherLossAfter"] = Double(t.teacherLossAfter)
                note += "; detail stage L_Tchr \(t.teacherLossBefore) → \(t.teacherLossAfter)"
                    + (t.improved ? "" : " (not better: the shared detail MAE is used)")
            }
            logger.info("\(note)")
        } catch {
            logger.warning("details: \(error); the bundle has no wrinkle rig")
        }
    }

    /// The job stage of a part of the person fit (adaptation is the stage's own, around the base model).
    static func stage(_ stage: PersonFit.Stage) -> JobProgress.Stage {
        switch stage {
        case .detection: return .detection
        case .baseModel: return .baseModel
        case .reconstruction: return .reconstruction
        case .texture: return .texture
        case .export: return .export
        }
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

    /// The detail networks the wrinkle rig is made with.
    func detailRecords(_ model: MorphableModel) -> [ModelRecord] {
        guard base != nil, let shipped = DetailModel.shipped(for: model) else {
            return [ModelRecord(role: "detail-model", id: "none: this build ships no detail networks for this head", licence: "n/a")]
        }
        return [ModelRecord(role: "detail-model", id: "Likeness detail MAE sha256:\(shipped.student.contentHash)", licence: DetailModel.licence),
                ModelRecord(role: "detail-teacher", id: "Likeness detail UNet teacher sha256:\(shipped.teacher.contentHash)",
                            licence: DetailModel.licence)]
    }

    /// The models a bundle is made with, and their licences.
    func models(_ model: MorphableModel, gate: IdentityGate?, adapters: URL? = nil) -> [ModelRecord] {
        let adapterRecord = adapters.flatMap { try? Data(contentsOf: $0) }.map {
            ModelRecord(role: "adapters", id: "\(ProductionStage.adaptersFile) sha256:\(SHA256.hex($0))",
                        licence: "trained on this person's photos from the base model; inherits the base model's terms")
        }
        return [
            gate == nil
                ? ModelRecord(role: "identity", id: "none: identity gate off (dlib_face_recognition_resnet_model_v1.dat not installed)", licence: "n/a")
                : ModelRecord(role: "identity", id: "dlib/dlib_face_recognition_resnet_model_v1.dat sha256:\(FaceRecognitionModel.modelSHA256) (face-recognition-models 0.3.0, PyPI)",
                              licence: FaceRecognitionModel.licence),
            ModelRecord(role: "face-detector", id: "mediapipe/blaze_face_short_range.tflite (converted to safetensors)",
                        licence: "Apache-2.0, Google MediaPipe 0.10.21"),
            ModelRecord(role: "landmarks", id: "dlib/shape_predictor_68_face_landmarks.dat",
                        licence: "CC0-1.0 per Debian libdlib-data; trained on iBUG 300-W, whose licence excludes commercial use: not for commercial products"),
            ModelRecord(role: "face-model", id: "\(model.info.name) \(model.info.version) sha256:\(model.info.contentHash)",
                        licence: model.info.licence),
            albedoRecord(model),
            base.map { ModelRecord(role: "base-model", id: "Likeness base model sha256:\($0.contentHash)", licence: BaseModel.licence) }
                ?? ModelRecord(role: "base-model", id: "none: classical landmark fitting (this build ships no base model)", licence: "n/a"),
        ] + (adapterRecord.map { [$0] } ?? []) + detailRecords(model)
    }
}
