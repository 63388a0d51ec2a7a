import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Training

/// One driving frame's face, as it transfers: the driver's ARKit weights ψ (the model's
/// `expressionNames` order, in [0, 1]), its pose θ (3 axis-angle values per joint: global, neck,
/// jaw, left eye, right eye for the embedded head) and the camera, after temporal filtering, with
/// the unfiltered network (+ refinement) output beside them. A frame without a face has `state`
/// `.lost` and empty vectors.
public struct DriverFrame: Sendable, Codable {
    public var index: Int
    /// Source presentation time in seconds (0, 1, … for photos).
    public var timestamp: Double
    public var name: String
    public var state: TrackState
    public var expression: [Float]
    public var pose: [Float]
    public var camera: OrthoCamera?
    public var rawExpression: [Float]
    public var rawPose: [Float]
    /// The 68 landmarks the frame was cut and (with refinement) fitted by, photo pixels.
    public var landmarks: [SIMD2<Float>]

    public var hasFace: Bool { state != .lost }

    /// Head rotation R = R(θ_global)·R(θ_neck) (model axes: x right, y up, z towards the camera).
    public var headRotation: Mat3 {
        guard pose.count >= 6 else { return .identity }
        return Rodrigues.matrix(SIMD3(pose[0], pose[1], pose[2])) * Rodrigues.matrix(SIMD3(pose[3], pose[4], pose[5]))
    }

    /// The rotation of joint `j` (axis-angle), zero when the pose has no such joint.
    public func rotation(ofJoint j: Int) -> SIMD3<Float> {
        pose.count >= 3 * j + 3 ? SIMD3(pose[3 * j], pose[3 * j + 1], pose[3 * j + 2]) : .zero
    }
}

/// Yaw, pitch and roll (radians) of a rotation written R = R_y(yaw)·R_x(pitch)·R_z(roll):
/// yaw = atan2(R₀₂, R₂₂), pitch = asin(−R₁₂), roll = atan2(R₁₀, R₁₁).
public struct YawPitchRoll: Sendable, Equatable, Codable {
    public var yaw: Float
    public var pitch: Float
    public var roll: Float

    public init(yaw: Float, pitch: Float, roll: Float) { self.yaw = yaw; self.pitch = pitch; self.roll = roll }

    public init(_ r: Mat3) {
        yaw = atan2(r.r0.z, r.r2.z)
        pitch = asin(max(-1, min(1, -r.r1.z)))
        roll = atan2(r.r1.x, r.r1.y)
    }

    public var matrix: Mat3 {
        Rodrigues.matrix(SIMD3(0, yaw, 0)) * Rodrigues.matrix(SIMD3(pitch, 0, 0)) * Rodrigues.matrix(SIMD3(0, 0, roll))
    }
}

/// Driving images → `DriverFrame`s: landmarks (detected for photos; detected once then tracked
/// for video, `FaceTracker`), the aligned 256² crop, the base model (or a person-specific one),
/// the prediction carried into the photo (`BaseModel.toPhoto`), optionally refined by the
/// classical landmark fit from there (`LandmarkFitter.refine`), and for video a One-Euro filter
/// per channel over ψ, θ and the camera (reset when the face is lost). Only ψ and θ leave this
/// type: the driver's identity β is estimated (the fit needs it) and dropped.
public final class Retargeter {
    public let model: MorphableModel
    public let network: BaseModel
    public let projection: LandmarkProjection
    public let frontEnd: FaceFrontEnd
    public let refiner: LandmarkFitter?
    public let tracker: FaceTracker
    /// Filter of ψ and θ (weights and radians).
    public var poseFilter: OneEuroFilter
    /// Filter of the camera in face units: (ln s, tₓ/(s·0.1 m), t_y/(s·0.1 m)).
    public var cameraFilter: OneEuroFilter
    private let aligner: FaceAligner

    public init(model: MorphableModel, network: BaseModel, frontEnd: FaceFrontEnd, refine: Bool,
                filter: OneEuroFilter = OneEuroFilter()) throws {
        self.model = model
        self.network = network
        projection = try LandmarkProjection(model: model)
        self.frontEnd = frontEnd
        refiner = refine ? try LandmarkFitter(model: model) : nil
        tracker = FaceTracker(frontEnd: frontEnd)
        poseFilter = filter
        cameraFilter = filter
        aligner = frontEnd.aligner
    }

