import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Render
import Tensor

/// A training set for the detail networks (§3.3) on disk (never in git): `details.json` (this
/// manifest) and three arrays of the samples one after another — `uv.u8` (d²×4: the crop unwrapped
/// to UV, RGB, then 255 where the texel is visible), `tension.f32` (d²: T_UV, Eq. 3), `target.u8`
/// (r²×4: the crop box-averaged to the render size, RGB, then 255 on the photo's skin by the
/// landmark mask — the L_phoD mask besides the render's own coverage ∩ UV skin).
///
/// Everything is in the aligned crop's frame: `camera` maps the model to crop pixels (cropSize²);
/// renders are at `renderSize` = cropSize / `renderFactor`, so their camera is (s, t)/factor.
public struct DetailDatasetManifest: Codable, Sendable {
    public static let currentVersion = 1

    public struct Sample: Codable, Sendable {
        public var person: String
        public var name: String
        public var identity: [Float]
        public var expression: [Float]
        public var pose: [Float]
        /// s, tx, ty in crop pixels.
        public var camera: [Float]
        /// 27 SH coefficients (k-major), fitted to the photo's skin against the albedo model's mean.
        public var light: [Float]
        /// α of the albedo model fitted to the de-lit skin (the smooth albedo the details shade).
        public var albedo: [Float]
        /// Share of the face's UV skin seen in the crop.
        public var visibleSkin: Float
    }

    public var version = DetailDatasetManifest.currentVersion
    public var created: String
    public var faceModel: String
    public var baseModel: String
    public var albedoModel: String
    public var uvSize: Int
    public var cropSize: Int
    public var renderFactor: Int
    public var samples: [Sample]
    /// Per source, how many frames or photos were tried and kept.
    public var sources: [String: [Int]]
    public var renderSize: Int { cropSize / renderFactor }
}

/// A detail dataset in memory.
public final class DetailDataset: @unchecked Sendable {
    public let manifest: DetailDatasetManifest
    public let uv: [UInt8]
    public let tension: [Float]
    public let target: [UInt8]
    public var count: Int { manifest.samples.count }
    public var uvSize: Int { manifest.uvSize }
    public var renderSize: Int { manifest.renderSize }

    public init(manifest: DetailDatasetManifest, uv: [UInt8], tension: [Float], target: [UInt8]) {
        self.manifest = manifest
        self.uv = uv
        self.tension = tension
        self.target = target
    }

    public init(directory: URL) throws {
        let m = try JSONDecoder().decode(DetailDatasetManifest.self, from: Data(contentsOf: directory.appendingPathComponent("details.json")))
        guard m.version == DetailDatasetManifest.currentVersion else { throw FaceDataset.LoadError.unsupportedVersion(m.version) }
        let d2 = m.uvSize * m.uvSize, r2 = m.renderSize * m.renderSize, n = m.samples.count
        let uv = [UInt8](try Data(contentsOf: directory.appendingPathComponent("uv.u8")))
        let target = [UInt8](try Data(contentsOf: directory.appendingPathComponent("target.u8")))
        let t = try Data(contentsOf: directory.appendingPathComponent("tension.f32"))
        guard uv.count == n * d2 * 4 else { throw FaceDataset.LoadError.truncated(expected: n * d2 * 4, found: uv.count) }
        guard target.count == n * r2 * 4 else { throw FaceDataset.LoadError.truncated(expected: n * r2 * 4, found: target.count) }
        guard t.count == n * d2 * 4 else { throw FaceDataset.LoadError.truncated(expected: n * d2 * 4, found: t.count) }
        tension = t.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        manifest = m
        self.uv = uv
        self.target = target
    }

    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try enc.encode(manifest).write(to: directory.appendingPathComponent("details.json"))
        try Data(uv).write(to: directory.appendingPathComponent("uv.u8"))
        try Data(target).write(to: directory.appendingPathComponent("target.u8"))
        try tension.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: directory.appendingPathComponent("tension.f32"))
    }

    /// Sample indices grouped by person, persons sorted.
    public var byPerson: [(person: String, samples: [Int])] {
        Dictionary(grouping: manifest.samples.indices, by: { manifest.samples[$0].person })
            .map { ($0.key, $0.value) }.sorted { $0.person < $1.person }
    }

    /// The network input of samples `indices`: `[B, 5, d, d]` — RGB as v/255·4 − 2 (the coarse
    /// encoder's normalisation), visibility in {0, 1}, T_UV — in `TextureMap` row order (row j is
    /// v = 1 − (j + ½)/d). `swapTexture[k]`, when given, takes the texture and visibility of another
    /// sample (Eq. 7's I') while keeping sample k's tension.
    public func inputs(_ indices: [Int], textureFrom swapTexture: [Int]? = nil) -> Tensor {
        let d2 = uvSize * uvSize
        let out = Tensor(uninitialized: [indices.count, 5, uvSize, uvSize])
        for (b, i) in indices.enumerated() {
            let src = swapTexture?[b] ?? i
            DetailFace.fillInput(uv: uv[(src * d2 * 4)..<((src + 1) * d2 * 4)], tension: tension[(i * d2)..<((i + 1) * d2)],
                                 into: out.data + b * 5 * d2)
        }
        return out
    }

    /// Render targets `[B, r, r, 3]` in [0, 1] and the photo skin masks `[B, r, r, 1]`.
    public func targets(_ indices: [Int]) -> (image: Tensor, skin: Tensor) {
        let r2 = renderSize * renderSize
        let image = Tensor(uninitialized: [indices.count, renderSize, renderSize, 3])
        let skin = Tensor(uninitialized: [indices.count, renderSize, renderSize, 1])
        for (b, i) in indices.enumerated() {
            for p in 0..<r2 {
                let base = (i * r2 + p) * 4
                for c in 0..<3 { image.data[(b * r2 + p) * 3 + c] = Float(target[base + c]) / 255 }
                skin.data[b * r2 + p] = target[base + 3] > 127 ? 1 : 0
            }
        }
        return (image, skin)
    }

    /// The face code of sample `i`.
    public func code(_ i: Int) -> FaceCode {
        let s = manifest.samples[i]
        return FaceCode(identity: s.identity, expression: s.expression, pose: s.pose)
    }
}

