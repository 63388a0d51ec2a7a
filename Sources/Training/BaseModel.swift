import Checksum
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Networks
import Reconstruction
import ShippedModels
import Tensor

/// The trained base model in use (paper §3.2): an aligned 256² crop → β, ψ, θ and the camera.
public final class BaseModel: @unchecked Sendable {
    public let encoder: CoarseEncoder
    public let training: BaseTrainingConfiguration
    /// sha256 of the weights file, recorded in bundles as `base-model`.
    public let contentHash: String
    public let url: URL
    /// The model's licence, as its card states it.
    public static let licence = "Likeness base model: weights trained on UTKFace and LFW photos (non-commercial research use only) and 300-W annotations (research use only); inherits those terms — see Sources/ShippedModels/base/MODEL_CARD.md"

    public enum LoadError: Error, CustomStringConvertible {
        case notShipped
        case noConfiguration(String)
        case wrongFaceModel(expected: String, found: String)
        public var description: String {
            switch self {
            case .notShipped: return "this build carries no base model (Sources/ShippedModels/base/coarse-encoder.safetensors is missing)"
            case .noConfiguration(let path): return "\(path) is not a Likeness base model: it has no configuration in its metadata"
            case let .wrongFaceModel(expected, found):
                return "the base model was trained for face model \(found), not \(expected)"
            }
        }
    }

    /// Loads a model written by `BaseTrainer.saveModel` (or the shipped one when `url` is nil).
    public init(contentsOf url: URL? = nil) throws {
        guard let url = url ?? ShippedModels.baseModelURL else { throw LoadError.notShipped }
        let data = try Data(contentsOf: url)
        let file = try SafeTensorsFile.parse(data)
        guard let json = file.metadata?["configuration"] else { throw LoadError.noConfiguration(url.path) }
        training = try JSONDecoder().decode(BaseTrainingConfiguration.self, from: Data(json.utf8))
        encoder = CoarseEncoder(training.encoder)
        try Checkpoint.load(into: encoder, from: file, selection: { !$0.hasPrefix("adam.") })
        encoder.setTrainable(false)
        contentHash = SHA256.hex(data)
        self.url = url
    }

    /// Checks that `model` is the face model the encoder was trained for.
    public func check(_ model: MorphableModel) throws {
        guard model.info.contentHash == training.encoder.faceModelHash else {
            throw LoadError.wrongFaceModel(expected: "\(model.info.name) \(model.info.version)", found: training.encoder.faceModel)
        }
    }

    /// The prediction for one crop, in the crop's pixels.
    public struct CropPrediction: Sendable {
        public var code: FaceCode
        public var camera: OrthoCamera
        /// α (standard deviations of the albedo model), when the encoder regresses it.
        public var albedo: [Float]? = nil
    }

    /// Predictions for aligned RGB crops (`inputSize`², 3 channels), batched.
    public func predict(_ crops: [Image]) throws -> [CropPrediction] {
        let size = training.encoder.inputSize, plane = 3 * size * size
        let images = Tensor(uninitialized: [crops.count, 3, size, size])
        for (i, crop) in crops.enumerated() {
            guard crop.width == size, crop.height == size else {
                throw TensorError.shapeMismatch(expected: [size, size], got: [crop.height, crop.width], context: "base model crop")
            }
            for p in 0..<(size * size) {
                for k in 0..<3 {
                    images.data[i * plane + k * size * size + p] = CoarseEncoder.normalise(crop.pixels[p * crop.channels + min(k, crop.channels - 1)])
                }
            }
        }
        let code = try Autograd.withoutRecording { try encoder(images) }
        let c = training.encoder
        return (0..<crops.count).map { i in
            func row(_ t: Tensor, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: t.data + i * n, count: n)) }
            let cam = row(code.camera, 3)
            return CropPrediction(code: FaceCode(identity: row(code.identity, c.identityCount),
                                                 expression: row(code.expression, c.expressionCount),
                                                 pose: row(code.pose, 3 * c.jointCount)),
                                  camera: OrthoCamera(scale: cam[0], translation: SIMD2(cam[1], cam[2])),
                                  albedo: code.albedo.map { row($0, c.albedoCount) })
        }
    }

    /// A crop prediction carried into the photo: u_p = M u_c + t_M for the crop → photo similarity
    /// (M = |m|·Rot(φ)). Since Π flips y, M·Π = |m|·Π·R_z(−φ) on the image plane, so the photo's
    /// camera has scale |m|·s and the in-plane rotation R_z(−φ) goes into the global rotation θ₀
    /// (about the root joint J₀; the shift R_z J₀ − J₀ it causes is added to t).
    public static func toPhoto(_ p: CropPrediction, cropToPhoto m: Similarity2D, evaluator: FaceEvaluator) throws -> CropPrediction {
        let phi = atan2(m.b, m.a)
        let rz = Rodrigues.matrix(SIMD3(0, 0, -phi))
        var code = p.code
        code.setRotation(Rodrigues.axisAngle(rz * Rodrigues.matrix(code.rotation(ofJoint: 0))), ofJoint: 0)
        let rest = try evaluator.evaluate(p.code).skeleton.restJoints[0]
        let shift = rz * rest - rest
        let scale = m.scale * p.camera.scale
        let t = m.apply(Point2(p.camera.translation.x, p.camera.translation.y))
        let camera = OrthoCamera(scale: scale, translation: SIMD2(t.x + scale * shift.x, t.y - scale * shift.y))
        return CropPrediction(code: code, camera: camera, albedo: p.albedo)
    }
}

