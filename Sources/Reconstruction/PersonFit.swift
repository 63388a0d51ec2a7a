import Foundation
import Assets
import FaceDetect
import FaceModel
import FaceRecognition
import Imaging
import Render

/// One photo's entry in `parameters/<name>.json`.
public struct PhotoParametersRecord: Codable, Sendable {
    public var name: String
    public var camera: OrthoCamera
    public var identity: [Float]
    public var expression: [String: Float]
    public var pose: [Float]
    public var detectedLandmarks: [SIMD2<Float>]
    public var fittedLandmarks: [SIMD2<Float>]
    public var boundary: [BoundaryMatch]
    public var energy: Float
    /// The photo's SH light from the photometric fit (27 numbers, band-major RGB).
    public var light: SphericalHarmonics?
}

/// `summary.json` of `likeness fit`.
public struct PersonFitSummary: Codable, Sendable {
    public init(model: ModelInfo, boundary: BoundaryMode, photos: Int, fitted: [String], skipped: [SkippedPhoto], skippedCount: Int, identity: [Float], energy: Float, iterations: Int, secondsLocating: Double, secondsSharedFit: Double, albedoCoverage: Float, photometricRMSBefore: Float?, photometricRMSAfter: Float?, separateSpread: IdentitySpread?, separateSecondsPerPhoto: Double?, splitHalfSpread: IdentitySpread?, files: [String]) {
        self.model = model
        self.boundary = boundary
        self.photos = photos
        self.fitted = fitted
        self.skipped = skipped
        self.skippedCount = skippedCount
        self.identity = identity
        self.energy = energy
        self.iterations = iterations
        self.secondsLocating = secondsLocating
        self.secondsSharedFit = secondsSharedFit
        self.albedoCoverage = albedoCoverage
        self.photometricRMSBefore = photometricRMSBefore
        self.photometricRMSAfter = photometricRMSAfter
        self.separateSpread = separateSpread
        self.separateSecondsPerPhoto = separateSecondsPerPhoto
        self.splitHalfSpread = splitHalfSpread
        self.files = files
    }

    public var model: ModelInfo
    public var boundary: BoundaryMode
    public var photos: Int
    public var fitted: [String]
    public var skipped: [SkippedPhoto]
    public var skippedCount: Int
    public var identity: [Float]
    public var energy: Float
    public var iterations: Int
    public var secondsLocating: Double
    public var secondsSharedFit: Double
    public var albedoCoverage: Float
    /// How the texture was completed: fractions seen, mirrored, filled, and by what.
    public var textureFill: TextureCompletion.Statistics? = nil
    /// The albedo model that filled it (id and hash), or why there was none.
    public var albedoModel: String? = nil
    /// RMS colour residual (0…1) of the photometric fit with the blended texture and after de-lighting.
    public var photometricRMSBefore: Float?
    public var photometricRMSAfter: Float?
    /// With `compareSeparate`: spread of β fitted per photo, and of shared fits on the two halves.
    public var separateSpread: IdentitySpread?
    public var separateSecondsPerPhoto: Double?
    public var splitHalfSpread: IdentitySpread?
    public var files: [String]
    /// The identity gate's decision, when one ran.
    public var identityGate: IdentityGateSummary? = nil
}

/// `summary.json`'s record of the identity gate: the threshold, the reference photo, how many
/// photos agreed with it, and every located photo's distance to it (absent without a reference).
public struct IdentityGateSummary: Codable, Sendable, Equatable {
    public var threshold: Float
    public var reference: String?
    public var groupSize: Int
    public var distances: [String: Float]
    public var rejected: [String]
}

/// `likeness fit`: photos of one person → located faces (bad photos skipped with reasons) → one
/// shared-identity landmark fit → the photos unwrapped and blended (`AlbedoBlend`, kept as
/// photo-texture.png) → one de-lit albedo and per-photo SH light (`PhotometricFit`) → per-photo
/// parameters, the neutral head as OBJ and GLB (albedo texture, every expression a named morph
/// target), a preview contact sheet and a summary.
public struct PersonFit {
    public var model: MorphableModel
    public var settings: FitSettings
    /// Side of the bundle texture (head.png, photo-texture.png) in texels.
    public var textureSize = 1024
    /// Fills what no photo saw (nil: a skin-tone fill); the shipped model when it pairs with `model`.
    public var albedoModel: AlbedoModel?
    /// Why `albedoModel` is nil, when it is.
    public var albedoModelUnavailable: String?
    /// Also fit every photo on its own and the two halves of the set, to measure how consistent
    /// per-photo identities are compared with the shared one.
    public var compareSeparate = false
    /// Draw the preview over white instead of the photos.
    public var previewWithoutPhotos = false
    /// Where each photo's fit starts: nil for the classical rigid initialisation, or a network's
    /// estimate (the base model), which the landmark fit then refines; the estimates' mean α, when the
    /// network regresses α, centres the albedo fill of what no photo saw (`TextureCompletion`).
    public var initialEstimate: (([LocatedPhoto]) throws -> [FaceEstimate])? = nil
    /// When set, located photos that are not the folder's person are skipped as
    /// `different-person` before anything is fitted (see `IdentityVerdict`).
    public var identityGate: IdentityGate? = nil
    /// Told where `run` is, for a progress display: the stage and, where it counts, step of total.
    public var progress: (Stage, _ step: Int?, _ total: Int?) -> Void = { _, _, _ in }

