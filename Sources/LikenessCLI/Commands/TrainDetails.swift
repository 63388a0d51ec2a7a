import ArgumentParser
import FaceModel
import Foundation
import Reconstruction
import Tensor
import Training

/// `likeness train-details`: the UNet teacher, then the detail MAE taught by it (see `DetailTrainer`), resumable.
struct TrainDetails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-details",
        abstract: "Train the detail networks (UNet teacher, then the detail MAE) on a dataset from `likeness dataset details`.",
        discussion: """
            --stage teacher trains D_UNet with L_UNet (Eq. 4); --stage student trains the MAE with \
            L_animD (Eq. 6) against --teacher (--teacher-weight 0: the ablation without L_Tchr). Writes to \
            the run folder checkpoint.safetensors (every --validation-interval steps, with the optimiser \
            state), best.safetensors (the teacher's best validation L_phoD, the student's best L1 to the teacher), model.safetensors, log.csv and \
            configuration.json. Run again with the same folder to resume. Long-running: use nohup.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Training dataset folder (from `likeness dataset details`).") var dataset: String
    @Option(help: "Validation dataset folder (held-out people); never trained on.") var validation: String?
    @Option(name: .shortAndLong, help: "Run folder.") var output: String
    @Option(help: "teacher or student.") var stage: DetailTrainingConfiguration.Stage
    @Option(help: "The trained teacher (model.safetensors of a teacher run), for the student stage.") var teacher: String?
    @Option(help: "Optimiser steps.") var steps = 2000
    @Option(help: "Batch size (frames of one person).") var batchSize = 8
    @Option(help: "Peak learning rate (AdamW).") var learningRate: Float = 1e-3
    @Option(help: "Weight of L_Tchr (student).") var teacherWeight: Float = 2
    @Option(help: "Weight of L_dc (student).") var consistencyWeight: Float = 1
    @Option(help: "Weight of L_smo.") var smoothness: Float = 0.05
    @Option(help: "Weight of L_regD.") var regularisation: Float = 0.02
    @Option(help: "Validation and checkpoint interval, steps.") var validationInterval = 200
    @Option(help: "Seed of initialisation and sampling.") var seed: UInt64 = 1

    func run() throws {
        let logger = global.makeLogger("likeness.train-details")
        let model = EmbeddedHead.make()
        let shipped = AlbedoModel.shipped(for: model)
        guard let albedo = shipped.model else { throw ValidationError("no albedo model: \(shipped.pairingError ?? "none")") }
        let train = try DetailDataset(directory: URL(fileURLWithPath: dataset))
        let val = try validation.map { try DetailDataset(directory: URL(fileURLWithPath: $0)) }
        let runURL = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
        var config = DetailTrainingConfiguration(stage: stage)
        config.steps = steps
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.validationInterval = validationInterval
        config.seed = seed
        config.losses.teacher = teacherWeight
        config.losses.consistency = consistencyWeight
        config.losses.smoothness = smoothness
        config.losses.regularisation = regularisation
        var teacherModel: DetailModel?
        if stage == .student, teacherWeight > 0 {
            guard let teacher else { throw ValidationError("--stage student needs --teacher (or --teacher-weight 0)") }
            teacherModel = try DetailModel(contentsOf: URL(fileURLWithPath: teacher), model: model)
            config.teacher = teacherModel!.contentHash
        }
        let trainer = try DetailTrainer(configuration: config, model: model, albedoModel: albedo, train: train, validation: val,
                                        teacher: teacherModel?.teacher)
        let checkpoint = runURL.appendingPathComponent("checkpoint.safetensors")
        let logURL = runURL.appendingPathComponent("log.csv")
        let columns = ["phoD", "smo", "regD", "Tchr", "sym", "dc"]
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            try trainer.resume(from: checkpoint)
            logger.info("resumed at step \(trainer.step)")
        } else {
            try ("step,lr," + columns.joined(separator: ",") + ",grad_norm,seconds,val_with,val_without,val_mean_d,val_teacher_l1\n")
                .write(to: logURL, atomically: true, encoding: .utf8)
        }
        let json = JSONEncoder()
        json.outputFormatting = [.prettyPrinted, .sortedKeys]
        try json.encode(trainer.configuration).write(to: runURL.appendingPathComponent("configuration.json"))
        print("train-details \(stage.rawValue): \(train.count) training faces of \(train.byPerson.count) people, "
              + "\(val?.count ?? 0) validation faces, \(trainer.network.parameterCount) parameters, \(steps) steps of \(batchSize)")
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }
        try log.seekToEnd()
        let start = Date(), firstStep = trainer.step
        while trainer.step < steps {
            let t0 = Date()
            let rate = trainer.learningRate
            let (terms, norm) = try trainer.trainStep()
            let value = Dictionary(terms, uniquingKeysWith: { a, _ in a })
            var line = "\(trainer.step),\(rate)," + columns.map { value[$0].map { String(format: "%.5f", $0) } ?? "" }.joined(separator: ",")
                + String(format: ",%.4f,%.3f", norm, Date().timeIntervalSince(t0))
            if trainer.step % validationInterval == 0 || trainer.step == steps {
                if let v = try trainer.validate() {
                    line += String(format: ",%.5f,%.5f,%.5f,", v.withDetails, v.withoutDetails, v.meanDisplacement)
                        + (v.teacherL1.map { String(format: "%.5f", $0) } ?? "")
                    // The teacher is kept by its held-out L_phoD, the student by its L1 to the teacher
                    // (L_phoD alone would prefer the student that draws no details at all).
                    if trainer.record(v.teacherL1 ?? v.withDetails) {
                        try trainer.saveModel(to: runURL.appendingPathComponent("best.safetensors"), extra: ["step": "\(trainer.step)"])
                    }
                    print(String(format: "step %d: validation L_phoD %.5f with details, %.5f without; mean |d| %.4f", trainer.step,
                                 v.withDetails, v.withoutDetails, v.meanDisplacement) + (v.teacherL1.map { String(format: "; L1 to teacher %.4f", $0) } ?? ""))
                }
                try trainer.saveCheckpoint(to: checkpoint)
            }
            log.write(Data((line + "\n").utf8))
            if trainer.step % 10 == 0 {
                let done = trainer.step - firstStep
                let perStep = Date().timeIntervalSince(start) / Double(max(done, 1))
                let eta = perStep * Double(steps - trainer.step)
                print(String(format: "step %d/%d  ", trainer.step, steps)
                      + columns.compactMap { k in value[k].map { String(format: "%@ %.4f", k, $0) } }.joined(separator: " ")
                      + String(format: "  %.2f s/step  ETA %dm%02ds", perStep, Int(eta) / 60, Int(eta) % 60))
                fflush(stdout)
            }
        }
        try trainer.saveModel(to: runURL.appendingPathComponent("model.safetensors"), extra: ["step": "\(trainer.step)"])
        print("wrote \(runURL.appendingPathComponent("model.safetensors").path)")
    }
}

extension DetailTrainingConfiguration.Stage: ExpressibleByArgument {}
