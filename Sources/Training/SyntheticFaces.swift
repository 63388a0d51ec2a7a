import FaceDetect
import FaceModel
import Foundation
import Imaging
import Networks
import Reconstruction
import Render
import Tensor

/// The exact parameters of a synthetic training face, in the crop's frame (what the encoder should
/// regress from it): β and α in standard deviations of their models, ψ as blendshape weights, θ
/// axis-angle per joint, the orthographic camera (s, tx, ty) in crop pixels, SH light (27).
public struct SyntheticFaceParameters: Codable, Sendable, Equatable {
    public var identity: [Float]
    public var expression: [Float]
    public var pose: [Float]
    public var camera: [Float]
    public var albedo: [Float]
    public var light: [Float]
}

/// Synthetic training faces (issue 13's "synthetic data"): the embedded head rendered with random
/// β, ψ, θ, α and SH light over a real background, with the exact parameters kept. They supervise
/// what 68 landmarks cannot see — depth and the split of a shape into identity and expression
/// (`syntheticParameterLoss`) — and each identity is drawn in `views` poses and expressions, so
/// L_sc pairs them as one person.
///
/// Framing as the real crops: the orthographic camera is the scale and shift that carry the 68
/// projected landmarks onto the alignment template (`FaceAligner`), so a synthetic crop is aligned
/// as a real one is aligned by its landmarks; the head's roll stays within the ±5° an alignment
/// leaves. The jaw-line labels are the points Eq. 1 pairs at the true parameters (the boundary
/// landmark where it faces the camera, else the nearest silhouette vertex), so L_sil is 0 at the
/// truth. Backgrounds: a random window of a random real crop, mirrored at random and scaled up,
/// so they carry real colours, hair and clutter without a whole face behind the head.
public struct SyntheticFaceGenerator {
    public let model: MorphableModel
    public let albedo: AlbedoModel
    public let template: [Point2]
    public let size: Int
    /// α components drawn (the rest 0): as many as the encoder regresses.
    public var albedoComponents = 50
    public var maximumYaw: Float = 0.75
    public var maximumPitch: Float = 0.3
    public var maximumRoll: Float = 0.09
    let projection: LandmarkProjection
    let jawOpen: Int?

    public init(model: MorphableModel, albedo: AlbedoModel, aligner: FaceAligner) throws {
        try albedo.checkPairs(with: model)
        self.model = model
        self.albedo = albedo
        template = aligner.template
        size = aligner.size
        projection = try LandmarkProjection(model: model, boundary: .silhouette)
        jawOpen = model.expressionNames.firstIndex(of: "jawOpen")
    }

    /// A random identity β ~ N(0, I).
    public func randomIdentity(using g: inout SeededGenerator) -> [Float] {
        (0..<model.identityCount).map { _ in Self.normal(&g) }
    }

    /// Random ψ, θ (head, jaw, eyes), α and light for `identity`; the camera that frames it.
    public func randomParameters(identity: [Float], using g: inout SeededGenerator) throws -> SyntheticFaceParameters {
        var expression = (0..<model.expressionCount).map { _ in
            Float.random(in: 0..<1, using: &g) < 0.12 ? Float.random(in: 0.1..<0.9, using: &g) : 0
        }
        if let jawOpen { expression[jawOpen] = Float.random(in: 0..<1, using: &g) < 0.5 ? Float.random(in: 0..<0.7, using: &g) : 0 }
        var pose = [Float](repeating: 0, count: 3 * model.joints.count)
        let yaw = Float.random(in: -maximumYaw...maximumYaw, using: &g), pitch = Float.random(in: -maximumPitch...maximumPitch, using: &g)
        let roll = Float.random(in: -maximumRoll...maximumRoll, using: &g)
        let head = Rodrigues.matrix(SIMD3(0, yaw, 0)) * Rodrigues.matrix(SIMD3(pitch, 0, 0)) * Rodrigues.matrix(SIMD3(0, 0, roll))
        let global = Rodrigues.axisAngle(head)
        pose[0] = global.x; pose[1] = global.y; pose[2] = global.z
        if model.joints.count >= 5 {
            if Float.random(in: 0..<1, using: &g) < 0.4 { pose[6] = Float.random(in: 0..<0.12, using: &g) }
            let gaze = SIMD2(Float.random(in: -0.15...0.15, using: &g), Float.random(in: -0.2...0.2, using: &g))
            for eye in [model.joints.count - 2, model.joints.count - 1] { pose[3 * eye] = gaze.x; pose[3 * eye + 1] = gaze.y }
        }
        let albedoCount = min(albedoComponents, albedo.componentCount)
        let alpha = (0..<albedoCount).map { _ in 0.8 * Self.normal(&g) }
        var light = SphericalHarmonics.studio.coefficients
        let tint = SIMD3(Float.random(in: 0.85...1.15, using: &g), Float.random(in: 0.85...1.15, using: &g), Float.random(in: 0.85...1.15, using: &g))
        let gain = Float.random(in: 0.7...1.2, using: &g)
        for c in 0..<3 { light[c] *= gain * tint[c] }
        // Directional light: bands 1 and 2 move together in R, G and B (white light from a side).
        for band in 1..<9 {
            let d = Float.random(in: -0.3...0.3, using: &g) * (band < 4 ? 1 : 0.4)
            for c in 0..<3 { light[3 * band + c] += d * gain }
        }
        let code = FaceCode(identity: identity, expression: expression, pose: pose)
        let camera = try framingCamera(code)
        return SyntheticFaceParameters(identity: identity, expression: expression, pose: pose,
                                       camera: [camera.scale, camera.translation.x, camera.translation.y],
                                       albedo: alpha, light: light)
    }