    /// The parts of `run` in order (the base model's estimate only with `initialEstimate`).
    public enum Stage: Sendable {
        case detection, baseModel, reconstruction, texture, export
    }

    public init(model: MorphableModel, settings: FitSettings, textureSize: Int = 1024) {
        self.model = model
        self.settings = settings
        self.textureSize = textureSize
        (albedoModel, albedoModelUnavailable) = AlbedoModel.shipped(for: model)
    }

    public func run(_ urls: [URL], frontEnd: FaceFrontEnd, output: URL,
                    log: (String) -> Void = { _ in }) throws -> PersonFitSummary {
        let fm = FileManager.default
        try fm.createDirectory(at: output.appendingPathComponent("parameters"), withIntermediateDirectories: true)
        let t0 = Date()
        progress(.detection, 0, urls.count)
        var (photos, skipped) = PhotoIntake.locate(urls, frontEnd: frontEnd) { progress(.detection, $0, $1) }
        var gateSummary: IdentityGateSummary?
        if let identityGate {
            let gated = PersonFit.screenIdentity(photos, gate: identityGate)
            photos = gated.kept
            skipped += gated.skipped
            gateSummary = gated.summary
        }
        let locating = Date().timeIntervalSince(t0)
        for s in skipped { log("skipped \(s.name): \(s.reason)") }
        var summary = PersonFitSummary(
            model: model.info, boundary: settings.boundary, photos: urls.count, fitted: [], skipped: skipped,
            skippedCount: skipped.count, identity: [], energy: 0, iterations: 0, secondsLocating: locating,
            secondsSharedFit: 0, albedoCoverage: 0, photometricRMSBefore: nil, photometricRMSAfter: nil, separateSpread: nil, separateSecondsPerPhoto: nil,
            splitHalfSpread: nil, files: [])
        summary.identityGate = gateSummary
        guard !photos.isEmpty else {
            try write(summary, to: output.appendingPathComponent("summary.json"))
            throw FitError.noPhotos
        }
        let fitter = try LandmarkFitter(model: model, settings: settings)
        let targets = try photos.map { try FitTargets($0.landmarks) }
        if initialEstimate != nil { progress(.baseModel, nil, nil) }
        let estimate = try initialEstimate?(photos)
        log("fitting \(photos.count) photos with one identity")
        progress(.reconstruction, nil, nil)
        let shared = try fitter.fitShared(targets, from: estimate?.map { ($0.code, $0.camera) })
        summary.fitted = photos.map(\.name)
        summary.identity = shared.identity
        summary.energy = shared.energy
        summary.iterations = shared.iterations
        summary.secondsSharedFit = shared.seconds
        if compareSeparate { try compare(fitter, targets, into: &summary, log: log) }
        summary.files = try writeAssets(photos, shared, evaluator: fitter.evaluator, output: output, summary: &summary,
                                        albedoPrior: estimate.flatMap(FaceEstimate.meanAlbedo))
        try write(summary, to: output.appendingPathComponent("summary.json"))
        return summary
    }

    /// The identity gate on located photos: the ones that are the person, and the others as
    /// `different-person` skips with their distance and the threshold.
    public static func screenIdentity(_ photos: [LocatedPhoto], gate: IdentityGate)
        -> (kept: [LocatedPhoto], skipped: [SkippedPhoto], summary: IdentityGateSummary) {
        let verdict = gate.verdict(photos.map { ($0.image, $0.landmarks) }).verdict
        var kept: [LocatedPhoto] = [], skipped: [SkippedPhoto] = [], distances: [String: Float] = [:]
        for (i, photo) in photos.enumerated() {
            switch verdict.outcomes[i] {
            case let .accepted(d): distances[photo.name] = d
            case let .differentPerson(d): distances[photo.name] = d
            case .noReference: break
            }
            if let reason = verdict.reason(i) {
                skipped.append(SkippedPhoto(name: photo.name, code: "different-person", reason: reason))
            } else {
                kept.append(photo)
            }
        }
        let summary = IdentityGateSummary(threshold: gate.threshold, reference: verdict.reference.map { photos[$0].name },
                                          groupSize: verdict.groupSize, distances: distances, rejected: skipped.map(\.name))
        return (kept, skipped, summary)
    }

    private func compare(_ fitter: LandmarkFitter, _ targets: [FitTargets], into summary: inout PersonFitSummary,
                         log: (String) -> Void) throws {
        log("fitting each photo on its own")
        let start = Date()
        let separate = try targets.map { try fitter.fit($0).code.identity }
        summary.separateSecondsPerPhoto = Date().timeIntervalSince(start) / Double(targets.count)
        summary.separateSpread = IdentitySpread(separate, model: model)
        if targets.count >= 2 {
            let even = stride(from: 0, to: targets.count, by: 2).map { targets[$0] }
            let odd = stride(from: 1, to: targets.count, by: 2).map { targets[$0] }
            summary.splitHalfSpread = IdentitySpread([try fitter.fitShared(even).identity, try fitter.fitShared(odd).identity],
                                                     model: model)
        }
    }

