import Assets
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Render

/// The person a clip is retargeted onto: their identity β (from their bundle's `summary.json`)
/// and, when the bundle has one, their texture (`head.png`).
public struct RetargetTarget: Sendable {
    public var name: String
    public var identity: [Float]
    public var texture: Image?

    public init(name: String, identity: [Float], texture: Image?) {
        self.name = name
        self.identity = identity
        self.texture = texture
    }

    public enum LoadError: Error, CustomStringConvertible {
        case noIdentity(String)
        public var description: String {
            switch self {
            case .noIdentity(let path): return "\(path) holds no identity (a bundle's or fit's summary.json with an \"identity\" array)"
            }
        }
    }

    /// The person a bundle folder belongs to: a Library bundle is <person>/vNNNN (or
    /// <person>/latest, a link to one); any other folder names itself.
    public static func personName(ofBundle bundle: URL) -> String {
        let folder = bundle.resolvingSymlinksInPath()
        let isVersion = folder.lastPathComponent.range(of: "^v[0-9]{4,}$", options: .regularExpression) != nil
        return (isVersion ? folder.deletingLastPathComponent() : folder).lastPathComponent
    }

    /// A bundle (or `fit`/`reconstruct` output) folder: `summary.json`'s `identity` (top level, or
    /// under `summary` as `reconstruct` writes it), `head.png` when present.
    public init(bundle: URL, name: String? = nil) throws {
        let summaryURL = bundle.appendingPathComponent("summary.json")
        guard let data = try? Data(contentsOf: summaryURL),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoadError.noIdentity(summaryURL.path)
        }
        let values = (object["identity"] ?? (object["summary"] as? [String: Any])?["identity"]) as? [NSNumber]
        guard let values, !values.isEmpty else { throw LoadError.noIdentity(summaryURL.path) }
        self.name = name ?? Self.personName(ofBundle: bundle)
        identity = values.map(\.floatValue)
        texture = try? ImageDecoder.decode(contentsOf: bundle.appendingPathComponent("head.png"))
    }
}

/// What `likeness retarget` writes for one clip (a video, or the driving photos as one clip).
public enum RetargetOutput {
    /// Live Link Face's 52 blendshape columns, in its order (ARKit's names with a capital first letter).
    public static let liveLinkNames = [
        "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft", "EyeWideLeft",
        "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight",
        "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft",
        "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight",
        "MouthStretchLeft", "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
        "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight",
        "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
        "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
    ]
    public static let poseColumns = ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                                     "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]

    /// Live Link Face's timecode HH:MM:SS:FF.fff — frame FF within the second at `frameRate`,
    /// then the fraction of a frame in thousandths.
    public static func timecode(_ seconds: Double, frameRate: Double) -> String {
        let whole = Int(seconds.rounded(.down)), fps = max(frameRate, 1)
        // Thousandths of a frame, rounded once, so 3725.04 s at 25 fps is frame 1.000, not 0.999.
        let milli = Int(((seconds - Double(whole)) * fps * 1000).rounded())
        let f = milli / 1000, sub = milli % 1000
        return String(format: "%02d:%02d:%02d:%02d.%03d", whole / 3600, whole / 60 % 60, whole % 60, f, sub)
    }

