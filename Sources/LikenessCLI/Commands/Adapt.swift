import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Reconstruction
import Tensor
import Training

/// `likeness adapt`: person-specific transfer outside the daemon — adapters and layer norms of the
/// base model trained on one person's photos (paper §3.4).
struct Adapt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt",
        abstract: "Adapt the base model to one person's photos (person-specific adapters).",
        discussion: """
            Writes <output>/adapters.safetensors (adapters and layer norms, the recipe and the base \
            model's hash in its metadata) and <output>/transfer.json (photos used and held out, \
            held-out NME before and after, steps, time). Use the adapters with \
            `likeness reconstruct --person <output>/adapters.safetensors`.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Photos of one person, or folders of them.") var photos: [String]
    @Option(name: .shortAndLong, help: "Output folder.") var output: String
    @Option(help: "A trained base model (safetensors from train-base) instead of the shipped one.") var weights: String?
    @Option(help: "Start from these adapters (a previous adapters.safetensors of the same person).") var warmStart: String?
    @Option(help: "Share of the photos held out for early stopping.") var holdout: Float = 0.2
    @Option(help: "At most this many training steps.") var steps = 240
    @Option(help: "Seed of the split, initialisation and augmentation.") var seed: UInt64 = 1

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let (located, skipped) = PhotoIntake.locate(try PhotoIntake.photoURLs(photos), frontEnd: frontEnd)
        for s in skipped { print("  skipped \(s.name): [\(s.code)] \(s.reason)") }
        guard !located.isEmpty else { throw ValidationError("no usable face in the photos given") }
        var c = TransferConfiguration()
        c.holdoutFraction = holdout
        c.maximumSteps = steps
        c.seed = seed
        let bar = ProgressLine(label: "adapt")
        let (adapted, report) = try PersonTransfer.adapt(base, model: model, photos: located, aligner: frontEnd.aligner,
                                                         configuration: c, warmStart: warmStart.map { URL(fileURLWithPath: $0) }) {
            bar.update($0, of: $1, String(format: "loss %.4f", $2))
        }
        bar.finish()
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if report.improved { try PersonTransfer.save(adapted, report: report, to: folder.appendingPathComponent("adapters.safetensors")) }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        try json.encode(report).write(to: folder.appendingPathComponent("transfer.json"))
        print(String(format: "adapt: %d photos (%d held out), %d steps in %.1f s: %@", located.count,
                     report.photosHeldOut.count, report.steps, report.seconds, report.note))
        print(report.improved ? "wrote \(folder.path)/adapters.safetensors" : "no adapters written: \(report.note)")
    }
}

/// A one-line progress bar with an ETA on standard error.
final class ProgressLine {
    let label: String
    let start = Date()
    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int, _ detail: String) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(max(total - done, 0)) : 0
        FileHandle.standardError.write(Data(String(format: "\r%@ %d/%d  %@  ETA %.0f s   ", label, done, total, detail, eta).utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}

/// `likeness eval transfer`: adapts on part of one person's photos and compares base and adapted
/// models on the rest.
struct EvalTransfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Held-out NME and β spread of the base model vs the person-adapted model.",
        discussion: """
            Splits the person's photos (seeded): a test set of --test-count photos (or --holdout of \
            them), never adapted on, and the rest, from which the first N of each --train-count are \
            adapted on. NME is against the photos' .pts where present, else against the detector's \
            landmarks (pseudo-ground-truth; the report says which). β spread is the RMS distance of \
            single-photo identities from their mean, for the base, adapted and classical per-photo fits.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A folder of one person's photos (or several folders of the same person).") var photos: [String]
    @Option(help: "Share of the photos held out for testing when --test-count is not given.") var holdout: Float = 0.3
    @Option(help: "Number of test photos.") var testCount: Int?
    @Option(help: "Adapt on this many photos (repeatable); default all the non-test photos.") var trainCount: [Int] = []
    @Option(help: "Seed of the split.") var seed: UInt64 = 1
    @Option(help: "A trained base model instead of the shipped one.") var weights: String?
    @Option(help: "At most this many training steps per adaptation.") var steps = 240
    @Flag(help: "Also report the classical per-photo landmark fit's β spread on the test photos.") var classical = false

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let urls = try PhotoIntake.photoURLs(photos)
        let (located, _) = PhotoIntake.locate(urls, frontEnd: frontEnd)
        let n = testCount ?? Int((Float(located.count) * holdout).rounded())
        guard n >= 1, located.count - n >= 1 else { throw ValidationError("\(located.count) usable photos: too few to split") }
        var g = SeededGenerator(seed: seed)
        let order = Array(located.indices).shuffled(using: &g)
        let test = order.prefix(n).map { located[$0] }, pool = order.dropFirst(n).map { located[$0] }
        let labelled = test.filter { FileManager.default.fileExists(atPath: $0.url.deletingPathExtension().appendingPathExtension("pts").path) }
        let testData = try PersonTransfer.dataset(test, aligner: frontEnd.aligner, person: "test")
        let projection = try LandmarkProjection(model: model)
        print("eval transfer: \(located.count) photos, \(test.count) test, \(pool.count) to adapt on; "
              + "NME against \(labelled.count == test.count ? ".pts" : "the detector's landmarks (pseudo-ground-truth)")")
        func identities(_ m: BaseModel) throws -> [[Float]] {
            try m.estimate(test, aligner: frontEnd.aligner, evaluator: projection.evaluator).map(\.code.identity)
        }
        func row(_ name: String, _ m: BaseModel, seconds: Double?, photos: Int?) throws {
            let r = try BaseTrainer.evaluate(m.encoder, projection: projection, on: testData)
            let spread = IdentitySpread(try identities(m), model: model)
            print(String(format: "%-22@ NME mean %.4f median %.4f  β spread %.3f (shape %.2f mm)%@", name as NSString,
                         r.meanAll, r.medianAll, spread.betaRMS, spread.shapeRMSMetres * 1000,
                         seconds.map { String(format: "  %d photos, %.1f s, peak RSS %.0f MiB", photos ?? 0, $0, peakRSSMiB()) } ?? ""))
        }
        try row("base", base, seconds: nil, photos: nil)
        for count in (trainCount.isEmpty ? [pool.count] : trainCount) {
            let subset = Array(pool.prefix(count))
            var c = TransferConfiguration()
            c.maximumSteps = steps
            c.seed = seed
            let (adapted, report) = try PersonTransfer.adapt(base, model: model, photos: subset, aligner: frontEnd.aligner,
                                                             configuration: c)
            try row("adapted on \(subset.count)", adapted, seconds: report.seconds, photos: subset.count)
            print("    \(report.note)")
        }
        if classical {
            let fitter = try LandmarkFitter(model: model)
            let fits = try test.map { try fitter.fit(try FitTargets($0.landmarks)).code.identity }
            let spread = IdentitySpread(fits, model: model)
            print(String(format: "%-22@ β spread %.3f (shape %.2f mm)", "classical per-photo" as NSString,
                         spread.betaRMS, spread.shapeRMSMetres * 1000))
        }
    }
}

/// The process's resident-set high-water mark (VmHWM), MiB.
func peakRSSMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    return hwm / 1024
}
