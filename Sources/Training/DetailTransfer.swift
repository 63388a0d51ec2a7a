import Foundation
import Assets
import FaceModel
import Networks
import Reconstruction
import Render
import Tensor

/// What the person-specific detail stage did, stored in the bundle as `details/transfer.json`.
public struct DetailTransferReport: Sendable, Codable {
    public var studentModel: String
    public var teacherModel: String
    public var faces: Int
    public var heldOut: Int
    public var steps: Int
    public var seconds: Double
    /// Mean L_Tchr (Eq. 5) of the held-out faces, before and after (with fewer than four faces:
    /// of all faces, and both the shared MAE's — nothing is trained).
    public var teacherLossBefore: Float
    public var teacherLossAfter: Float
    /// False when the stage did not lower the held-out L_Tchr: the shared MAE is kept.
    public var improved: Bool
}

/// The paper's detail stage of person-specific transfer (§3.4): adapters in every transformer
/// block of the detail MAE (encoder and decoder, after the feed-forward layer, before the next
/// layer norm), the layer norms and the detail latent x_d are trained on one person's faces with
/// L_Tchr (Eq. 5) against the teacher D_UNet, the MAE's weights frozen. A quarter of the faces
/// are held out; the adapted MAE is kept only when it lowers their L_Tchr. With fewer than four
/// faces there is nothing to hold out, so nothing is trained (as the coarse transfer's
/// `minimumPhotos`): the shared MAE is used and the report says `steps: 0, improved: false`.
public enum PersonDetailTransfer {
    public struct Configuration: Sendable, Codable, Equatable {
        public var steps = 60
        public var batchSize = 8
        public var learningRate: Float = 1e-3
        public var bottleneck = 16
        public var seed: UInt64 = 1
        public init() {}
    }

    /// Adapter, layer-norm and detail-latent parameters.
    public static func isTransferred(_ name: String) -> Bool {
        name.contains(".adapter.") || name.contains("norm") || name == "detail_latent"
    }

    /// `progress` is told each finished step (1…`steps`).
    public static func adapt(_ student: DetailModel, teacher: DetailModel, faces: [DetailFace], model: MorphableModel,
                             configuration c: Configuration = Configuration(),
                             progress: (Int) -> Void = { _ in }) throws -> (DetailModel, DetailTransferReport) {
        let start = Date()
        let adapted = try DetailModel(contentsOf: student.url, model: model)
        guard let mae = adapted.network as? DetailMAE else { throw TensorError.invalidArgument("\(student.url.path) is not a detail MAE") }
        var g = SeededGenerator(seed: c.seed)
        mae.mae.encoder.insertAdapters(bottleneck: c.bottleneck, using: &g)
        mae.mae.decoder.insertAdapters(bottleneck: c.bottleneck, using: &g)
        mae.setTrainable(where: isTransferred)
        let order = Array(faces.indices).shuffled(using: &g)
        let heldOut = faces.count >= 4 ? Array(order.prefix(faces.count / 4)) : order
        let train = faces.count >= 4 ? Array(order.dropFirst(faces.count / 4)) : order
        let inputs = faces.map { $0.input() }
        let targets = try inputs.map { x in try Autograd.withoutRecording { try teacher.network(x) } }
        let maximum = adapted.training.network.maximumDisplacement
        func batch(_ indices: [Int]) -> (Tensor, Tensor) {
            (concat(indices.map { inputs[$0] }, axis: 0), concat(indices.map { targets[$0] }, axis: 0))
        }
        func heldOutLoss(_ network: DetailNetwork) throws -> Float {
            try Autograd.withoutRecording {
                let (x, t) = batch(heldOut)
                return teacherStudentLoss(try network(x), teacher: t, maximum: maximum).item
            }
        }
        let before = try heldOutLoss(student.network)
        guard faces.count >= 4 else {
            return (student, DetailTransferReport(studentModel: student.contentHash, teacherModel: teacher.contentHash, faces: faces.count,
                                                  heldOut: 0, steps: 0, seconds: Date().timeIntervalSince(start),
                                                  teacherLossBefore: before, teacherLossAfter: before, improved: false))
        }
        let optimiser = Adam(parameters: mae.trainableParameters, learningRate: c.learningRate)
        for step in 0..<c.steps {
            let picks = (0..<min(c.batchSize, train.count)).map { train[(step * c.batchSize + $0) % train.count] }
            let (x, t) = batch(picks)
            let loss = teacherStudentLoss(try mae(x), teacher: t, maximum: maximum)
            loss.backward()
            _ = clipGradientNorm(optimiser.parameters, maxNorm: 1)
            optimiser.step()
            optimiser.zeroGrad()
            progress(step + 1)
        }
        mae.setTrainable(false)
        let after = try heldOutLoss(mae)
        let report = DetailTransferReport(studentModel: student.contentHash, teacherModel: teacher.contentHash, faces: faces.count,
                                          heldOut: heldOut.count, steps: c.steps, seconds: Date().timeIntervalSince(start),
                                          teacherLossBefore: before, teacherLossAfter: after, improved: after < before)
        return (after < before ? adapted : student, report)
    }