extension BaseModel {
    /// The base model's estimate for located photos, in photo pixels: each face cut to the aligned
    /// 256² crop by its detected landmarks, predicted in one batch, carried back to the photo.
    /// α is the crop's as regressed.
    public func estimate(_ photos: [LocatedPhoto], aligner: FaceAligner, evaluator: FaceEvaluator) throws -> [FaceEstimate] {
        let crops = try photos.map { try aligner.crop($0.image, landmarks: $0.landmarks) }
        var out: [FaceEstimate] = []
        for start in stride(from: 0, to: crops.count, by: 16) {
            let part = Array(crops[start..<min(start + 16, crops.count)])
            let predictions = try predict(part.map(\.image))
            for (p, crop) in zip(predictions, part) {
                let photo = try BaseModel.toPhoto(p, cropToPhoto: crop.cropToPhoto, evaluator: evaluator)
                out.append(FaceEstimate(code: photo.code, camera: photo.camera, albedo: photo.albedo))
            }
        }
        return out
    }
}

extension LandmarkProjection {
    /// The 68 projected points of one face (jaw line matched to `target` as in the forward pass).
    public func points(_ code: FaceCode, camera: OrthoCamera, target: [SIMD2<Float>]) -> [SIMD2<Float>] {
        forward(code, camera: camera, target: target).points3D.map(camera.project)
    }
}

/// `likeness eval landmarks --source base [--refine]`: detections → aligned crop → base model →
/// its projected landmarks (jaw line matched to the detections by Eq. 1), or the classical landmark
/// fit started from the base model's estimate with `refiner`.
public struct BaseLandmarkSource: LandmarkSource {
    public let detections: LandmarkSource
    public let model: BaseModel
    public let projection: LandmarkProjection
    public let aligner: FaceAligner
    public let refiner: LandmarkFitter?

    public init(detections: LandmarkSource, model: BaseModel, projection: LandmarkProjection, aligner: FaceAligner,
                refiner: LandmarkFitter?) {
        self.detections = detections
        self.model = model
        self.projection = projection
        self.aligner = aligner
        self.refiner = refiner
    }

    public var name: String { refiner == nil ? "base" : "base-refine" }

    public func landmarks(for query: LandmarkQuery) throws -> [Point2]? {
        guard let detected = try detections.landmarks(for: query) else { return nil }
        let photo = LocatedPhoto(name: query.name, url: URL(fileURLWithPath: "/"), image: query.image, landmarks: detected)
        let start = try model.estimate([photo], aligner: aligner, evaluator: projection.evaluator)[0]
        let target = detected.map { SIMD2($0.x, $0.y) }
        if let refiner {
            guard let targets = try? FitTargets(detected),
                  let fit = try? refiner.refine(targets, code: start.code, camera: start.camera) else { return nil }
            return fit.landmarks.map { Point2($0.x, $0.y) }
        }
        return projection.points(start.code, camera: start.camera, target: target).map { Point2($0.x, $0.y) }
    }
}