    /// The ARKit CSV as Live Link Face writes it: Timecode, BlendShapeCount (61), the 52 weights,
    /// head yaw/pitch/roll and each eye's (radians, `YawPitchRoll` of R(θ_global)·R(θ_neck) and of
    /// the eye joints). Like Live Link Face, only frames with a tracked face have rows.
    public static func csv(_ frames: [DriverFrame], expressionNames: [String], frameRate: Double) -> String {
        var column = [String: Int]()
        for (k, name) in expressionNames.enumerated() { column[name.prefix(1).uppercased() + name.dropFirst()] = k }
        var lines = [(["Timecode", "BlendShapeCount"] + liveLinkNames + poseColumns).joined(separator: ",")]
        for f in frames where f.hasFace {
            var cells = [timecode(f.timestamp, frameRate: frameRate), "\(liveLinkNames.count + poseColumns.count)"]
            cells += liveLinkNames.map { name in column[name].map { String(format: "%.6f", f.expression[$0]) } ?? "0" }
            let head = YawPitchRoll(f.headRotation)
            let left = YawPitchRoll(Rodrigues.matrix(f.rotation(ofJoint: 3)))
            let right = YawPitchRoll(Rodrigues.matrix(f.rotation(ofJoint: 4)))
            cells += [head, left, right].flatMap { [$0.yaw, $0.pitch, $0.roll] }.map { String(format: "%.6f", $0) }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The driver's own person-specific model (`retarget --driver`): who, the adapters file and
    /// its SHA-256, so a clip records which adapters estimated it.
    public struct DriverModel: Codable, Equatable, Sendable {
        public var name: String
        public var adapters: String
        public var adaptersSHA256: String

        public init(name: String, adapters: String, adaptersSHA256: String) {
            self.name = name
            self.adapters = adapters
            self.adaptersSHA256 = adaptersSHA256
        }
    }

    /// `retarget.json`: the clip, the target, the estimating model (the base network's hash, and
    /// `driver` when the driver's adapters were used), and every frame (lost ones marked `"state": "lost"`).
    public struct Record: Codable {
        public var source: String
        public var target: String
        public var frameRate: Double
        public var refined: Bool
        public var network: String
        /// The driver's adapters on top of `network`; nil for the base model alone.
        public var driver: DriverModel?
        public var expressionNames: [String]
        public var jointNames: [String]
        public var framesWithFace: Int
        /// Frames per second of the per-frame path (decode, track, network, filter) for video.
        public var processingFPS: Double?
        public var frames: [DriverFrame]

        public init(source: String, target: String, frameRate: Double, refined: Bool, network: String, driver: DriverModel? = nil,
                    expressionNames: [String], jointNames: [String], framesWithFace: Int, processingFPS: Double?, frames: [DriverFrame]) {
            self.source = source
            self.target = target
            self.frameRate = frameRate
            self.refined = refined
            self.network = network
            self.driver = driver
            self.expressionNames = expressionNames
            self.jointNames = jointNames
            self.framesWithFace = framesWithFace
            self.processingFPS = processingFPS
            self.frames = frames
        }
    }

    /// The skin joints whose rotations are keyed besides the head's (on `global`): the jaw and
    /// the eyes, each keyed with its own θ_j.
    public static let keyedJoints = ["jaw", "leftEye", "rightEye"]

    /// Morph weights of the GLB for a frame. With the jaw joint keyed (`jawJoint`), ψ as it is:
    /// the model's face S(β, ψ, θ) = LBS(T + Bψ, θ) applies both the jawOpen morph and the jaw
    /// joint's rotation θ_jaw, and a skinned glTF plays exactly that (morphs, then skinning), so
    /// keeping both counts the jaw once — what the estimate put in θ_jaw turns the joint, what it
    /// put in ψ_jawOpen plays the morph. Folding θ_jaw into jawOpen as well would open the jaw
    /// twice. Without a jaw joint (a mesh without that skeleton) the joint's opening — its x
    /// rotation — is folded into jawOpen as θ_jaw,x / jawOpenAngle, the one way such a mesh can
    /// play it.
    public static func glbWeights(_ f: DriverFrame, expressionNames: [String], jawJoint: Bool) -> [Float] {
        var w = f.expression
        if !jawJoint, let k = expressionNames.firstIndex(of: "jawOpen"), k < w.count {
            w[k] = min(1, max(0, w[k] + f.rotation(ofJoint: 2).x / EmbeddedHead.jawOpenAngle))
        }
        return w
    }

    /// Unit quaternion (x, y, z, w) of a rotation matrix (Shepperd's method).
    public static func quaternion(_ r: Mat3) -> SIMD4<Float> {
        let m = [[r.r0.x, r.r0.y, r.r0.z], [r.r1.x, r.r1.y, r.r1.z], [r.r2.x, r.r2.y, r.r2.z]]
        let trace = m[0][0] + m[1][1] + m[2][2]
        var q: SIMD4<Float>
        if trace > 0 {
            let s = 2 * (trace + 1).squareRoot()
            q = SIMD4((m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s, s / 4)
        } else if m[0][0] > m[1][1], m[0][0] > m[2][2] {
            let s = 2 * (1 + m[0][0] - m[1][1] - m[2][2]).squareRoot()
            q = SIMD4(s / 4, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s, (m[2][1] - m[1][2]) / s)
        } else if m[1][1] > m[2][2] {
            let s = 2 * (1 + m[1][1] - m[0][0] - m[2][2]).squareRoot()
            q = SIMD4((m[0][1] + m[1][0]) / s, s / 4, (m[1][2] + m[2][1]) / s, (m[0][2] - m[2][0]) / s)
        } else {
            let s = 2 * (1 + m[2][2] - m[0][0] - m[1][1]).squareRoot()
            q = SIMD4((m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, s / 4, (m[1][0] - m[0][1]) / s)
        }
        return q / (q * q).sum().squareRoot()
    }

    /// `animation.glb`: the target's head (GLBExporter: its identity, texture, every expression a
    /// named morph target) with the clip as a glTF animation — morph weights keyed at the source
    /// timestamps of the frames with a face, head rotation on the skin's root joint (`global`;
    /// `GLBAnimation` falls back to a `head` node pivoting at the neck joint for an unskinned
    /// mesh), and the rotations θ_j of the `keyedJoints` the model and the GLB's skin both have
    /// on those joints at the same times (see `glbWeights` for the jaw). Returns the number of keys.
    @discardableResult
    public static func writeGLB(_ frames: [DriverFrame], target: RetargetTarget, model: MorphableModel, clip: String,
                                to url: URL) throws -> Int {
        try GLBExporter.export(model, identity: target.identity, texture: target.texture, to: url)
        var keyed = frames.filter(\.hasFace)
        // glTF key times must increase strictly.
        keyed = keyed.enumerated().filter { i, f in i == 0 || f.timestamp > keyed[i - 1].timestamp }.map(\.element)
        guard !keyed.isEmpty else { return 0 }
        var neutral = FaceCode.neutral(for: model)
        if !target.identity.isEmpty { neutral.identity = target.identity }
        let pivot = try FaceEvaluator(model: model).evaluate(neutral).skeleton.restJoints[min(1, model.joints.count - 1)]
        let skin = Set(try GLBAnimation.skinJointNames(of: url))
        let joints = keyedJoints.compactMap { name in model.joints.firstIndex { $0.name == name && skin.contains(name) } }
        let jointKeys = joints.map { j in
            (joint: model.joints[j].name, rotations: keyed.map { quaternion(Rodrigues.matrix($0.rotation(ofJoint: j))) })
        }
        let jawJoint = joints.contains { model.joints[$0].name == "jaw" }
        try GLBAnimation.add(to: url, name: clip, times: keyed.map { Float($0.timestamp) },
                             weights: keyed.map { glbWeights($0, expressionNames: model.expressionNames, jawJoint: jawJoint) },
                             rotations: keyed.map { quaternion($0.headRotation) }, jointRotations: jointKeys, pivot: pivot)
        return keyed.count
    }

    /// One preview tile: the driving frame with its landmarks beside the target's head rendered
    /// with the driver's ψ, θ and camera (textured when the target has a texture, over white). A
    /// frame without a face shows the frame beside a pale red panel.
    public static func tile(_ frame: DriverFrame, image: Image, target: RetargetTarget, model: MorphableModel,
                            evaluator: FaceEvaluator, texture: TextureMap?) throws -> Image {
        let rgb = image.converted(channels: 3)
        guard frame.hasFace, let camera = frame.camera else {
            let panel = Image(width: rgb.width, height: rgb.height, channels: 3,
                              pixels: [UInt8]((0..<(rgb.width * rgb.height)).flatMap { _ in [255, 200, 200] as [UInt8] }))
            return Preview.contactSheet([rgb, panel], gap: 0)
        }
        let code = Retargeter.transfer(frame, identity: target.identity, model: model)
        let mesh = try RenderMesh(model: model, positions: try evaluator.evaluate(code).vertices)
        let white = Image(width: rgb.width, height: rgb.height, channels: 3, pixels: [UInt8](repeating: 255, count: rgb.pixels.count))
        let render = try texture.map {
            try Preview.textured(mesh: mesh, albedo: $0, camera: camera, width: rgb.width, height: rgb.height, background: white)
        } ?? Preview.grey(mesh: mesh, camera: camera, width: rgb.width, height: rgb.height, background: white)
        let marked = Preview.landmarks(on: rgb, points: frame.landmarks, radius: max(1, rgb.width / 250))
        return Preview.contactSheet([marked, render], gap: 0)
    }
}
