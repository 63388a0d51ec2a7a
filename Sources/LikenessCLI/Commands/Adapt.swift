import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Reconstruction
import Tensor
import Training
import Video

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
    @OptionGroup var recipe: TransferOptions
    @Option(help: "Seed of the split, initialisation and augmentation.") var seed: UInt64 = 1

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let (located, skipped) = PhotoIntake.locate(try PhotoIntake.photoURLs(photos), frontEnd: frontEnd)
        for s in skipped { print("  skipped \(s.name): [\(s.code)] \(s.reason)") }
        guard !located.isEmpty else { throw ValidationError("no usable face in the photos given") }
        var c = recipe.configuration(seed: seed)
        c.holdoutFraction = holdout
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

/// The transfer recipe's options, shared by `adapt` and `eval transfer`.
struct TransferOptions: ParsableArguments {
    @Option(help: "At most this many training steps.") var steps = TransferConfiguration().maximumSteps
    @Option(help: "Adam's learning rate for the adapters and layer norms.") var learningRate = TransferConfiguration().learningRate
    @Option(help: "Adapter bottleneck width.") var bottleneck = TransferConfiguration().bottleneck
    @Option(help: "Stop after this many held-out measurements without improvement.") var patience = TransferConfiguration().patience
    @Flag(help: "Also train the MLP head (beyond the paper's adapters and layer norms).") var trainHead = false
    @Option(help: "Weight of L_pho in the transfer's L_C (0: off; needs a base model that regresses α and SH light).")
    var photometric: Float = TransferConfiguration().losses.photometric
    @Option(help: "Share of the photos held out for early stopping (0: none; train --steps steps and keep the result).")
    var holdoutFraction: Float = TransferConfiguration().holdoutFraction
    @Option(help: "Weight of L_agr, β agreement of photo pairs (ours; 0: the paper's L_C alone).")
    var identityAgreement: Float = TransferConfiguration().losses.identityAgreement

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard bottleneck >= 1 else { throw ValidationError("--bottleneck must be at least 1") }
        guard patience >= 1 else { throw ValidationError("--patience must be at least 1") }
        guard photometric >= 0, photometric.isFinite else { throw ValidationError("--photometric must be 0 or more") }
        guard holdoutFraction >= 0, holdoutFraction < 1 else { throw ValidationError("--holdout-fraction must be in [0, 1)") }
        guard identityAgreement >= 0, identityAgreement.isFinite else { throw ValidationError("--identity-agreement must be 0 or more") }
    }

    func configuration(seed: UInt64) -> TransferConfiguration {
        var c = TransferConfiguration()
        c.maximumSteps = steps
        c.learningRate = learningRate
        c.bottleneck = bottleneck
        c.patience = patience
        c.trainHead = trainHead
        c.losses.photometric = photometric
        c.losses.identityAgreement = identityAgreement
        c.holdoutFraction = holdoutFraction
        c.seed = seed
        return c
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
    @Argument(help: "A folder of one person's photos (or several folders of the same person), or a video of one person (its frames).") var photos: [String]
    @Option(help: "Share of the photos held out for testing when --test-count is not given.") var holdout: Float = 0.3
    @Option(help: "Number of test photos.") var testCount: Int?
    @Option(help: "Adapt on this many photos (repeatable); default all the non-test photos.") var trainCount: [Int] = []
    @Option(help: "Seed of the split.") var seed: UInt64 = 1
    @Flag(help: "Frames of a sequence: adapt on the even frames, test on the odd (in name order); ignores --holdout, --test-count and --seed.")
    var interleaved = false
    @Option(help: "A trained base model instead of the shipped one.") var weights: String?
    @OptionGroup var recipe: TransferOptions
    @Flag(help: "Also report the classical fits (per photo, and shared identity of the adaptation photos) on the test photos.") var classical = false

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let videos = photos.filter { VideoFrames.isVideo($0) }
        let stills = photos.filter { !VideoFrames.isVideo($0) }
        let urls = stills.isEmpty ? [] : try PhotoIntake.photoURLs(stills)
        let (located, _) = PhotoIntake.locate(urls, frontEnd: frontEnd)
        let frames = try videos.flatMap { try VideoFrames.locate(URL(fileURLWithPath: $0), frontEnd: frontEnd) }
        let (test, pool) = try split(located + frames)
        let labelled = test.filter { FileManager.default.fileExists(atPath: $0.url.deletingPathExtension().appendingPathExtension("pts").path) }
        let testData = try PersonTransfer.dataset(test, aligner: frontEnd.aligner, person: "test")
        let projection = try LandmarkProjection(model: model)
        print("eval transfer: \(test.count + pool.count) photos, \(test.count) test, \(pool.count) to adapt on; "
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
            let c = recipe.configuration(seed: seed)
            let (adapted, report) = try PersonTransfer.adapt(base, model: model, photos: subset, aligner: frontEnd.aligner,
                                                             configuration: c)
            try row("adapted on \(subset.count)", adapted, seconds: report.seconds, photos: subset.count)
            let trained = try PersonTransfer.dataset(subset, aligner: frontEnd.aligner, person: "train")
            let before = try BaseTrainer.evaluate(base.encoder, projection: projection, on: trained)
            let after = try BaseTrainer.evaluate(adapted.encoder, projection: projection, on: trained)
            print(String(format: "    %@; on its own photos NME %.4f → %.4f", report.note, before.meanAll, after.meanAll))
        }
        if classical {
            try classicalRows(test: test, pool: pool, model: model, counts: trainCount.isEmpty ? [pool.count] : trainCount)
        }
    }

    /// (test, adaptation pool): odd and even frames with `--interleaved`, else a seeded shuffle.
    func split(_ located: [LocatedPhoto]) throws -> (test: [LocatedPhoto], pool: [LocatedPhoto]) {
        if interleaved {
            let frames = located.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
            let test = frames.indices.filter { $0 % 2 == 0 }.map { frames[$0] }  // frames 1, 3, 5, …
            let pool = frames.indices.filter { $0 % 2 == 1 }.map { frames[$0] }
            guard !test.isEmpty, !pool.isEmpty else { throw ValidationError("\(located.count) usable frames: too few to split") }
            return (test, pool)
        }
        let n = testCount ?? Int((Float(located.count) * holdout).rounded())
        guard n >= 1, located.count - n >= 1 else { throw ValidationError("\(located.count) usable photos: too few to split") }
        var g = SeededGenerator(seed: seed)
        let order = Array(located.indices).shuffled(using: &g)
        return (order.prefix(n).map { located[$0] }, order.dropFirst(n).map { located[$0] })
    }

    /// The classical baseline the transfer replaces, on the same test photos: the landmark fit per
    /// photo (β free), and β from the shared-identity fit of the adaptation photos held fixed while
    /// each test photo's pose and expression are fitted. Unlike the networks, a fit sees the test
    /// photo's landmarks — the pseudo-ground-truth itself — so its NME is a fit residual, not a prediction.
    func classicalRows(test: [LocatedPhoto], pool: [LocatedPhoto], model: MorphableModel, counts: [Int]) throws {
        let fitter = try LandmarkFitter(model: model)
        let targets = try test.map { try FitTargets($0.landmarks) }
        func row(_ name: String, _ fits: [PhotoFit], seconds: Double) throws {
            let nme = try zip(fits, test).map {
                try LandmarkMetrics.nme(predicted: $0.0.landmarks.map { Point2($0.x, $0.y) }, truth: $0.1.landmarks).all
            }
            let spread = IdentitySpread(fits.map(\.code.identity), model: model)
            print(String(format: "%-22@ NME mean %.4f median %.4f  β spread %.3f (shape %.2f mm)  %.1f s", name as NSString,
                         nme.reduce(0, +) / Float(nme.count), nme.sorted()[nme.count / 2],
                         spread.betaRMS, spread.shapeRMSMetres * 1000, seconds))
        }
        var start = Date()
        try row("classical per-photo", try targets.map { try fitter.fit($0) }, seconds: Date().timeIntervalSince(start))
        for count in counts {
            start = Date()
            let shared = try fitter.fitShared(try pool.prefix(count).map { try FitTargets($0.landmarks) })
            let fits = try targets.map { try fitter.fit($0, identity: shared.identity) }
            try row("classical shared \(min(count, pool.count))", fits, seconds: Date().timeIntervalSince(start))
        }
    }
}

/// The frames of a single-person video as located photos (named `<clip>-frame-00001`, … so that
/// `--interleaved` splits them by frame), for `eval transfer`.
enum VideoFrames {
    static func isVideo(_ path: String) -> Bool { VideoReader.isVideo(path) }

    /// Every `stride`-th frame with a usable face, at most `limit` (frames without one are left out).
    static func locate(_ url: URL, frontEnd: FaceFrontEnd, stride: Int = 1, limit: Int = .max) throws -> [LocatedPhoto] {
        let reader = try VideoReader(contentsOf: url)
        let stem = url.deletingPathExtension().lastPathComponent
        var located: [LocatedPhoto] = []
        while located.count < limit, let frame = try reader.next() {
            guard frame.index % stride == 0, let face = try? frontEnd.locate(in: frame.image) else { continue }
            located.append(LocatedPhoto(name: frame.name(inClip: stem), url: url,
                                        image: frame.image, landmarks: face.landmarks))
        }
        return located
    }
}

/// The process's resident-set high-water mark (VmHWM), MiB.
func peakRSSMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    return hwm / 1024
}