/// One face reconstructed for the detail networks, in its aligned crop: the base model's estimate
/// refined by the classical landmark fit in the crop, the crop unwrapped to the d×d UV grid
/// (`UVUnwrapper`: visibility by facing, frame and z-buffer) and T_UV at the reconstructed
/// expression against S(β, 0, 0) (`FaceEvaluator.tensionMap`, Eq. 3).
public struct DetailFace: Sendable {
    public var crop: Image
    public var landmarks: [Point2]
    public var code: FaceCode
    /// Model → crop pixels.
    public var camera: OrthoCamera
    public var vertices: [Float]
    /// d²×4 bytes: RGB of the unwrapped crop, then 255 where the texel is visible.
    public var uv: [UInt8]
    /// d², T_UV.
    public var tension: [Float]
    /// Share of the face's UV skin seen in the crop.
    public var visibleSkin: Float

    /// The network input of one face into `out` (5·d² floats): RGB as v/255·4 − 2 (the coarse
    /// encoder's normalisation), visibility in {0, 1}, T_UV, channel-major.
    static func fillInput(uv: ArraySlice<UInt8>, tension: ArraySlice<Float>, into out: UnsafeMutablePointer<Float>) {
        let d2 = tension.count, (u0, t0) = (uv.startIndex, tension.startIndex)
        for p in 0..<d2 {
            for c in 0..<3 { out[c * d2 + p] = Float(uv[u0 + 4 * p + c]) / 255 * 4 - 2 }
            out[3 * d2 + p] = uv[u0 + 4 * p + 3] > 127 ? 1 : 0
            out[4 * d2 + p] = tension[t0 + p]
        }
    }

    /// `[1, 5, d, d]`; `tension` replaces the face's own T_UV (e.g. the rig's tension of an expression).
    public func input(tension other: [Float]? = nil) -> Tensor {
        let t = other ?? tension
        let d = Int(Double(t.count).squareRoot())
        let out = Tensor(uninitialized: [1, 5, d, d])
        DetailFace.fillInput(uv: uv[...], tension: t[...], into: out.data)
        return out
    }
}

/// Makes `DetailFace`s: the reconstruction the detail dataset is built with and the details are
/// inferred with, so that both see the same inputs.
public final class DetailInputBuilder: @unchecked Sendable {
    public let uvSize: Int
    public let model: MorphableModel
    let aligner: FaceAligner
    let base: BaseModel
    let fitter: LandmarkFitter
    let mesh: RenderMesh
    let atlas: UVAtlas
    let regions: [UInt8]
    let edges: MeshEdges

