import ArgumentParser
import Checksum
import FaceModel
import Foundation
import Reconstruction
import Tensor
import Training

/// `likeness train-base`: the base model's whole recipe (see `BaseTrainer`), resumable.
struct TrainBase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-base",
        abstract: "Train the shared base model (the coarse encoder) on a dataset from `likeness dataset build`.",
        discussion: """
            Writes to the run folder: checkpoint.safetensors (weights, optimiser state, step; written \
            every --validation-interval steps), best.safetensors (the weights with the best validation \
            NME), model.safetensors (the final weights), log.csv (losses per step, validation NME) and \
            configuration.json. Run it again with the same folder to resume from the checkpoint. \
            Long-running: start it with nohup and a log.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Training dataset folder (from `likeness dataset build` or `dataset synthesize`; repeatable: the sets train as one).")
    var dataset: [String]

    @Option(help: "Validation dataset folder (e.g. built from faces-300w/afw); never trained on.")
    var validation: String?

    @Option(name: .shortAndLong, help: "Run folder.")
    var output: String

    @Option(help: "Optimiser steps.") var steps = 6000
    @Option(help: "Batch size (pairs of same-person photos).") var batchSize = 32
    @Option(help: "Peak learning rate (AdamW).") var learningRate: Float = 6e-4
    @Option(help: "Transformer depth.") var depth = 8
    @Option(help: "Transformer width.") var width = 192
    @Option(help: "Jaw-line loss: silhouette (Eq. 1) or marching (DECA-style, the ablation).")
    var boundary: BoundaryMode = .silhouette
    @Option(help: "Weight of L_sc (0 turns shape consistency off).") var shapeConsistency: Float = 0.5
    @Option(help: "Validation and checkpoint interval, steps.") var validationInterval = 250
    @Option(help: "Radians of pose per unit of the encoder's raw output.") var poseScale: Float = 0.25
    @Option(help: "Learning-rate warm-up, steps.") var warmup = 300
    @Option(help: "Multiplier of the geometric jitter (scale, rotation, shift) of the augmentation.")
    var jitter: Float = 1
    @Flag(help: "Train without augmentation (a diagnostic: can the encoder fit its data?).") var noAugmentation = false
    @Option(help: "Seed of initialisation, sampling and augmentation.") var seed: UInt64 = 1
    @Option(help: "Weight of L_pho, the photometric loss over the skin mask (0: off). Turns on α and SH light outputs.")
    var photometric: Float = 0
    @Option(help: "Weight of L_id, the identity loss with dlib's face-recognition network (0: off).")
    var identityLoss: Float = 0
    @Option(help: "Weight of L_par, the exact-parameter loss of synthetic faces (0: off).")
    var syntheticWeight: Float = 1
    @Option(help: "Albedo components the encoder regresses when L_pho or L_id is on.") var albedoComponents = 50
    @Option(help: "L_pho and L_id render at crop/factor pixels.") var renderFactor = 2
    @Option(help: ArgumentHelp("Start from a trained encoder's weights (e.g. the shipped model) instead of at random.",
                               discussion: "Same architecture; α and SH-light outputs that file lacks start at zero (mean albedo, mean light). Ignored when the run folder has a checkpoint to resume."))
    var initialize: String?

    func run() throws {
        let logger = global.makeLogger("likeness.train-base")
        let model = EmbeddedHead.make()
        let train = try FaceDataset(merging: try dataset.map { try FaceDataset(directory: URL(fileURLWithPath: $0)) })
        let val = try validation.map { try FaceDataset(directory: URL(fileURLWithPath: $0)) }
        let runURL = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
        var encoder = try BaseTrainer.encoderConfiguration(for: model, dataset: train)
        encoder.vit.depth = depth
        encoder.vit.dim = width
        encoder.poseScale = poseScale
        if photometric > 0 || identityLoss > 0 { encoder.regressAppearance(albedoComponents: albedoComponents) }
        var config = BaseTrainingConfiguration(encoder: encoder)
        config.steps = steps
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.boundary = boundary
        config.losses.shapeConsistency = shapeConsistency
        config.validationInterval = validationInterval
        config.seed = seed
        config.warmupSteps = warmup
        config.losses.photometric = photometric
        config.losses.identity = identityLoss
        config.losses.syntheticParameters = syntheticWeight
        if photometric > 0 || identityLoss > 0 { config.photometricRenderFactor = renderFactor }
        if let initialize { config.initializedFrom = try SHA256.hex(fileAt: URL(fileURLWithPath: initialize)) }
        config.augmentation.scale *= jitter
        config.augmentation.rotationDegrees *= jitter
        config.augmentation.shift *= jitter
        if noAugmentation { config.augmentation = .none }
        let trainer = try BaseTrainer(configuration: config, model: model, train: train, validation: val)
        let checkpoint = runURL.appendingPathComponent("checkpoint.safetensors")
        let logURL = runURL.appendingPathComponent("log.csv")
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            try trainer.resume(from: checkpoint)
            logger.info("resumed at step \(trainer.step)")
        } else {
            if let initialize {
                try trainer.initialize(from: URL(fileURLWithPath: initialize))
                print("initialised from \(initialize)")
            }
            try "step,lr,sil,inL,spL,reg,sc,pho,id,par,total,grad_norm,seconds,val_mean,val_median,val_boundary,val_inner\n"
                .write(to: logURL, atomically: true, encoding: .utf8)
        }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        try json.encode(config).write(to: runURL.appendingPathComponent("configuration.json"))
        print("train-base: \(train.count) training faces, \(val?.count ?? 0) validation faces, "
              + "ViT \(encoder.vit.depth)×\(encoder.vit.dim), \(trainer.encoder.parameterCount) parameters, "
              + "\(steps) steps of \(batchSize), boundary \(boundary.rawValue)")
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }
        try log.seekToEnd()
        let start = Date(), firstStep = trainer.step
        while trainer.step < steps {
            let t0 = Date(), rate = trainer.learningRate
            let (terms, norm) = try trainer.trainStep()
            let seconds = Date().timeIntervalSince(t0)
            let value = Dictionary(terms, uniquingKeysWith: { a, _ in a })
            var line = "\(trainer.step),\(rate)," + ["sil", "inL", "spL", "reg", "sc", "pho", "id", "par", "total"]
                .map { value[$0].map { String(format: "%.5f", $0) } ?? "" }.joined(separator: ",")
                + String(format: ",%.4f,%.3f", norm, seconds)
            if trainer.step % validationInterval == 0 || trainer.step == steps {
                if let v = try trainer.validate() {
                    line += String(format: ",%.5f,%.5f,%.5f,%.5f", v.meanAll, v.medianAll, v.meanBoundary, v.meanInner)
                    if trainer.recordValidation(v.meanAll) {
                        try trainer.saveModel(to: runURL.appendingPathComponent("best.safetensors"), extra: ["step": "\(trainer.step)"])
                    }
                    print(String(format: "step %d: validation NME mean %.4f median %.4f (boundary %.4f, inner %.4f)",
                                 trainer.step, v.meanAll, v.medianAll, v.meanBoundary, v.meanInner))
                }
                try trainer.saveCheckpoint(to: checkpoint)
            }
            log.write(Data((line + "\n").utf8))
            if trainer.step % 10 == 0 {
                let done = trainer.step - firstStep
                let rate = Date().timeIntervalSince(start) / Double(max(done, 1))
                let eta = rate * Double(steps - trainer.step)
                let appearance = (value["pho"].map { String(format: " pho %.4f", $0) } ?? "")
                    + (value["id"].map { String(format: " id %.4f", $0) } ?? "")
                    + (value["par"].map { String(format: " par %.4f", $0) } ?? "")
                print(String(format: "step %d/%d  loss %.4f (sil %.4f inL %.4f spL %.4f", trainer.step, steps,
                             value["total"] ?? 0, value["sil"] ?? 0, value["inL"] ?? 0, value["spL"] ?? 0)
                      + appearance + String(format: ")  %.2f s/step  ETA %dm%02ds", rate, Int(eta) / 60, Int(eta) % 60))
                fflush(stdout)
            }
        }
        try trainer.saveModel(to: runURL.appendingPathComponent("model.safetensors"), extra: ["step": "\(trainer.step)"])
        print("wrote \(runURL.appendingPathComponent("model.safetensors").path)")
    }
}
