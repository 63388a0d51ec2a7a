import ArgumentParser
import FaceModel
import Reconstruction
import Foundation

/// `likeness head`: inspect the embedded head model (dump its arrays for the render script).
struct Head: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Inspect the embedded head model.",
        subcommands: [HeadDump.self, HeadLikeness.self]
    )
}

/// Writes the embedded head's arrays as raw little-endian files plus a JSON header, the input of
/// `Scripts/head_render.py`.
struct HeadDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the embedded head's arrays (raw float32/int32 + header.json) to a folder."
    )

    @Argument(help: "Output folder.")
    var output: String

    func run() throws {
        let start = Date()
        let model = EmbeddedHead.make()
        let seconds = Date().timeIntervalSince(start)
        let dir = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func write<T>(_ name: String, _ array: [T]) throws {
            try array.withUnsafeBytes { try Data($0).write(to: dir.appendingPathComponent(name)) }
        }
        try write("template.f32", model.template)
        try write("triangles.i32", model.triangles)
        try write("uvs.f32", model.uvs)
        try write("uvTriangles.i32", model.uvTriangles)
        try write("identity.f32", model.identityBasis)
        try write("expression.f32", model.expressionBasis)
        try write("regions.u8", model.vertexRegions.map { $0.rawValue })
        try write("skinWeights.f32", model.skinWeights)
        try write("jointRegressor.f32", model.jointRegressor)
        let lm = model.landmarks.flatMap { [Float($0.triangle), $0.barycentric.x, $0.barycentric.y, $0.barycentric.z] }
        try write("landmarks.f32", lm)
        let header: [String: Any] = [
            "vertexCount": model.vertexCount, "triangleCount": model.triangleCount,
            "identityCount": model.identityCount, "expressionNames": model.expressionNames,
            "joints": model.joints.map { $0.name }, "contentHash": model.info.contentHash,
            "version": model.info.version, "buildSeconds": seconds,
        ]
        try JSONSerialization.data(withJSONObject: header, options: [.prettyPrinted, .sortedKeys])
            .write(to: dir.appendingPathComponent("header.json"))
        print("embedded head: \(model.vertexCount) vertices, \(model.triangleCount) triangles, built in \(String(format: "%.2f", seconds)) s → \(output)")
    }
}