    public init(model: MorphableModel, aligner: FaceAligner, base: BaseModel, uvSize: Int = 128) throws {
        try base.check(model)
        self.model = model
        self.aligner = aligner
        self.base = base
        self.uvSize = uvSize
        fitter = try LandmarkFitter(model: model)
        mesh = try RenderMesh(model: model)
        atlas = try UVAtlas(mesh: mesh, size: uvSize)
        regions = atlas.regions(of: model)
        edges = MeshEdges(triangles: model.triangles, vertexCount: model.vertexCount)
    }

    /// The face of a photo with its 68 landmarks (photo pixels).
    public func face(_ photo: Image, landmarks photoLandmarks: [Point2]) throws -> DetailFace {
        let crop = try aligner.crop(photo, landmarks: photoLandmarks)
        guard let landmarks = crop.landmarks, crop.image.channels >= 3 else { throw DetailDataError.greyscale }
        let start = try base.predict([crop.image])[0]
        let fit = try fitter.refine(FitTargets(landmarks), code: start.code, camera: start.camera)
        let output = try fitter.evaluator.evaluate(fit.code)
        let unwrapped = try UVUnwrapper.unwrap(photo: TextureMap(image: crop.image), mesh: self.mesh(output.vertices),
                                               camera: fit.camera, atlas: atlas)
        let d2 = uvSize * uvSize
        let skinCodes = Set(AlbedoObservation.skinRegions.map(\.rawValue))
        var uv = [UInt8](repeating: 0, count: 4 * d2)
        var skinTexels = 0, seen = 0
        for t in 0..<d2 {
            let visible = unwrapped.status[t] == .visible
            for c in 0..<3 { uv[4 * t + c] = UInt8(max(0, min(255, (unwrapped.texture.data[3 * t + c] * 255).rounded()))) }
            uv[4 * t + 3] = visible ? 255 : 0
            if skinCodes.contains(regions[t]) { skinTexels += 1; if visible { seen += 1 } }
        }
        return DetailFace(crop: crop.image, landmarks: landmarks, code: fit.code, camera: fit.camera, vertices: output.vertices,
                          uv: uv, tension: try tension(fit.code), visibleSkin: Float(seen) / Float(max(skinTexels, 1)))
    }

    /// T_UV of a code (Eq. 3 against S(β, 0, 0)).
    public func tension(_ code: FaceCode) throws -> [Float] {
        try fitter.evaluator.tensionMap(of: fitter.evaluator.evaluate(code), code: code, edges: edges, size: uvSize).values
    }

    func mesh(_ vertices: [Float]) -> RenderMesh {
        var m = mesh
        m.positions = vertices
        return m
    }
}

/// `likeness dataset details`: photos and video frames of single persons → a `DetailDataset`.
///
/// Per face: the `DetailFace` (crop, refined reconstruction, UV texture, T_UV), the SH light
/// against the albedo model's mean and α fitted to the de-lit skin (`AlbedoObservation`,
/// `AlbedoModel.fit`: a low-frequency albedo, so that what shading it cannot explain is left for
/// the displacement), and the crop box-averaged to the render size with the landmark skin mask.
/// Faces with less than `minimumVisibleSkin` of the UV skin seen are left out.
public struct DetailDatasetBuilder {
    public var renderFactor = 2
    public var minimumVisibleSkin: Float = 0.25

    let inputs: DetailInputBuilder
    let albedo: AlbedoModel
    let cropSize: Int
    public var uvSize: Int { inputs.uvSize }
    var model: MorphableModel { inputs.model }

    public init(model: MorphableModel, frontEnd: FaceFrontEnd, base: BaseModel, albedo: AlbedoModel, uvSize: Int = 128) throws {
        try albedo.checkPairs(with: model)
        guard albedo.size == uvSize else {
            throw TensorError.invalidArgument("the albedo model is \(albedo.size)², the detail UV grid \(uvSize)²")
        }
        inputs = try DetailInputBuilder(model: model, aligner: frontEnd.aligner, base: base, uvSize: uvSize)
        self.albedo = albedo
        cropSize = frontEnd.aligner.size
    }

    /// One prepared face: manifest entry and its three arrays.
    public struct Face: Sendable {
        var sample: DetailDatasetManifest.Sample
        var uv: [UInt8], tension: [Float], target: [UInt8]
    }

