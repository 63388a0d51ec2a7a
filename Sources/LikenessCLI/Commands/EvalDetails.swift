import ArgumentParser
import Assets
import FaceModel
import Foundation
import Reconstruction
import Training

/// `likeness eval details`: the photometric error L_phoD of held-out faces rendered with each
/// detail network's displacement against the coarse face alone, and each network's L1 to the teacher.
struct EvalDetails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "details",
        abstract: "Photometric error of held-out faces with and without each detail network's details.",
        discussion: "The dataset is from `likeness dataset details` on people never trained on."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A detail dataset folder (held-out people).") var dataset: String?
    @Option(help: "A bundle (or reconstruction folder) with a wrinkle rig: report how each wrinkle map differs from the neutral.")
    var rig: String?
    @Option(help: "A detail network (teacher or MAE) to evaluate (repeatable); default the shipped MAE and teacher.")
    var weights: [String] = []
    @Option(help: "The teacher the L1 column compares with; default the shipped one.") var teacher: String?

    func validate() throws {
        if dataset == nil && rig == nil { throw ValidationError("give a detail dataset or --rig") }
    }

    func run() throws {
        if let rig { try report(rig: rig) }
        guard let dataset else { return }
        let model = EmbeddedHead.make()
        let data = try DetailDataset(directory: URL(fileURLWithPath: dataset))
        let shipped = DetailModel.shipped(for: model)
        guard let albedo = AlbedoModel.shipped(for: model).model else { throw ValidationError("no albedo model pairs with the head") }
        let teacherModel = try teacher.map { try DetailModel(contentsOf: URL(fileURLWithPath: $0), model: model) } ?? shipped?.teacher
        let networks = try weights.isEmpty ? [shipped?.teacher, shipped?.student].compactMap { $0 }
            : weights.map { try DetailModel(contentsOf: URL(fileURLWithPath: $0), model: model) }
        guard !networks.isEmpty else { throw ValidationError("this build ships no detail networks; give --weights") }
        let rendering = try DetailRendering(model: model, albedoModel: albedo, dataset: data)
        print("eval details: \(data.count) faces of \(data.byPerson.count) people; L_phoD = mean L1 over the skin, RGB in [0, 1]")
        for network in networks {
            let uv = network.uv
            let v = try DetailTrainer.evaluate(network.network, teacher: teacherModel?.teacher, rendering: rendering, uv: uv, on: data)
            let stage = network.training.stage == .teacher ? "teacher" : "MAE, L_Tchr weight \(network.training.losses.teacher)"
            let name = "\(network.url.path) (\(stage))"
            print(String(format: "%@\n  L_phoD with details %.5f, without %.5f (%+.1f %%); mean |d| %.4f", name, v.withDetails,
                         v.withoutDetails, 100 * (v.withDetails / v.withoutDetails - 1), v.meanDisplacement)
                  + (v.teacherL1.map { String(format: "; L1 to the teacher %.4f (in d = D/D_max)", $0) } ?? ""))
        }
    }

    /// Per wrinkle: the mean |D_k − D₀| where its mask is above ½ and elsewhere on the face, in
    /// micrometres, and the largest change (how the displacement follows the tension).
    func report(rig path: String) throws {
        let url = URL(fileURLWithPath: path)
        let rig = try WrinkleRig(contentsOf: url.pathExtension == "json" ? url : url.appendingPathComponent(WrinkleRig.documentName))
        print("wrinkle rig \(path): \(rig.wrinkles.count) maps, \(rig.size)² texels; |D_k − D₀| in µm")
        for w in rig.wrinkles {
            var inside = 0.0, outside = 0.0, nIn = 0.0, nOut = 0.0, peak: Float = 0
            for t in 0..<w.mask.data.count {
                let change = abs(w.displacement.data[t] - rig.neutral.data[t])
                peak = max(peak, w.mask.data[t] * change)
                if w.mask.data[t] > 0.5 { inside += Double(change); nIn += 1 } else if rig.neutral.data[t] != 0 { outside += Double(change); nOut += 1 }
            }
            print("  " + w.blendshape.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + String(format: " in mask %7.1f (%5.0f texels)  elsewhere %6.1f  peak %7.1f",
                         1e6 * inside / max(nIn, 1), nIn, 1e6 * outside / max(nOut, 1), 1e6 * Double(peak)))
        }
    }
}
