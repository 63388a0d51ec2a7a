import Assets
import Checksum
import FaceModel
import Foundation
import Networks
import Reconstruction
import ShippedModels
import Render
import Tensor

/// A trained detail network in use (the teacher D_UNet or the MAE A), loaded from the safetensors
/// `DetailTrainer.saveModel` writes: its weights, the training recipe and the content hash.
public final class DetailModel: @unchecked Sendable {
    public let network: DetailNetwork
    public let training: DetailTrainingConfiguration
    public let uv: DetailUV
    public let contentHash: String
    public let url: URL

    public enum LoadError: Error, CustomStringConvertible {
        case noConfiguration(String)
        case wrongFaceModel(String)
        public var description: String {
            switch self {
            case .noConfiguration(let path): return "\(path) is not a Likeness detail network (no configuration in its metadata)"
            case .wrongFaceModel(let path): return "\(path) was trained for another head's UV layout"
            }
        }
    }

    public init(contentsOf url: URL, model: MorphableModel) throws {
        let data = try Data(contentsOf: url)
        let file = try SafeTensorsFile.parse(data)
        guard let json = file.metadata?["configuration"] else { throw LoadError.noConfiguration(url.path) }
        training = try JSONDecoder().decode(DetailTrainingConfiguration.self, from: Data(json.utf8))
        guard training.network.faceModelHash == model.info.contentHash else { throw LoadError.wrongFaceModel(url.path) }
        uv = try DetailUV(model: model, size: training.network.uvSize)
        switch training.stage {
        case .teacher: network = DetailTeacher(training.network, domain: uv.domain)
        case .student: network = DetailMAE(training.network, domain: uv.domain)
        }
        try Checkpoint.load(into: network, from: file, selection: { !$0.hasPrefix("adam.") })
        network.setTrainable(false)
        contentHash = SHA256.hex(data)
        self.url = url
    }

    /// The UNet teacher inside, for the student stage.
    public var teacher: DetailTeacher? { network as? DetailTeacher }
}

extension DetailModel {
    /// D (d×d×1, metres) of network inputs `[B, 5, d, d]`, one map per item, feathered at the
    /// face's edge (`DetailUV.feather`).
    public func displacement(_ inputs: Tensor) throws -> [TextureMap] {
        let d = training.network.uvSize, d2 = d * d
        let out = try Autograd.withoutRecording { try network(inputs) }
        return try (0..<inputs.shape[0]).map { b in
            let values = (0..<d2).map { out.data[b * d2 + $0] * uv.feather[$0] }
            return try TextureMap(width: d, height: d, channels: 1, data: values)
        }
    }
}

/// A person's animatable details (§3.3 in a bundle): the `WrinkleRig` — the neutral displacement
/// and, per ARKit expression that wrinkles, the displacement at that expression's tension with its
/// mask — made by the detail MAE from the person's photos.
public enum PersonDetails {
    /// The ARKit shapes that wrinkle skin: brows (forehead, glabella), eyes (crow's feet, lids),
    /// nose (bunny lines), mouth and cheeks (nasolabial folds, chin); a shape is kept only when
    /// the model's blendshape really strains the face (|T| ≥ `minimumTension` somewhere).
    public static let candidates = [
        "browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight",
        "eyeSquintLeft", "eyeSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "cheekSquintLeft", "cheekSquintRight",
        "noseSneerLeft", "noseSneerRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
        "mouthPucker", "mouthFunnel", "mouthPressLeft", "mouthPressRight", "jawOpen",
    ]
    public static let minimumTension: Float = 0.1

    /// The rig of a person: the MAE's texture input is the mean of `faces`' visible UV colours
    /// (visible where any photo saw it), run at the tension of S(β, ψ = 0) (zero: the neutral) and
    /// of S(β, ψ = e_k) for every wrinkling shape k, β the person's identity. The mask of shape k is
    /// smoothstep(0.02, 0.15, |T_k|) on the face domain: where that blendshape compresses or
    /// stretches the skin. Returns the rig and the mean texture (d²×4 bytes).
    public static func make(_ model: DetailModel, faces: [DetailFace], identity: [Float], inputs: DetailInputBuilder) throws
        -> (rig: WrinkleRig, texture: [UInt8]) {
        guard !faces.isEmpty else { throw DetailDataError.noFaces }
        let head = inputs.model, d = inputs.uvSize, d2 = d * d
        var person = faces[0]
        person.uv = meanTexture(faces, texels: d2)
        let neutral = try model.displacement(person.input(tension: [Float](repeating: 0, count: d2)))[0]
        var wrinkles: [WrinkleRig.Wrinkle] = []
        for name in candidates {
            guard let k = head.expressionNames.firstIndex(of: name) else { continue }
            var psi = [Float](repeating: 0, count: head.expressionCount)
            psi[k] = 1
            let code = FaceCode(identity: identity, expression: psi, pose: [Float](repeating: 0, count: 3 * head.joints.count))
            let t = try inputs.tension(code)
            guard (t.map { abs($0) }.max() ?? 0) >= minimumTension else { continue }
            let mask = zip(t, model.uv.domain).map { tension, inside in inside * smoothstep(0.02, 0.15, abs(tension)) }
            wrinkles.append(WrinkleRig.Wrinkle(blendshape: name, morphTargetIndex: k,
                                               displacement: try model.displacement(person.input(tension: t))[0],
                                               mask: try TextureMap(width: d, height: d, channels: 1, data: mask)))
        }
        return (try WrinkleRig(neutral: neutral, wrinkles: wrinkles), person.uv)
    }

    static func meanTexture(_ faces: [DetailFace], texels: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 4 * texels)
        for t in 0..<texels {
            var sum = SIMD3<Float>(0, 0, 0), n: Float = 0
            for f in faces where f.uv[4 * t + 3] > 127 {
                sum += SIMD3(Float(f.uv[4 * t]), Float(f.uv[4 * t + 1]), Float(f.uv[4 * t + 2]))
                n += 1
            }
            guard n > 0 else { continue }
            let m = sum / n
            out[4 * t] = UInt8(m.x.rounded()); out[4 * t + 1] = UInt8(m.y.rounded()); out[4 * t + 2] = UInt8(m.z.rounded())
            out[4 * t + 3] = 255
        }
        return out
    }
}

func smoothstep(_ a: Float, _ b: Float, _ x: Float) -> Float {
    let t = min(max((x - a) / (b - a), 0), 1)
    return t * t * (3 - 2 * t)
}

extension DetailModel {
    public static let licence = "Likeness detail networks: trained on LFW (George W. Bush), the Obama frame sequence and the short single-person videos of ../shared/data (research use only; see their terms); inherits those terms — see Sources/ShippedModels/details/MODEL_CARD.md"

    /// The shipped MAE and teacher, or nil (with why) when this build ships none or they belong to another head.
    public static func shipped(for model: MorphableModel) -> (student: DetailModel, teacher: DetailModel)? {
        guard let s = ShippedModels.detailMAEURL, let t = ShippedModels.detailTeacherURL,
              let student = try? DetailModel(contentsOf: s, model: model), let teacher = try? DetailModel(contentsOf: t, model: model)
        else { return nil }
        return (student, teacher)
    }
}