    /// The faces of one source (a folder of photos or a video's frames, one person), prepared in
    /// parallel; faces that cannot be prepared are left out. `progress(done, total)` as they finish.
    public func prepare(_ faces: [LocatedPhoto], person: String, progress: (Int, Int) -> Void = { _, _ in }) -> [Face] {
        var kept = [Face?](repeating: nil, count: faces.count)
        let done = Counter()
        kept.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Compute.parallelFor(faces.count, costPerItem: 1 << 24) { range in
                for i in range {
                    base[i] = try? self.prepare(faces[i], person: person)
                    progress(done.increment(), faces.count)
                }
            }
        }
        return kept.compactMap { $0 }
    }

    /// The dataset of prepared faces; `sources` maps each source to [tried, kept].
    public func dataset(_ faces: [Face], sources: [String: [Int]], albedoModelHash: String) -> DetailDataset {
        let manifest = DetailDatasetManifest(
            created: ISO8601DateFormatter().string(from: Date()), faceModel: "\(model.info.name) \(model.info.version) \(model.info.contentHash)",
            baseModel: inputs.base.contentHash, albedoModel: albedoModelHash, uvSize: uvSize, cropSize: cropSize,
            renderFactor: renderFactor, samples: faces.map(\.sample), sources: sources)
        return DetailDataset(manifest: manifest, uv: faces.flatMap(\.uv), tension: faces.flatMap(\.tension),
                             target: faces.flatMap(\.target))
    }

    func prepare(_ photo: LocatedPhoto, person: String) throws -> Face {
        let face = try inputs.face(photo.image, landmarks: photo.landmarks)
        guard face.visibleSkin >= minimumVisibleSkin else { throw DetailDataError.tooLittleSkin(face.visibleSkin) }
        let observation = try AlbedoObservation.extract(name: photo.name, photo: face.crop, landmarks: face.landmarks,
                                                        mesh: inputs.mesh(face.vertices), camera: face.camera, atlas: inputs.atlas,
                                                        regions: inputs.regions)
        guard let light = observation.light(against: albedo.mean) else { throw DetailDataError.noLight }
        let alpha = try fitAlbedo(observation.albedo(under: light))
        let c = face.code
        return Face(sample: .init(person: person, name: photo.name, identity: c.identity, expression: c.expression, pose: c.pose,
                                  camera: [face.camera.scale, face.camera.translation.x, face.camera.translation.y],
                                  light: light, albedo: alpha, visibleSkin: face.visibleSkin),
                    uv: face.uv, tension: face.tension, target: try renderTarget(face.crop, landmarks: face.landmarks))
    }

    /// α fitted to de-lit skin texels.
    func fitAlbedo(_ delit: (texels: [Int32], values: [Float])) throws -> [Float] {
        let d = albedo.size
        var data = albedo.mean, mask = [Float](repeating: 0, count: d * d)
        for (i, t32) in delit.texels.enumerated() {
            let t = Int(t32)
            mask[t] = 1
            for c in 0..<3 { data[3 * t + c] = delit.values[3 * i + c] }
        }
        return try albedo.fit(try TextureMap(width: d, height: d, channels: 3, data: data), mask: mask)
    }

    /// The crop box-averaged by `renderFactor`, RGB + landmark skin mask (RGBA bytes).
    func renderTarget(_ crop: Image, landmarks: [Point2]) throws -> [UInt8] {
        let f = renderFactor, r = crop.width / f
        let skin = try SkinMask().mask(landmarks: landmarks.map { Point2(($0.x + 0.5) / Float(f) - 0.5, ($0.y + 0.5) / Float(f) - 0.5) },
                                       width: r, height: r)
        var out = [UInt8](repeating: 0, count: 4 * r * r)
        for y in 0..<r {
            for x in 0..<r {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<f { for dx in 0..<f { sum += Int(crop.pixels[((f * y + dy) * crop.width + f * x + dx) * crop.channels + c]) } }
                    out[4 * (y * r + x) + c] = UInt8((sum + f * f / 2) / (f * f))
                }
                out[4 * (y * r + x) + 3] = skin.pixels[y * r + x] > 0 ? 255 : 0
            }
        }
        return out
    }
}

/// Why a face is left out of a detail dataset.
public enum DetailDataError: Error, CustomStringConvertible {
    case greyscale
    case noLight
    case tooLittleSkin(Float)
    case noFaces
    public var description: String {
        switch self {
        case .greyscale: return "the photo has no colour"
        case .noLight: return "the SH light fit to the photo's skin is degenerate"
        case .tooLittleSkin(let share): return String(format: "only %.0f %% of the face's skin is seen", 100 * share)
        case .noFaces: return "no photo has a face whose skin is seen well enough for details"
        }
    }
}

/// A thread-safe running count for progress callbacks.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