    /// The network's (and with refinement, the fit's) code and camera for a face with `landmarks`.
    public func estimate(_ image: Image, landmarks: [Point2]) throws -> (code: FaceCode, camera: OrthoCamera) {
        let crop = try aligner.crop(image, landmarks: landmarks)
        let prediction = try network.predict([crop.image])[0]
        let photo = try BaseModel.toPhoto(prediction, cropToPhoto: crop.cropToPhoto, evaluator: projection.evaluator)
        guard let refiner else { return (photo.code, photo.camera) }
        let fit = try refiner.refine(try FitTargets(landmarks), code: photo.code, camera: photo.camera)
        return (fit.code, fit.camera)
    }

    /// A still photo: detection (no tracking, no filter). A photo without a usable face is a lost frame.
    public func photo(_ image: Image, index: Int, name: String) -> DriverFrame {
        guard let located = try? frontEnd.locate(in: image) else { return lostFrame(index, Double(index), name) }
        return frame(image, landmarks: located.landmarks, state: .detected, index: index, timestamp: Double(index), name: name,
                     filtered: false)
    }

    /// The next video frame: tracked landmarks, estimate, filter.
    public func videoFrame(_ image: Image, index: Int, timestamp: Double, name: String) -> DriverFrame {
        let (landmarks, state) = tracker.next(image)
        guard let landmarks else {
            poseFilter.reset()
            cameraFilter.reset()
            return lostFrame(index, timestamp, name)
        }
        let result = frame(image, landmarks: landmarks, state: state, index: index, timestamp: timestamp, name: name, filtered: true)
        if !result.hasFace { tracker.reset() }
        return result
    }

    /// Forgets tracking and filter state (a new clip).
    public func startClip() {
        tracker.reset()
        poseFilter.reset()
        cameraFilter.reset()
    }

    private func lostFrame(_ index: Int, _ timestamp: Double, _ name: String) -> DriverFrame {
        DriverFrame(index: index, timestamp: timestamp, name: name, state: .lost, expression: [], pose: [], camera: nil,
                    rawExpression: [], rawPose: [], landmarks: [])
    }

    private func frame(_ image: Image, landmarks: [Point2], state: TrackState, index: Int, timestamp: Double, name: String,
                       filtered: Bool) -> DriverFrame {
        guard let (code, camera) = try? estimate(image, landmarks: landmarks) else { return lostFrame(index, timestamp, name) }
        let raw = code.expression.map { min(1, max(0, $0)) }
        var expression = raw, pose = code.pose, smoothedCamera = camera
        if filtered {
            let channels = poseFilter.filter(raw + code.pose, at: timestamp)
            expression = channels[0..<raw.count].map { min(1, max(0, $0)) }
            pose = Array(channels[raw.count...])
            let unit = 0.1 * camera.scale
            let c = cameraFilter.filter([log(camera.scale), camera.translation.x / unit, camera.translation.y / unit], at: timestamp)
            let s = exp(c[0])
            smoothedCamera = OrthoCamera(scale: s, translation: SIMD2(c[1] * 0.1 * s, c[2] * 0.1 * s), rotation: camera.rotation)
        }
        return DriverFrame(index: index, timestamp: timestamp, name: name, state: state, expression: expression, pose: pose,
                           camera: smoothedCamera, rawExpression: raw, rawPose: code.pose,
                           landmarks: landmarks.map { SIMD2($0.x, $0.y) })
    }

    /// The target's code for a driver frame: the target's identity, the driver's ψ and θ.
    public static func transfer(_ frame: DriverFrame, identity: [Float], model: MorphableModel) -> FaceCode {
        var code = FaceCode.neutral(for: model)
        code.identity = identity.isEmpty ? code.identity : identity
        if frame.expression.count == code.expression.count { code.expression = frame.expression }
        if frame.pose.count == code.pose.count { code.pose = frame.pose }
        return code
    }
}
