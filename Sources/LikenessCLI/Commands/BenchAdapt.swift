import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Reconstruction
import Tensor
import Training

/// `likeness bench adapt`: person-specific transfer of the shipped base model on 5, 20 and 100
/// photos of one person with the default recipe (early stopping included, as the daemon runs it):
/// wall time, steps taken, time per step and the peak resident set, beside plain `cblas_sgemm`
/// GFLOP/s measured in the same run. Locating the photos (decode, detect, landmarks) is timed apart.
struct BenchAdapt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt",
        abstract: "Benchmark person-specific adaptation on 5, 20 and 100 photos (time, steps, peak RSS)."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "A folder of one person's photos.") var photos = "../shared/data/people/george-w-bush"
    @Option(help: "Photo counts to adapt on (repeatable).") var count: [Int] = [5, 20, 100]
    @Option(help: "A trained base model instead of the shipped one.") var weights: String?

    func validate() throws {
        guard count.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        // A few spare photos: some have no usable face.
        let wanted = count.max() ?? 0
        let urls = Array(try PhotoIntake.photoURLs([photos]).prefix(wanted + wanted / 5 + 5))
        var located: [LocatedPhoto] = []
        let locating = BenchReference.bestSeconds(repeats: 1) { located = PhotoIntake.locate(urls, frontEnd: frontEnd).located }
        print(String(format: "locate %d photos (decode, detect, 68 landmarks): %.1f ms per photo", urls.count,
                     locating * 1000 / Double(max(urls.count, 1))))
        for n in count {
            let subset = Array(located.prefix(n))
            guard subset.count == n else {
                print("\(n) photos: only \(subset.count) usable in \(photos); skipped")
                continue
            }
            var report: TransferReport?
            let seconds = try BenchReference.bestSeconds(repeats: 1) {
                report = try PersonTransfer.adapt(base, model: model, photos: subset, aligner: frontEnd.aligner).1
            }
            let steps = report?.steps ?? 0
            let perStep = steps > 0 ? seconds / Double(steps) : 0
            print(String(format: "adapt on %3d photos: %6.1f s, %3d steps (%6.1f ms/step, ratio to sgemm GFLOP/s %.4f), peak RSS %.0f MiB  %@",
                         n, seconds, steps, perStep * 1000, perStep > 0 ? (1 / perStep) / gflops : 0, peakRSSMiB(),
                         report?.note ?? ""))
        }
    }
}
