import ArgumentParser
import FaceDetect
import FaceRecognition
import Foundation
import Imaging

/// `likeness bench facerecognition`: loading dlib's face-recognition ResNet, the 150×150 face chip
/// and the 128-d embedding per face (one at a time, and in batches of 16 as the identity gate runs
/// it), as milliseconds per face, the embedding's GFLOP/s and its ratio to plain `cblas_sgemm`
/// GFLOP/s measured in the same run (medians).
struct BenchFaceRecognition: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facerecognition",
        abstract: "Benchmark the identity embedding: model load, face chip, ResNet per face."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A folder of annotated photos (image + .pts): chips are cut at their landmarks.")
    var photos = "../shared/data/faces-300w/afw"

    @Option(help: "Faces per measurement.") var count = 16
    @Option(help: "Repetitions (the median is reported).") var repetitions = 5

    func run() throws {
        let sgemm = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", sgemm))
        var model: FaceRecognitionModel?
        let load = BenchReference.medianMilliseconds(3) { model = try? FaceRecognitionModel() }
        guard let net = model else { throw ValidationError("cannot load \(FaceRecognitionModel.modelPath): run Scripts/setup") }
        print(String(format: "load dlib ResNet (22.5 MB)                  %8.1f ms", load))
        let items = Array(try AnnotatedFolder.read(URL(fileURLWithPath: photos)).prefix(count))
        guard !items.isEmpty else { throw ValidationError("no annotated photos in \(photos)") }
        let faces = try items.map { (try ImageDecoder.decode(contentsOf: $0.imageURL).converted(channels: 3), $0.landmarks) }
        var chips: [Image] = []
        let cutting = BenchReference.medianMilliseconds(repetitions) { chips = faces.map { net.chip($0.0, landmarks: $0.1) } }
        print(String(format: "150×150 face chip                          %8.2f ms per face", cutting / Double(faces.count)))
        let flops = 2 * Double(net.multiplyAdds)
        let single = BenchReference.medianMilliseconds(repetitions) { for c in chips { _ = net.embed(chips: [c]) } }
        let batched = BenchReference.medianMilliseconds(repetitions) {
            for start in stride(from: 0, to: chips.count, by: 16) { _ = net.embed(chips: Array(chips[start..<min(start + 16, chips.count)])) }
        }
        for (label, ms) in [("embedding, one face at a time", single), ("embedding, batches of 16", batched)] {
            let perFace = ms / Double(chips.count), gflops = flops / (perFace * 1e6)
            print(label.padding(toLength: 43, withPad: " ", startingAt: 0)
                  + String(format: "%8.2f ms per face   %.1f GFLOP/s (%.2f GFLOP per face)   ratio to sgemm GFLOP/s: %.3f",
                           perFace, gflops, flops / 1e9, gflops / sgemm))
        }
    }
}