    /// Saves the person-specific parameters alone (adapters, layer norms, x_d).
    public static func save(_ adapted: DetailModel, to url: URL) throws {
        try Checkpoint.save(adapted.network, to: url, selection: isTransferred,
                            metadata: ["content": "detail-adapters", "student": adapted.contentHash])
    }
}

extension PersonDetails {
    /// What the detail half of a person's bundle is made of.
    public struct Build {
        public var rig: WrinkleRig
        /// The MAE the rig came from (the person-specific one when the detail stage helped).
        public var model: DetailModel
        /// The person-specific detail stage's report (nil when it was not run).
        public var transfer: DetailTransferReport?
        /// The MAE's displacement of each face at its own tension (the reconstructed details).
        public var perFace: [TextureMap]
        public var faces: Int
        public var seconds: Double
    }

    /// The person's detail rig from their located photos: up to `maximumFaces` `DetailFace`s (faces
    /// with less than a quarter of the UV skin seen are left out), the person-specific detail stage
    /// (`PersonDetailTransfer`, when `transfer`), then `make` with the person's identity β.
    /// `progress(step, total)` counts the faces unwrapped, then the detail stage's steps.
    public static func build(photos: [LocatedPhoto], identity: [Float], student: DetailModel, teacher: DetailModel,
                             inputs: DetailInputBuilder, maximumFaces: Int = 24, transfer: Bool = true,
                             configuration: PersonDetailTransfer.Configuration = .init(),
                             progress: (Int, Int) -> Void = { _, _ in }) throws -> Build {
        let start = Date()
        let stride = max(1, photos.count / maximumFaces)
        let chosen = Swift.stride(from: 0, to: photos.count, by: stride).prefix(maximumFaces).map { photos[$0] }
        let total = chosen.count + (transfer ? configuration.steps : 0)
        let faces = chosen.enumerated().compactMap { i, p in
            defer { progress(i + 1, total) }
            return (try? inputs.face(p.image, landmarks: p.landmarks)).flatMap { $0.visibleSkin >= 0.25 ? $0 : nil }
        }
        guard !faces.isEmpty else { throw DetailDataError.noFaces }
        var (adapted, report): (DetailModel, DetailTransferReport?) = (student, nil)
        if transfer {
            (adapted, report) = try PersonDetailTransfer.adapt(student, teacher: teacher, faces: faces, model: inputs.model,
                                                               configuration: configuration,
                                                               progress: { progress(chosen.count + $0, total) })
            progress(total, total)   // also when too few faces to train on
        }
        let rig = try make(adapted, faces: faces, identity: identity, inputs: inputs).rig
        let perFace = try faces.map { try adapted.displacement($0.input())[0] }
        return Build(rig: rig, model: adapted, transfer: report, perFace: perFace, faces: faces.count,
                     seconds: Date().timeIntervalSince(start))
    }
}
