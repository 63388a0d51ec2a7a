import ArgumentParser
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

    @Argument(help: "A detail dataset folder (held-out people).") var dataset: String
    @Option(help: "A detail network (teacher or MAE) to evaluate (repeatable); default the shipped MAE and teacher.")
    var weights: [String] = []
    @Option(help: "The teacher the L1 column compares with; default the shipped one.") var teacher: String?

    func run() throws {
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
            let name = "\(network.url.lastPathComponent) (\(network.training.stage.rawValue), L_Tchr weight \(network.training.losses.teacher))"
            print(String(format: "%@\n  L_phoD with details %.5f, without %.5f (%+.1f %%); mean |d| %.4f", name, v.withDetails,
                         v.withoutDetails, 100 * (v.withDetails / v.withoutDetails - 1), v.meanDisplacement)
                  + (v.teacherL1.map { String(format: "; L1 to the teacher %.4f (in d = D/D_max)", $0) } ?? ""))
        }
    }
}