    /// Writes everything but the summary for photos and their fit (from `run`, or from a network's
    /// reconstruction); returns the file names written.
    ///
    /// The texture (one implementation for `likeness fit`, `reconstruct` and the daemon's bundles):
    /// the photos' visible skin blended at 256² fixes each photo's SH light (`PhotometricFit` on the
    /// blended skin only); at `textureSize` the photos' visible skin is blended again, de-lit by those
    /// lights (`AlbedoBlend`), and what no photo saw is filled from the mirror and the albedo model
    /// (`TextureCompletion`, about the base network's α when `albedoPrior` is given). head.png is that
    /// albedo; photo-texture.png the same blend and fill of the photo colours before de-lighting.
    public func writeAssets(_ photos: [LocatedPhoto], _ shared: SharedIdentityFit, evaluator: FaceEvaluator,
                             output: URL, summary: inout PersonFitSummary, albedoPrior: [Float]? = nil) throws -> [String] {
        progress(.texture, nil, nil)
        let views = try zip(photos, shared.photos).map { photo, fit in
            AlbedoBlend.View(photo: TextureMap(image: photo.image),
                             mesh: try RenderMesh(model: model, positions: evaluator.evaluate(fit.code).vertices), camera: fit.camera,
                             landmarks: photo.landmarks.map { SIMD2($0.x, $0.y) })
        }
        let template = try RenderMesh(model: model)
        let lightAtlas = try UVAtlas(mesh: template, size: min(256, textureSize))
        let lightBlend = try AlbedoBlend.blend(views, atlas: lightAtlas, model: model)
        let photometric = try PhotometricFit.fit(views, model: model, initialAlbedo: lightBlend.texture, seen: lightBlend.weight)
        summary.photometricRMSBefore = photometric.rmsBefore
        summary.photometricRMSAfter = photometric.rmsAfter
        let atlas = try UVAtlas(mesh: template, size: textureSize)
        let blend = try AlbedoBlend.blend(views, atlas: atlas, model: model, lights: photometric.lights)
        summary.albedoCoverage = blend.coverage
        let completion = TextureCompletion(albedoModel: albedoModel, albedoPrior: albedoModel == nil ? nil : albedoPrior)
        let mirror = try UVMirror(mesh: template, atlas: atlas)
        let (albedo, fill) = try completion.complete(blend, atlas: atlas, model: model, mirror: mirror)
        var photoBlend = blend
        photoBlend.texture = blend.photoTexture ?? blend.texture
        let (photoTexture, _) = try completion.complete(photoBlend, atlas: atlas, model: model, mirror: mirror)
        summary.textureFill = fill
        summary.albedoModel = albedoModelRecord
        var files: [String] = [], tiles: [Image] = []
        for (k, (photo, fit)) in zip(photos, shared.photos).enumerated() {
            let record = PhotoParametersRecord(
                name: photo.name, camera: fit.camera, identity: fit.code.identity,
                expression: Dictionary(uniqueKeysWithValues: zip(model.expressionNames, fit.code.expression)),
                pose: fit.code.pose, detectedLandmarks: photo.landmarks.map { SIMD2($0.x, $0.y) },
                fittedLandmarks: fit.landmarks, boundary: fit.boundary, energy: fit.energy, light: photometric.lights[k])
            let name = "parameters/\(photo.name).json"
            try write(record, to: output.appendingPathComponent(name))
            files.append(name)
            tiles.append(try FitPreview.tile(photo: photo.image, mesh: views[k].mesh, camera: fit.camera,
                                             detected: record.detectedLandmarks, fitted: fit.landmarks,
                                             showPhoto: !previewWithoutPhotos, texture: albedo, light: photometric.lights[k]))
        }
        progress(.export, nil, nil)
        let texture = albedo.image()
        try ObjWriter.write(model, identity: shared.identity, texture: texture, to: output.appendingPathComponent("head.obj"))
        try GLBExporter.export(model, identity: shared.identity, texture: texture, to: output.appendingPathComponent("head.glb"))
        try PNGEncoder.encode(photoTexture.image()).write(to: output.appendingPathComponent("photo-texture.png"))
        try PNGEncoder.encode(FitPreview.sheet(tiles)).write(to: output.appendingPathComponent("preview.png"))
        return files + ["head.obj", "head.mtl", "head.png", "head.glb", "photo-texture.png", "preview.png", "summary.json"]
    }

    /// "likeness-albedo <version> sha256:<file hash>" of the albedo model in use, or why none is.
    public var albedoModelRecord: String {
        if let albedo = albedoModel {
            return "\(AlbedoModel.formatName) \(albedo.metadata["model-version"] ?? "?") \(albedo.size)² K=\(albedo.componentCount) sha256:\(albedo.metadata["file-sha256"] ?? "?")"
        }
        return "none (skin-tone fill): \(albedoModelUnavailable ?? "not loaded")"
    }

    private func write<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: url)
    }
}
