import Assets
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Render
import Training

/// The detail rig's files in a bundle or a reconstruction folder: `wrinkles.json` with the 16-bit
/// displacements, normal maps and masks in `details/` (`WrinkleRig.write`), the head GLB's
/// `normalTexture` (the neutral details) and its `extras.likeness_wrinkles`, a preview sheet of the
/// head with details at several expressions, and the person-specific detail stage's report and
/// parameters.
enum DetailOutputs {
    /// Expressions of the preview sheet, left to right.
    static let previewExpressions: [[String: Float]] = [
        [:], ["browInnerUp": 1], ["browDownLeft": 1, "browDownRight": 1], ["eyeSquintLeft": 1, "eyeSquintRight": 1],
        ["noseSneerLeft": 1, "noseSneerRight": 1], ["mouthSmileLeft": 1, "mouthSmileRight": 1], ["jawOpen": 0.6, "mouthFunnel": 0.5],
    ]

    /// Writes the rig of `identity`'s head into `folder`; adds the normal map to `glb` when given.
    static func write(_ build: PersonDetails.Build, identity: [Float], model: MorphableModel, into folder: URL, glb: URL?) throws {
        let evaluator = try FaceEvaluator(model: model)
        var mesh = try RenderMesh(model: model)
        func posed(_ weights: [Float]) throws -> RenderMesh {
            var m = mesh
            m.positions = try evaluator.evaluate(FaceCode(identity: identity, expression: weights,
                                                          pose: [Float](repeating: 0, count: 3 * model.joints.count))).vertices
            return m
        }
        mesh = try posed([Float](repeating: 0, count: model.expressionCount))
        try build.rig.write(to: folder, mesh: mesh)
        if let glb { try build.rig.glbDetails(mesh: mesh).add(to: glb) }
        let expressions = previewExpressions.map { named -> [Float] in
            var w = [Float](repeating: 0, count: model.expressionCount)
            for (name, value) in named { if let k = model.expressionNames.firstIndex(of: name) { w[k] = value } }
            return w
        }
        // Framed on the face (its 68 landmarks), where the wrinkles are.
        let camera = OrthoCamera.framing(positions: mesh.surfacePoints(model.landmarks), width: 384, height: 384, fill: 0.8)
        let sheet = try build.rig.previewSheet(expressions: expressions, mesh: posed, camera: camera, width: 384, height: 384)
        let details = folder.appendingPathComponent("details")
        try PNGEncoder.encode(sheet).write(to: details.appendingPathComponent("preview.png"))
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let transfer = build.transfer {
            try json.encode(transfer).write(to: details.appendingPathComponent("transfer.json"))
            if transfer.improved {
                try PersonDetailTransfer.save(build.model, to: details.appendingPathComponent("detail-adapters.safetensors"))
            }
        }
    }
}