    /// The s, t (no rotation) that carry the face's 68 projected landmarks onto the template, least squares.
    func framingCamera(_ code: FaceCode) throws -> OrthoCamera {
        let output = try projection.evaluator.evaluate(code)
        let (s, t) = scaleAndShift(from: output.landmarks.map { SIMD2($0.x, -$0.y) }, to: template.map { SIMD2($0.x, $0.y) })
        return OrthoCamera(scale: s, translation: t)
    }

    /// The 68 labels of `parameters` in crop pixels: inner landmarks projected, the jaw line as Eq. 1 pairs it.
    public func landmarks(_ parameters: SyntheticFaceParameters) throws -> [SIMD2<Float>] {
        let code = FaceCode(identity: parameters.identity, expression: parameters.expression, pose: parameters.pose)
        let camera = OrthoCamera(scale: parameters.camera[0], translation: SIMD2(parameters.camera[1], parameters.camera[2]))
        let naive = try projection.evaluator.evaluate(code).landmarks.map { camera.project($0) }
        let projected = Autograd.withoutRecording { projection(Self.coarseCode([parameters]), targets: [naive]) }
        return (0..<68).map { SIMD2(projected.data[2 * $0], projected.data[2 * $0 + 1]) }
    }

    /// The face of `parameters` rendered over `background` (RGB, size²): RGB bytes, size² × 3.
    public func render(_ parameters: SyntheticFaceParameters, background: Image) throws -> [UInt8] {
        let code = FaceCode(identity: parameters.identity, expression: parameters.expression, pose: parameters.pose)
        let mesh = try RenderMesh(model: model, positions: try projection.evaluator.evaluate(code).vertices)
        let camera = OrthoCamera(scale: parameters.camera[0], translation: SIMD2(parameters.camera[1], parameters.camera[2]))
        let image = try Preview.textured(mesh: mesh, albedo: try albedo.evaluate(parameters.albedo), camera: camera,
                                         width: size, height: size, lighting: try SphericalHarmonics(coefficients: parameters.light),
                                         background: background)
        return DatasetBuilder.rgb(image)
    }

