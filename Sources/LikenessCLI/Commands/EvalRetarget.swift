import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Render
import Retargeting
import Tensor
import Training

/// `likeness eval retarget`: synthetic truth for retargeting. Renders the embedded head with
/// identities it was not trained on (β ~ N(0, 0.8²) per mode, seeded), known ARKit weights (three
/// active shapes per face, each U(0.2, 0.9)), head pose (yaw ±20°, pitch ±11°, roll ±6°) and SH
/// light (studio with random white first-band terms, ±0.25), textured with a person's `head.png` over grey;
/// then recovers ψ from the render as `retarget` does — BlazeFace + 68 points → base model, base +
/// landmark refinement, and the classical landmark fit alone per frame (today's `fit`) — and
/// reports the mean absolute weight error per ARKit shape and overall (all shapes, and the active
/// ones only), the yaw error and the landmark NME (the 68 model landmarks of the recovered face
/// against the true face's, over the outer-eye-corner distance).
struct EvalRetarget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retarget",
        abstract: "Weight and landmark error of retargeting on rendered heads with known ARKit weights and pose."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The texture of the rendered heads (a bundle's head.png).") var texture: String
    @Option(help: "How many rendered faces.") var count = 40
    @Option(help: "Seed of identities, weights, poses and light.") var seed: UInt64 = 16
    @Option(help: "Side of the square renders in pixels.") var size = 384
    @Option(help: "Write a CSV of per-shape errors here.") var csv: String?
    @Option(help: "Write a preview sheet of the first renders here (PNG).") var sheet: String?

    struct Sample {
        var code: FaceCode
        var camera: OrthoCamera
        var image: Image
    }

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel()
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let plain = try Retargeter(model: model, network: base, frontEnd: frontEnd, refine: false)
        let refined = try Retargeter(model: model, network: base, frontEnd: frontEnd, refine: true)
        let fitter = try LandmarkFitter(model: model)
        let evaluator = try FaceEvaluator(model: model)
        let albedo = TextureMap(image: try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: texture)).converted(channels: 3))
        var rng = SeededGenerator(seed: seed)
        let samples = try (0..<count).map { _ in try render(model, evaluator: evaluator, albedo: albedo, rng: &rng) }
        if let sheet {
            try PNGEncoder.encode(FitPreview.sheet(samples.prefix(12).map(\.image), tileHeight: 160, columns: 6))
                .write(to: URL(fileURLWithPath: sheet))
        }
        let methods = ["base", "base+refine", "classical fit"]
        var errors = [[[Float]]](repeating: [], count: 3)   // [method][sample][shape]
        var truths = [[[Float]]](repeating: [], count: 3)   // the true ψ of each of those samples
        var nme = [[Float]](repeating: [], count: 3), yaw = [[Float]](repeating: [], count: 3)
        var found = 0
        for s in samples {
            guard let face = try? frontEnd.locate(in: s.image) else { continue }
            found += 1
            let classical = try? fitter.fit(try FitTargets(face.landmarks))
            let estimates: [(code: FaceCode, camera: OrthoCamera)?] = [
                try? plain.estimate(s.image, landmarks: face.landmarks),
                try? refined.estimate(s.image, landmarks: face.landmarks),
                classical.map { ($0.code, $0.camera) },
            ]
            let truth = try landmarks(s.code, s.camera, model, evaluator)
            let iod = distance(truth[36], truth[45])
            for (m, e) in estimates.enumerated() {
                guard let e else { continue }
                errors[m].append(zip(e.code.expression, s.code.expression).map { abs(min(1, max(0, $0)) - $1) })
                truths[m].append(s.code.expression)
                let points = try landmarks(e.code, e.camera, model, evaluator)
                nme[m].append(zip(points, truth).map { distance($0, $1) }.reduce(0, +) / Float(truth.count) / iod)
                func head(_ c: FaceCode) -> Mat3 { Rodrigues.matrix(c.rotation(ofJoint: 0)) * Rodrigues.matrix(c.rotation(ofJoint: 1)) }
                yaw[m].append(abs(YawPitchRoll(head(e.code)).yaw - YawPitchRoll(head(s.code)).yaw) * 180 / .pi)
            }
        }
        print("rendered \(samples.count) faces (\(size)² px, seed \(seed)); faces found: \(found)")
        func mean(_ v: [Float]) -> Float { v.isEmpty ? .nan : v.reduce(0, +) / Float(v.count) }
        print("method          weight MAE (all)  (active shapes)   yaw err °   landmark NME")
        for m in 0..<3 {
            let all = errors[m].flatMap { $0 }
            let active = zip(errors[m], truths[m]).flatMap { e, t in t.indices.filter { t[$0] > 0 }.map { e[$0] } }
            print(String(format: "%-15@ %12.4f %17.4f %11.2f %14.4f", methods[m] as NSString, mean(all), mean(active),
                         mean(yaw[m]), mean(nme[m])))
        }
        var lines = ["shape," + methods.joined(separator: ",")]
        for (k, name) in model.expressionNames.enumerated() {
            lines.append(name + "," + (0..<3).map { m in String(format: "%.4f", mean(errors[m].map { $0[k] })) }.joined(separator: ","))
        }
        if let csv { try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) }
        print("per shape (MAE; base, base+refine, classical), worst 8 of the base model:")
        let baseMAE = model.expressionNames.indices.map { k in mean(errors[0].map { $0[k] }) }
        let worst = model.expressionNames.indices.sorted { baseMAE[$0] > baseMAE[$1] }.prefix(8)
        for k in worst { print("  " + lines[k + 1]) }
    }

    func landmarks(_ code: FaceCode, _ camera: OrthoCamera, _ model: MorphableModel, _ evaluator: FaceEvaluator) throws -> [SIMD2<Float>] {
        let mesh = try RenderMesh(model: model, positions: try evaluator.evaluate(code).vertices)
        return Preview.project(model.landmarks, mesh: mesh, camera: camera)
    }

    func render(_ model: MorphableModel, evaluator: FaceEvaluator, albedo: TextureMap, rng: inout SeededGenerator) throws -> Sample {
        var code = FaceCode.neutral(for: model)
        code.identity = (0..<model.identityCount).map { _ in 0.8 * rng.normal() }
        var chosen = Set<Int>()
        while chosen.count < 3 { chosen.insert(Int(Double.random(in: 0..<1, using: &rng) * Double(model.expressionCount)) % model.expressionCount) }
        for k in chosen { code.expression[k] = Float(0.2 + 0.7 * Double.random(in: 0..<1, using: &rng)) }
        let yaw = Float(Double.random(in: 0..<1, using: &rng) * 0.7 - 0.35), pitch = Float(Double.random(in: 0..<1, using: &rng) * 0.4 - 0.2), roll = Float(Double.random(in: 0..<1, using: &rng) * 0.2 - 0.1)
        code.setRotation(Rodrigues.axisAngle(YawPitchRoll(yaw: yaw, pitch: pitch, roll: roll).matrix), ofJoint: 0)
        var light = SphericalHarmonics.studio.coefficients
        // White light from a random side: the first-band terms move together in R, G and B.
        for i in 1..<4 { let d = Float(Double.random(in: 0..<1, using: &rng) * 0.5 - 0.25); for c in 0..<3 { light[3 * i + c] += d } }
        let output = try evaluator.evaluate(code)
        let mesh = try RenderMesh(model: model, positions: output.vertices)
        // Camera: the 68 landmarks span 45 % of the frame, centred.
        let unit = Preview.project(model.landmarks, mesh: mesh, camera: OrthoCamera(scale: 1, translation: .zero))
        let xs = unit.map(\.x), ys = unit.map(\.y)
        let span = max(xs.max()! - xs.min()!, ys.max()! - ys.min()!)
        let s = 0.45 * Float(size) / span
        let centre = SIMD2((xs.max()! + xs.min()!) / 2, (ys.max()! + ys.min()!) / 2)
        let camera = OrthoCamera(scale: s, translation: SIMD2(Float(size) / 2, Float(size) / 2) - s * centre)
        let grey = Image(width: size, height: size, channels: 3, pixels: [UInt8](repeating: 110, count: size * size * 3))
        let image = try Preview.textured(mesh: mesh, albedo: albedo, camera: camera, width: size, height: size,
                                         lighting: try SphericalHarmonics(coefficients: light), background: grey)
        return Sample(code: code, camera: camera, image: image)
    }
}

func distance(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { ((a - b) * (a - b)).sum().squareRoot() }