/// The embedded head's expressiveness figures (issue "Embedded default head", item 5):
/// (a) landmark-only fits to every 300-W AFW face — median NME, all 68 points, outer-eye-corner
///     normalised; (b) fits to ICT-FaceKit identities 000–004 — median surface distance (mm) of
///     ICT's face region to the fitted head after similarity alignment.
struct HeadLikeness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "Measure how well the embedded head takes the shape of real faces (300-W AFW, ICT-FaceKit)."
    )

    @Option(help: "The shared data folder (default: $LIKENESS_SHARED or ../shared).")
    var shared: String?

    @OptionGroup(title: "Model (default: the embedded head; another model gives a reference figure)")
    var modelOptions: ModelOptions

    @Option(help: "Fit at most this many AFW faces (0 = all).")
    var limit = 0

    @Option(help: "The 300-W subset under data/faces-300w to fit (afw is the reported figure; helen-train is for tuning).")
    var faces = "afw"

    @Option(help: "Identity prior weight λβ of the landmark fit.")
    var identityPrior: Float = LandmarkFit.Options().identityPrior

    @Option(help: "Expression prior weight λψ of the landmark fit.")
    var expressionPrior: Float = LandmarkFit.Options().expressionPrior

    @Option(help: "Write the fitted AFW landmarks (JSON: file → 68 points) to this path.")
    var dumpFits: String?

    @Flag(help: "Keep the jaw-line landmarks of the frontal pose instead of the dynamic contour.")
    var staticContour = false

    @Flag(help: "Print each AFW face's NME, head rotation and strongest expressions.")
    var perFace = false

    @Option(help: "Weight of the jaw-line points in the landmark fit.")
    var jawWeight: Float = LandmarkFit.Options().jawWeight

    @Option(help: "Levenberg–Marquardt iterations of the landmark fit.")
    var iterations = LandmarkFit.Options().iterations

    func run() throws {
        let root = shared ?? ProcessInfo.processInfo.environment["LIKENESS_SHARED"] ?? "../shared"
        let model = try modelOptions.load()
        print("model: \(model.info.name) \(model.info.version) \(model.info.contentHash.prefix(12)) — \(model.vertexCount) vertices, \(model.identityCount) identity, \(model.expressionCount) expression modes")
        try measureAFW(model, root: root)
        try measureICT(model, root: root)
    }

    func measureAFW(_ model: MorphableModel, root: String) throws {
        let dir = URL(fileURLWithPath: root).appendingPathComponent("data/faces-300w/\(faces)")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            print("(a) skipped: \(dir.path) not found"); return
        }
        var files = names.filter { $0.hasSuffix(".pts") }.sorted()
        if limit > 0 { files = Array(files.prefix(limit)) }
        let evaluator = try FaceEvaluator(model: model)
        var errors: [Float] = []
        var perPoint = [Float](repeating: 0, count: 68)
        var fitted: [String: [[Float]]] = [:]
        let start = Date()
        for name in files {
            let points = try PtsFile.read(dir.appendingPathComponent(name))
            var options = LandmarkFit.Options()
            options.identityPrior = identityPrior
            options.expressionPrior = expressionPrior
            options.iterations = iterations
            options.jawWeight = jawWeight
            options.useDynamicContour = !staticContour
            let result = try LandmarkFit.fit(evaluator, to: points, options: options)
            errors.append(result.nme)
            if perFace {
                let active = result.code.expression.enumerated().filter { $0.element > 0.3 }.map { model.expressionNames[$0.offset] }
                print(String(format: "%@ NME %.4f, root rotation (%.3f, %.3f, %.3f) rad, ", name, result.nme, result.code.pose[0],
                             result.code.pose[1], result.code.pose[2]) + "expressions > 0.3: \(active.joined(separator: " "))")
            }
            fitted[name] = result.landmarks.map { [$0.x, $0.y] }
            let iod = ((points[36] - points[45]) * (points[36] - points[45])).sum().squareRoot()
            for i in 0..<68 { perPoint[i] += ((result.landmarks[i] - points[i]) * (result.landmarks[i] - points[i])).sum().squareRoot() / iod }
        }
        let groups: [(String, Range<Int>)] = [("jaw", 0..<17), ("brows", 17..<27), ("nose", 27..<36), ("eyes", 36..<48), ("mouth", 48..<68)]
        print("(a) mean NME by group: " + groups.map { g in
            String(format: "%@ %.4f", g.0, g.1.map { perPoint[$0] }.reduce(0, +) / Float(g.1.count * max(files.count, 1)))
        }.joined(separator: ", "))
        if let dumpFits {
            try JSONSerialization.data(withJSONObject: fitted, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dumpFits))
        }
        errors.sort()
        let median = errors.isEmpty ? .nan : errors[errors.count / 2]
        let mean = errors.reduce(0, +) / Float(max(errors.count, 1))
        print(String(format: "(a) %@ landmark fit: %d faces, median NME %.4f, mean %.4f (%.1f s)", faces, errors.count, median, mean,
                     Date().timeIntervalSince(start)))
    }

    func measureICT(_ model: MorphableModel, root: String) throws {
        let dir = URL(fileURLWithPath: root).appendingPathComponent("models/ict-facekit")
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("identity000.obj").path) else {
            print("(b) skipped: \(dir.path) not found"); return
        }
        var medians: [Float] = []
        for id in 0..<5 {
            let url = dir.appendingPathComponent(String(format: "identity%03d.obj", id))
            let ict = try ObjVertices.read(url).map { $0 * 0.01 }   // cm → m
            let fit = HeadICTFit(model: model, target: ict)
            let d = fit.run()
            medians.append(d)
            print(String(format: "(b) ICT identity%03d: median face-region distance %.2f mm", id, d * 1000))
        }
        medians.sort()
        print(String(format: "(b) ICT identities 000–004: median of medians %.2f mm", medians[2] * 1000))
    }
}

/// 300-W `.pts` reader (68 points, 1-based pixels — NME is translation invariant, kept as is).
enum PtsFile {
    static func read(_ url: URL) throws -> [SIMD2<Float>] {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else { throw ValidationError("\(url.lastPathComponent): no point block") }
        let numbers = text[text.index(after: open)..<close].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).compactMap { Float($0) }
        guard numbers.count == 136 else { throw ValidationError("\(url.lastPathComponent): expected 68 points") }
        return (0..<68).map { SIMD2(numbers[2 * $0], numbers[2 * $0 + 1]) }
    }
}

/// `v x y z` lines of an OBJ file.
enum ObjVertices {
    static func read(_ url: URL) throws -> [SIMD3<Float>] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [SIMD3<Float>] = []
        for line in text.split(separator: "\n") where line.hasPrefix("v ") {
            let f = line.split(separator: " ").dropFirst().prefix(3).compactMap { Float($0) }
            if f.count == 3 { out.append(SIMD3(f[0], f[1], f[2])) }
        }
        return out
    }
}
