import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Tensor
import Training

/// `likeness bench reconstruct`: one photo to its face parameters with the base model — 640×480
/// JPEG → decode → detect → 68 landmarks → aligned crop → network → parameters in photo pixels —
/// per photo, with BlazeFace and with the Haar cascade, and the network alone on one crop, each
/// with its ratio to plain `cblas_sgemm` GFLOP/s measured in the same run.
struct BenchReconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconstruct",
        abstract: "Benchmark single-photo reconstruction with the base model (640×480 JPEG to parameters)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A folder of annotated photos (image + .pts) to time on.")
    var photos = "../shared/data/faces-300w/afw"
    @Option(help: "A trained model (safetensors from train-base) instead of the shipped one.")
    var weights: String?
    @Option(help: "How many photos to use.") var count = 20
    @Option(help: "Repetitions per measurement (the best is reported).") var repeats = 3

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        func report(_ name: String, _ seconds: Double, per items: Int) {
            let perItem = seconds / Double(max(items, 1))
            let label = name.padding(toLength: 44, withPad: " ", startingAt: 0)
            print(label + String(format: "%8.2f ms   ratio to sgemm GFLOP/s: %.3f", perItem * 1000, (1 / perItem) / gflops))
        }
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let evaluator = try FaceEvaluator(model: model)
        let items = Array(try AnnotatedFolder.read(URL(fileURLWithPath: photos)).prefix(count))
        guard !items.isEmpty else { throw ValidationError("no annotated photos in \(photos)") }
        let jpegs = try items.map {
            try JPEGEncoder.encode(DetectionEvaluation.canvas(try ImageDecoder.decode(contentsOf: $0.imageURL)).image, quality: 90)
        }
        let blaze = try FaceFrontEnd.standard()
        let haar = FaceFrontEnd(detector: try FaceDetector.haar(), predictor: blaze.predictor)

        /// Photo → parameters; photos without a usable face count in the time but give nothing.
        func reconstruct(_ frontEnd: FaceFrontEnd) throws -> Int {
            var found = 0
            for data in jpegs {
                let image = try ImageDecoder.decode(data)
                guard let face = try? frontEnd.locate(in: image) else { continue }
                let photo = LocatedPhoto(name: "", url: URL(fileURLWithPath: "/"), image: image, landmarks: face.landmarks)
                _ = try base.estimate([photo], aligner: frontEnd.aligner, evaluator: evaluator)
                found += 1
            }
            return found
        }
        report("decode 640×480 JPEG", try best { for d in jpegs { _ = try ImageDecoder.decode(d) } }, per: jpegs.count)
        var found = 0
        report("whole photo, BlazeFace (\(jpegs.count) photos)", try best { found = try reconstruct(blaze) }, per: jpegs.count)
        print("  faces reconstructed: \(found) of \(jpegs.count)")
        report("whole photo, Haar cascade", try best { found = try reconstruct(haar) }, per: jpegs.count)
        print("  faces reconstructed: \(found) of \(jpegs.count)")

        let first = try ImageDecoder.decode(jpegs[0])
        let crop = try blaze.aligner.crop(first, landmarks: try blaze.locate(in: first).landmarks).image
        let repeatsPerRun = 10
        report("network alone (one 256² crop)", try best { for _ in 0..<repeatsPerRun { _ = try base.predict([crop]) } },
               per: repeatsPerRun)
        report("network alone (batch of 16 crops)", try best { _ = try base.predict(Array(repeating: crop, count: 16)) }, per: 16)
    }

    /// Best wall time in seconds over `repeats` runs.
    func best(_ body: () throws -> Void) rethrows -> Double {
        try BenchReference.bestSeconds(repeats: repeats, body)
    }
}
