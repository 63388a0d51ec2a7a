import ArgumentParser
import Foundation
import Networks
import Training

/// `likeness pretrain-mae`: MAE pre-training of the coarse encoder's ViT (see `MAEPretrainer`), resumable.
struct PretrainMAE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain-mae",
        abstract: "Pre-train the base model's ViT as a masked autoencoder on face crops (no labels used).",
        discussion: """
            Writes to the run folder: checkpoint.safetensors (the autoencoder and optimiser state, every \
            --interval steps), encoder.safetensors (the ViT alone: start train-base from it with \
            --initialize), log.csv (loss per step, held-out loss) and configuration.json. Run it again \
            with the same folder to resume. --validation scores L_MAE on fixed masks of its first 256 \
            faces. Long-running: start it with nohup and a log.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Dataset folder of face crops (repeatable; labels are not used).")
    var dataset: [String]

    @Option(help: "A dataset to score the held-out loss on (e.g. built from faces-300w/afw).")
    var validation: String?

    @Option(name: .shortAndLong, help: "Run folder.")
    var output: String

    @Option(help: "Optimiser steps.") var steps = 3000
    @Option(help: "Batch size.") var batchSize = 64
    @Option(help: "Peak learning rate (AdamW).") var learningRate: Float = 1e-3
    @Option(help: "Learning-rate warm-up, steps.") var warmup = 200
    @Option(help: "Share of the patches hidden from the encoder.") var maskingRatio: Float = 0.75
    @Option(help: "Transformer depth (as train-base's --depth).") var depth = 8
    @Option(help: "Transformer width (as train-base's --width).") var width = 192
    @Option(help: "Checkpoint and held-out interval, steps.") var interval = 250
    @Option(help: "Seed of initialisation, sampling, masks and augmentation.") var seed: UInt64 = 1

    func validate() throws {
        guard steps >= 1, batchSize >= 1, interval >= 1 else { throw ValidationError("--steps, --batch-size and --interval must be at least 1") }
        guard maskingRatio >= 0, maskingRatio < 1 else { throw ValidationError("--masking-ratio must be in [0, 1)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
    }

    func run() throws {
        let train = try FaceDataset(merging: try dataset.map { try FaceDataset(directory: URL(fileURLWithPath: $0)) })
        let val = try validation.map { try FaceDataset(directory: URL(fileURLWithPath: $0)) }
        var vit = CoarseEncoderConfiguration.standardViT
        vit.depth = depth
        vit.dim = width
        var config = MAEPretrainingConfiguration(vit: vit)
        config.steps = steps
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.warmupSteps = warmup
        config.maskingRatio = maskingRatio
        config.seed = seed
        let trainer = try MAEPretrainer(configuration: config, train: train)
        let runURL = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
        let checkpoint = runURL.appendingPathComponent("checkpoint.safetensors")
        let logURL = runURL.appendingPathComponent("log.csv")
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            try trainer.resume(from: checkpoint)
            print("resumed at step \(trainer.step)")
        } else {
            try "step,lr,loss,grad_norm,seconds,val_loss\n".write(to: logURL, atomically: true, encoding: .utf8)
        }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        try json.encode(config).write(to: runURL.appendingPathComponent("configuration.json"))
        print("pretrain-mae: \(train.count) faces, ViT \(depth)×\(width), \(trainer.network.parameterCount) parameters, "
              + "\(steps) steps of \(batchSize), masking \(Int(maskingRatio * 100)) %")
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }
        try log.seekToEnd()
        let start = Date(), first = trainer.step
        var recent: [Float] = []
        while trainer.step < steps {
            let t0 = Date(), rate = trainer.learningRate
            let (loss, norm) = try trainer.trainStep()
            var line = String(format: "%d,%g,%.5f,%.4f,%.3f", trainer.step, rate, loss, norm, Date().timeIntervalSince(t0))
            recent = Array((recent + [loss]).suffix(50))
            if trainer.step % interval == 0 || trainer.step == steps {
                if let val {
                    let v = try trainer.evaluate(on: val)
                    line += String(format: ",%.5f", v)
                    print(String(format: "step %d: held-out L_MAE %.4f", trainer.step, v))
                }
                try trainer.saveCheckpoint(to: checkpoint)
                try trainer.saveEncoder(to: runURL.appendingPathComponent("encoder.safetensors"))
            }
            log.write(Data((line + "\n").utf8))
            if trainer.step % 10 == 0 {
                let perStep = Date().timeIntervalSince(start) / Double(max(trainer.step - first, 1))
                let eta = Int(perStep * Double(steps - trainer.step))
                print(String(format: "step %d/%d  L_MAE %.4f (mean of the last %d)  %.2f s/step  ETA %dm%02ds", trainer.step, steps,
                             recent.reduce(0, +) / Float(recent.count), recent.count, perStep, eta / 60, eta % 60))
                fflush(stdout)
            }
        }
        try trainer.saveEncoder(to: runURL.appendingPathComponent("encoder.safetensors"))
        print("wrote \(runURL.appendingPathComponent("encoder.safetensors").path)")
    }
}
