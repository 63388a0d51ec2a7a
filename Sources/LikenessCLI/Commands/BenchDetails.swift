import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Tensor
import Training

/// `likeness bench details`: detail inference per photo — the detail inputs (aligned crop, base
/// model, refinement, UV unwrap, T_UV) and the detail MAE and UNet teacher on them — with ratios
/// to plain `cblas_sgemm` GFLOP/s measured in the same run.
struct BenchDetails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "details",
        abstract: "Benchmark detail inference (UV inputs, detail MAE, UNet teacher) per photo."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A folder of photos to time on.") var photos = "../shared/data/sequences/obama"
    @Option(help: "A detail MAE (safetensors from train-details) instead of the shipped one.") var weights: String?
    @Option(help: "A UNet teacher instead of the shipped one.") var teacher: String?
    @Option(help: "How many photos to use.") var count = 10
    @Option(help: "Repetitions per measurement (the best is reported).") var repeats = 3

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        func report(_ name: String, _ seconds: Double, per items: Int) {
            let perItem = seconds / Double(max(items, 1))
            print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
                  + String(format: "%8.2f ms   ratio to sgemm GFLOP/s: %.3f", perItem * 1000, (1 / perItem) / gflops))
        }
        let model = EmbeddedHead.make()
        let (student, teacherModel) = try DetailModels.load(weights: weights, teacher: teacher, model: model)
        let frontEnd = try FaceFrontEnd.standard()
        let builder = try DetailInputBuilder(model: model, aligner: frontEnd.aligner, base: try BaseModel(),
                                             uvSize: student.training.network.uvSize)
        let urls = Array(try PhotoIntake.photoURLs([photos]).prefix(count))
        let located = PhotoIntake.locate(urls, frontEnd: frontEnd).located
        guard !located.isEmpty else { throw ValidationError("no usable faces in \(photos)") }
        var faces: [DetailFace] = []
        report("inputs (crop, base, refine, unwrap, T_UV)", try best {
            faces = try located.map { try builder.face($0.image, landmarks: $0.landmarks) }
        }, per: located.count)
        let one = faces[0].input(), batch = concat(faces.prefix(8).map { $0.input() }, axis: 0)
        let runs = 10
        report("detail MAE (one face)", try best { for _ in 0..<runs { _ = try student.displacement(one) } }, per: runs)
        report("detail MAE (batch of \(batch.shape[0]))", try best { _ = try student.displacement(batch) }, per: batch.shape[0])
        report("UNet teacher (one face)", try best { for _ in 0..<runs { _ = try teacherModel.displacement(one) } }, per: runs)
        print(String(format: "model sizes: MAE %d parameters (%.1f MB on disk), teacher %d parameters (%.1f MB)",
                     student.network.parameterCount, fileMB(student.url), teacherModel.network.parameterCount, fileMB(teacherModel.url)))
    }

    func fileMB(_ url: URL) -> Double {
        Double((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0) / 1e6
    }

    func best(_ body: () throws -> Void) rethrows -> Double {
        try BenchReference.bestSeconds(repeats: repeats, body)
    }
}

/// The detail networks a command uses: given files, else the shipped ones.
enum DetailModels {
    static func load(weights: String?, teacher: String?, model: MorphableModel) throws -> (student: DetailModel, teacher: DetailModel) {
        let shipped = (weights == nil || teacher == nil) ? DetailModel.shipped(for: model) : nil
        guard let s = try weights.map({ try DetailModel(contentsOf: URL(fileURLWithPath: $0), model: model) }) ?? shipped?.student,
              let t = try teacher.map({ try DetailModel(contentsOf: URL(fileURLWithPath: $0), model: model) }) ?? shipped?.teacher else {
            throw ValidationError("this build ships no detail networks; give --weights and --teacher (from train-details)")
        }
        return (s, t)
    }
}