    /// A background: a random window (40–65 % of the side) of a random crop of `photos`, mirrored
    /// at random, scaled bilinearly to size².
    public func background(from photos: FaceDataset, using g: inout SeededGenerator) -> Image {
        let n = photos.cropSize, side = Int(Float(n) * Float.random(in: 0.4...0.65, using: &g))
        let x0 = Int.random(in: 0...(n - side), using: &g), y0 = Int.random(in: 0...(n - side), using: &g)
        let mirror = Bool.random(using: &g)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        photos.withCrop(Int.random(in: 0..<photos.count, using: &g)) { crop in
            for y in 0..<size {
                let sy = Float(y0) + (Float(y) + 0.5) * Float(side) / Float(size) - 0.5
                let iy = min(max(Int(sy), 0), n - 2), fy = min(max(sy - Float(iy), 0), 1)
                for x in 0..<size {
                    var sx = Float(x0) + (Float(x) + 0.5) * Float(side) / Float(size) - 0.5
                    if mirror { sx = Float(2 * x0 + side - 1) - sx }
                    let ix = min(max(Int(sx), 0), n - 2), fx = min(max(sx - Float(ix), 0), 1)
                    for c in 0..<3 {
                        let a = Float(crop[3 * (iy * n + ix) + c]), b = Float(crop[3 * (iy * n + ix + 1) + c])
                        let d = Float(crop[3 * ((iy + 1) * n + ix) + c]), e = Float(crop[3 * ((iy + 1) * n + ix + 1) + c])
                        let v = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy
                        pixels[3 * (y * size + x) + c] = UInt8(min(max(v.rounded(), 0), 255))
                    }
                }
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: pixels)
    }

    /// Writes `identities × views` synthetic faces into `directory` as a `FaceDataset` (source
    /// `synthetic`, person `synthetic/<k>`, each sample with its `parameters`); backgrounds from
    /// `photos`. Deterministic for a seed.
    @discardableResult
    public func build(identities: Int, views: Int, backgrounds photos: FaceDataset, seed: UInt64, into directory: URL,
                      progress: (Int, Int) -> Void = { _, _ in }) throws -> FaceDatasetManifest {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cropsURL = directory.appendingPathComponent("crops.u8")
        _ = FileManager.default.createFile(atPath: cropsURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: cropsURL)
        defer { try? handle.close() }
        var samples: [FaceDatasetManifest.Sample] = []
        let chunk = 32
        for start in stride(from: 0, to: identities, by: chunk) {
            let ids = Array(start..<min(start + chunk, identities))
            var made = [[(FaceDatasetManifest.Sample, [UInt8])]?](repeating: nil, count: ids.count)
            var failure: Error?
            let lock = NSLock()
            made.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                Compute.concurrentPerform(iterations: ids.count) { i in
                    do { base[i] = try self.person(ids[i], views: views, backgrounds: photos, seed: seed) } catch {
                        lock.lock(); failure = error; lock.unlock()
                    }
                }
            }
            if let failure { throw failure }
            for views in made.compactMap({ $0 }) {
                for (var sample, bytes) in views {
                    sample.index = samples.count
                    samples.append(sample)
                    try handle.write(contentsOf: bytes)
                }
            }
            progress(ids.last! + 1, identities)
        }
        let manifest = FaceDatasetManifest(cropSize: size, created: ISO8601DateFormatter().string(from: Date()),
                                           sources: ["synthetic: \(model.info.name) \(model.info.version), albedo \(albedo.headHash.prefix(12)), seed \(seed)"],
                                           samples: samples, rejected: [], maximumTemplateResidual: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent("dataset.json"), options: .atomic)
        return manifest
    }

    /// Identity `k`'s views: one β and one α (the person's shape and skin); fresh ψ, θ, light and
    /// background in each view.
    func person(_ k: Int, views: Int, backgrounds photos: FaceDataset, seed: UInt64) throws -> [(FaceDatasetManifest.Sample, [UInt8])] {
        var g = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(k))
        let identity = randomIdentity(using: &g)
        var alpha: [Float]? = nil
        return try (0..<views).map { v in
            var p = try randomParameters(identity: identity, using: &g)
            if let alpha { p.albedo = alpha } else { alpha = p.albedo }
            let points = try landmarks(p)
            let bytes = try render(p, background: background(from: photos, using: &g))
            let residual = DatasetBuilder.templateResidual(points.map { Point2($0.x, $0.y) }, template: template)
            let sample = FaceDatasetManifest.Sample(
                index: 0, source: "synthetic", name: String(format: "%06d-%d", k, v), person: "synthetic/\(k)",
                landmarks: points.flatMap { [$0.x, $0.y] }, labels: "synthetic", alignedBy: "synthetic",
                templateResidual: residual, parameters: p)
            return (sample, bytes)
        }
    }

    /// Parameters as a (constant) batch code: the form the encoder's outputs take.
    static func coarseCode(_ items: [SyntheticFaceParameters]) -> CoarseCode {
        let b = items.count
        return CoarseCode(identity: Tensor(items.flatMap(\.identity), shape: [b, items[0].identity.count]),
                          expression: Tensor(items.flatMap(\.expression), shape: [b, items[0].expression.count]),
                          pose: Tensor(items.flatMap(\.pose), shape: [b, items[0].pose.count]),
                          camera: Tensor(items.flatMap(\.camera), shape: [b, 3]))
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ g: inout SeededGenerator) -> Float {
        let u = max(Float.random(in: 0..<1, using: &g), 1e-7), v = Float.random(in: 0..<1, using: &g)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
