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

/// `likeness eval retarget`: synthetic truth for retargeting. Renders heads with known ARKit
/// weights, head pose (yaw ±20°, pitch ±11°, roll ±6°) and SH light (studio with random white
/// first-band terms, ±0.25), then recovers ψ from the render as `retarget` does — BlazeFace + 68
/// points → base model, base + landmark refinement, and the classical landmark fit alone per frame
/// (today's `fit`) — and reports the mean absolute weight error per ARKit shape and overall (the
/// evaluated shapes, and the active ones only), the yaw error and the landmark NME (the 68 model
/// landmarks of the recovered face against the rendered face's own 68, over the outer-eye-corner
/// distance).
///
/// Two sets, one renderer (`SyntheticSubject`): the embedded head with identities it was not
/// trained on (β ~ N(0, 0.8²) per mode, seeded), three active shapes of its 52 per face, each
/// U(0.2, 0.9), textured with a person's `head.png` over grey; and with `--ict`, ICT-FaceKit's
/// identities (each identity mode at +1σ, `identity000`–`identity004`) with the ICT expressions
/// that have an ARKit name of the embedded head (`ICTShapes`: eyeBlink_L → eyeBlinkLeft;
/// browInnerUp_L and _R both drive browInnerUp, keyed together), three of them active per face,
/// painted by `ICTSubject`'s region albedo. The ICT set is scored on the shared shapes only: its
/// other ARKit shapes do not exist in the file, so their truth is unknown.
struct EvalRetarget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retarget",
        abstract: "Weight and landmark error of retargeting on rendered heads with known ARKit weights and pose."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The texture of the rendered embedded heads (a bundle's head.png); needed when --count > 0.") var texture: String?
    @Option(help: "How many rendered embedded heads (0: only the ICT set).") var count = 40
    @Option(help: "ICT-FaceKit's FaceXModel folder: also render its identities with its ARKit-named expressions.") var ict: String?
    @Option(help: "Rendered faces per ICT identity.") var ictFrames = 4
    @Option(help: "Seed of identities, weights, poses and light.") var seed: UInt64 = 16
    @Option(help: "Side of the square renders in pixels.") var size = 384
    @Option(help: "Write a CSV of per-shape errors here.") var csv: String?
    @Option(help: "Write a preview sheet of the first renders of each set here (PNG).") var sheet: String?

    /// One rendered face and its truth: the true ψ in the embedded head's `expressionNames` order
    /// (zero for shapes the face does not use), the rendered model's 68 landmarks in the image,
    /// and the true head yaw (radians).
    struct Sample {
        var image: Image
        var truth: [Float]
        var landmarks: [SIMD2<Float>]
        var yaw: Float
    }

    /// The three methods' errors on one set of samples.
    struct Scores {
        static let methods = ["base", "base+refine", "classical fit"]
        /// Embedded-head indices of the shapes scored.
        var shapes: [Int]
        var errors = [[[Float]]](repeating: [], count: 3)   // [method][sample][scored shape]
        var truths = [[[Float]]](repeating: [], count: 3)   // the true weights of those shapes
        var nme = [[Float]](repeating: [], count: 3), yaw = [[Float]](repeating: [], count: 3)
        var found = 0
    }

    func validate() throws {
        if count > 0, texture == nil { throw ValidationError("--texture is needed to render the embedded heads (or --count 0 with --ict)") }
        if count <= 0, ict == nil { throw ValidationError("nothing to render: --count 0 and no --ict") }
    }

    func run() throws {
        let model = EmbeddedHead.make()
        let base = try BaseModel()
        try base.check(model)
        let frontEnd = try FaceFrontEnd.standard()
        let methods = try Methods(model: model, base: base, frontEnd: frontEnd)
        var rng = SeededGenerator(seed: seed)
        var sets: [(name: String, samples: [Sample], shapes: [Int])] = []
        if count > 0, let texture {
            let albedo = TextureMap(image: try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: texture)).converted(channels: 3))
            let subject = try SyntheticSubject(model: model, albedo: albedo, size: size)
            let samples = try (0..<count).map { _ in try embeddedSample(subject, rng: &rng) }
            sets.append(("embedded head", samples, Array(model.expressionNames.indices)))
        }
        if let ict {
            let ictModel = try ICTFaceKitImporter.load(URL(fileURLWithPath: ict), maxIdentities: 5)
            let shapes = ICTShapes(ict: ictModel, target: model)
            guard !shapes.shared.isEmpty else { throw ValidationError("\(ict): no ICT expression has an ARKit name of the embedded head") }
            let subject = try ICTSubject.make(ictModel, size: size)
            var samples: [Sample] = []
            for identity in 0..<ictModel.identityCount {
                for _ in 0..<ictFrames { samples.append(try ictSample(subject, shapes: shapes, identity: identity, target: model, rng: &rng)) }
            }
            sets.append(("ICT-FaceKit \(ictModel.identityCount) identities × \(ictFrames)", samples, shapes.shared.map(\.target)))
        }
        if let sheet {
            let tiles = sets.flatMap { $0.samples.prefix(6).map(\.image) }
            try PNGEncoder.encode(FitPreview.sheet(tiles, tileHeight: 160, columns: 6)).write(to: URL(fileURLWithPath: sheet))
        }
        var lines = ["set,shape," + Scores.methods.joined(separator: ",")]
        for set in sets {
            let scores = try methods.score(set.samples, shapes: set.shapes)
            print("\(set.name): rendered \(set.samples.count) faces (\(size)² px, seed \(seed)); faces found: \(scores.found)")
            lines += report(scores, set: set.name, names: model.expressionNames, all: set.shapes.count == model.expressionCount)
        }
        if let csv { try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8) }
    }

    /// Prints the set's table and its per-shape errors (the worst 8 of the base model, or every
    /// shape when only a subset is scored); returns the per-shape CSV lines.
    func report(_ s: Scores, set: String, names: [String], all: Bool) -> [String] {
        func mean(_ v: [Float]) -> Float { v.isEmpty ? .nan : v.reduce(0, +) / Float(v.count) }
        print("method          weight MAE (\(all ? "all" : "shared")) (active shapes)   yaw err °   landmark NME")
        for m in 0..<3 {
            let every = s.errors[m].flatMap { $0 }
            let active = zip(s.errors[m], s.truths[m]).flatMap { e, t in t.indices.filter { t[$0] > 0 }.map { e[$0] } }
            print(Scores.methods[m].padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: " %12.4f %17.4f %11.2f %14.4f", mean(every), mean(active), mean(s.yaw[m]), mean(s.nme[m])))
        }
        let perShape = s.shapes.indices.map { i in (0..<3).map { m in mean(s.errors[m].map { $0[i] }) } }
        let lines = s.shapes.indices.map { i in
            "\(set),\(names[s.shapes[i]])," + perShape[i].map { String(format: "%.4f", $0) }.joined(separator: ",")
        }
        let shown = all ? Array(s.shapes.indices.sorted { perShape[$0][0] > perShape[$1][0] }.prefix(8)) : Array(s.shapes.indices)
        print("per shape (MAE; base, base+refine, classical)\(all ? ", worst 8 of the base model" : ""):")
        for i in shown { print("  " + lines[i].dropFirst(set.count + 1)) }
        return lines
    }

    /// An embedded head: an unseen identity, three active shapes of the 52, random pose and light.
    func embeddedSample(_ subject: SyntheticSubject, rng: inout SeededGenerator) throws -> Sample {
        let model = subject.model
        var code = FaceCode.neutral(for: model)
        code.identity = (0..<model.identityCount).map { _ in 0.8 * rng.normal() }
        code.expression = Self.activeWeights(count: model.expressionCount, rng: &rng)
        return try subject.sample(code, truth: code.expression, rng: &rng)
    }

    /// An ICT identity (its mode at +1σ) with three of the shared shapes active.
    func ictSample(_ subject: SyntheticSubject, shapes: ICTShapes, identity: Int, target: MorphableModel,
                   rng: inout SeededGenerator) throws -> Sample {
        var code = FaceCode.neutral(for: subject.model)
        code.identity[identity] = 1
        let chosen = Self.activeWeights(count: shapes.shared.count, rng: &rng)
        var truth = [Float](repeating: 0, count: target.expressionCount)
        for (k, pair) in shapes.shared.enumerated() {
            truth[pair.target] = chosen[k]
            for source in pair.sources { code.expression[source] = chosen[k] }
        }
        return try subject.sample(code, truth: truth, rng: &rng)
    }

    /// `count` weights, three of them (all when fewer) U(0.2, 0.9), the rest 0.
    static func activeWeights(count: Int, rng: inout SeededGenerator) -> [Float] {
        var weights = [Float](repeating: 0, count: count), chosen = Set<Int>()
        while chosen.count < min(3, count) { chosen.insert(Int(Double.random(in: 0..<1, using: &rng) * Double(count)) % count) }
        for k in chosen { weights[k] = Float(0.2 + 0.7 * Double.random(in: 0..<1, using: &rng)) }
        return weights
    }

    /// The three ways of recovering a face, and their scoring against the truth.
    struct Methods {
        let model: MorphableModel
        let frontEnd: FaceFrontEnd
        let plain: Retargeter, refined: Retargeter
        let fitter: LandmarkFitter
        let evaluator: FaceEvaluator

        init(model: MorphableModel, base: BaseModel, frontEnd: FaceFrontEnd) throws {
            self.model = model
            self.frontEnd = frontEnd
            plain = try Retargeter(model: model, network: base, frontEnd: frontEnd, refine: false)
            refined = try Retargeter(model: model, network: base, frontEnd: frontEnd, refine: true)
            fitter = try LandmarkFitter(model: model)
            evaluator = try FaceEvaluator(model: model)
        }

        func score(_ samples: [Sample], shapes: [Int]) throws -> Scores {
            var s = Scores(shapes: shapes)
            for sample in samples {
                guard let face = try? frontEnd.locate(in: sample.image) else { continue }
                s.found += 1
                let classical = try? fitter.fit(try FitTargets(face.landmarks))
                let estimates: [(code: FaceCode, camera: OrthoCamera)?] = [
                    try? plain.estimate(sample.image, landmarks: face.landmarks),
                    try? refined.estimate(sample.image, landmarks: face.landmarks),
                    classical.map { ($0.code, $0.camera) },
                ]
                let iod = distance(sample.landmarks[36], sample.landmarks[45])
                for (m, e) in estimates.enumerated() {
                    guard let e else { continue }
                    s.errors[m].append(shapes.map { abs(min(1, max(0, e.code.expression[$0])) - sample.truth[$0]) })
                    s.truths[m].append(shapes.map { sample.truth[$0] })
                    let mesh = try RenderMesh(model: model, positions: try evaluator.evaluate(e.code).vertices)
                    let points = Preview.project(model.landmarks, mesh: mesh, camera: e.camera)
                    s.nme[m].append(zip(points, sample.landmarks).map { distance($0, $1) }.reduce(0, +) / Float(points.count) / iod)
                    s.yaw[m].append(abs(YawPitchRoll(SyntheticSubject.head(e.code)).yaw - sample.yaw) * 180 / .pi)
                }
            }
            return s
        }
    }
}

/// A morphable model rendered as synthetic truth: its evaluator, albedo and the mesh it draws
/// (`drawn`: the posed vertices → the triangles to rasterise; the model's own mesh by default).
struct SyntheticSubject {
    let model: MorphableModel
    let evaluator: FaceEvaluator
    let albedo: TextureMap
    let size: Int
    var drawn: ([Float]) throws -> RenderMesh

    init(model: MorphableModel, albedo: TextureMap, size: Int, drawn: (([Float]) throws -> RenderMesh)? = nil) throws {
        self.model = model
        evaluator = try FaceEvaluator(model: model)
        self.albedo = albedo
        self.size = size
        self.drawn = drawn ?? { try RenderMesh(model: model, positions: $0) }
    }

    /// Head rotation R(θ_global)·R(θ_neck) (just R(θ_global) for a one-joint model).
    static func head(_ c: FaceCode) -> Mat3 {
        c.pose.count >= 6 ? Rodrigues.matrix(c.rotation(ofJoint: 0)) * Rodrigues.matrix(c.rotation(ofJoint: 1))
            : Rodrigues.matrix(c.rotation(ofJoint: 0))
    }

    /// `code` (its head rotation replaced by a random one) rendered under random light, framed so
    /// the 68 landmarks span 45 % of the frame, centred, over grey.
    func sample(_ code: FaceCode, truth: [Float], rng: inout SeededGenerator) throws -> EvalRetarget.Sample {
        var code = code
        let yaw = Float(Double.random(in: 0..<1, using: &rng) * 0.7 - 0.35), pitch = Float(Double.random(in: 0..<1, using: &rng) * 0.4 - 0.2)
        let roll = Float(Double.random(in: 0..<1, using: &rng) * 0.2 - 0.1)
        code.setRotation(Rodrigues.axisAngle(YawPitchRoll(yaw: yaw, pitch: pitch, roll: roll).matrix), ofJoint: 0)
        var light = SphericalHarmonics.studio.coefficients
        // White light from a random side: the first-band terms move together in R, G and B.
        for i in 1..<4 { let d = Float(Double.random(in: 0..<1, using: &rng) * 0.5 - 0.25); for c in 0..<3 { light[3 * i + c] += d } }
        let vertices = try evaluator.evaluate(code).vertices
        let surface = try RenderMesh(model: model, positions: vertices)
        let unit = Preview.project(model.landmarks, mesh: surface, camera: OrthoCamera(scale: 1, translation: .zero))
        let xs = unit.map(\.x), ys = unit.map(\.y)
        let span = max(xs.max()! - xs.min()!, ys.max()! - ys.min()!)
        let s = 0.45 * Float(size) / span
        let centre = SIMD2((xs.max()! + xs.min()!) / 2, (ys.max()! + ys.min()!) / 2)
        let camera = OrthoCamera(scale: s, translation: SIMD2(Float(size) / 2, Float(size) / 2) - s * centre)
        let grey = Image(width: size, height: size, channels: 3, pixels: [UInt8](repeating: 110, count: size * size * 3))
        let image = try Preview.textured(mesh: try drawn(vertices), albedo: albedo, camera: camera, width: size, height: size,
                                         lighting: try SphericalHarmonics(coefficients: light), background: grey)
        return EvalRetarget.Sample(image: image, truth: truth, landmarks: Preview.project(model.landmarks, mesh: surface, camera: camera),
                                   yaw: YawPitchRoll(Self.head(code)).yaw)
    }
}

/// ICT-FaceKit's expressions that have an ARKit name of the target (the embedded head): ICT
/// writes a side as a suffix (`eyeBlink_L`; `_L` is the subject's left, +x, as ARKit's "Left"),
/// ARKit as a word (`eyeBlinkLeft`); a sided ICT shape whose target has one unsided shape
/// (browInnerUp_L, browInnerUp_R → browInnerUp) maps with its twin onto it.
struct ICTShapes {
    /// A target shape and the ICT expressions (indices) that together make it.
    var shared: [(target: Int, sources: [Int])]

    init(ict: MorphableModel, target: MorphableModel) {
        var byTarget: [Int: [Int]] = [:]
        for (i, name) in ict.expressionNames.enumerated() {
            guard let t = Self.arkitName(name, in: target.expressionNames).flatMap(target.expressionNames.firstIndex(of:)) else { continue }
            byTarget[t, default: []].append(i)
        }
        shared = byTarget.keys.sorted().map { ($0, byTarget[$0]!) }
    }

    /// The target's name for an ICT expression name, or nil.
    static func arkitName(_ ict: String, in names: [String]) -> String? {
        for (suffix, side) in [("_L", "Left"), ("_R", "Right")] where ict.hasSuffix(suffix) {
            let stem = String(ict.dropLast(2))
            return names.contains(stem + side) ? stem + side : names.contains(stem) ? stem : nil
        }
        return names.contains(ict) ? ict : nil
    }
}

/// ICT-FaceKit drawn for the evaluation: its parts by the README's vertex ranges, without the
/// eye shells (lacrimal fluid, eye blend, occlusion, eyelashes: transparent in ICT's own
/// shaders, opaque here), painted with a region albedo — ICT ships no texture. Its UDIM layout
/// puts the eyeballs in tile 0 over the face, so they move to tile 4 and the five tiles share
/// one texture: u' = (u + 4·[eyeball]) / 5.
enum ICTSubject {
    /// Vertices drawn: face … eyeballs (README: 0–24590).
    static let drawnVertices = 24591
    static let skin: SIMD3<Float> = [0.80, 0.62, 0.52], brow: SIMD3<Float> = [0.22, 0.16, 0.12], lip: SIMD3<Float> = [0.62, 0.32, 0.32]

    /// The albedo of vertex `i` (of the neutral mesh) by its part; brows and lips by the landmarks.
    static func colour(_ i: Int, template: [SIMD3<Float>], brows: [[SIMD3<Float>]], lips: [SIMD2<Float>]) -> SIMD3<Float> {
        switch i {
        case 11248..<13294: return [0.35, 0.12, 0.12]                 // mouth socket
        case 13294..<14062: return [0.60, 0.38, 0.36]                 // eye sockets
        case 14062..<17039: return [0.70, 0.34, 0.34]                 // gums and tongue
        case 17039..<21451: return [0.90, 0.87, 0.80]                 // teeth
        case 22221..<23021, 23791..<24591: return [0.28, 0.19, 0.12]  // irises
        case 21451..<24591: return [0.92, 0.90, 0.86]                 // scleras
        case 0..<9409:
            let p = template[i]
            if inside(SIMD2(p.x, p.y), lips) { return lip }
            for line in brows where zip(line, line.dropFirst()).contains(where: { near(p, $0, $1) }) { return brow }
            return skin
        default: return skin
        }
    }

    /// Within 0.7 cm of the brow segment a–b seen from the front, no more than 1.5 cm behind it.
    static func near(_ p: SIMD3<Float>, _ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Bool {
        let q = SIMD2(p.x, p.y), a2 = SIMD2(a.x, a.y), d = SIMD2(b.x, b.y) - a2
        let t = max(0, min(1, ((q - a2) * d).sum() / max((d * d).sum(), 1e-12)))
        return distance(q, a2 + t * d) < 0.007 && p.z > min(a.z, b.z) - 0.015
    }

    /// Even-odd point-in-polygon test.
    static func inside(_ q: SIMD2<Float>, _ polygon: [SIMD2<Float>]) -> Bool {
        var result = false
        for (a, b) in zip(polygon, polygon.dropFirst() + polygon.prefix(1)) where (a.y > q.y) != (b.y > q.y) {
            if q.x < a.x + (q.y - a.y) * (b.x - a.x) / (b.y - a.y) { result.toggle() }
        }
        return result
    }

    /// The ICT model as a `SyntheticSubject`: eyeball UVs moved to tile 4, the region albedo
    /// rasterised into the shared texture (uncovered texels skin), the eye shells left undrawn.
    static func make(_ ict: MorphableModel, size: Int) throws -> SyntheticSubject {
        var model = ict
        let eyeballUV = Set((0..<(ict.triangles.count)).filter { (21451..<24591).contains(Int(ict.triangles[$0])) }.map { Int(ict.uvTriangles[$0]) })
        for t in 0..<(model.uvs.count / 2) { model.uvs[2 * t] = (model.uvs[2 * t] + (eyeballUV.contains(t) ? 4 : 0)) / 5 }
        let template = (0..<model.vertexCount).map { SIMD3(model.template[3 * $0], model.template[3 * $0 + 1], model.template[3 * $0 + 2]) }
        let landmarks = model.landmarks.map { e -> SIMD3<Float> in
            let c = model.combination(e)
            return zip(c.vertices, c.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * template[$1.0] }
        }
        let brows = [Array(landmarks[17...21]), Array(landmarks[22...26])]
        let lips = landmarks[48...59].map { SIMD2($0.x, $0.y) }
        let colours = (0..<model.vertexCount).flatMap { i -> [Float] in
            let c = colour(i, template: template, brows: brows, lips: lips)
            return [c.x, c.y, c.z]
        }
        let side = 2048
        let map = UVRasterizer.rasterize(colours, channels: 3, model: model, size: side)
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for p in 0..<(side * side) {
            let c = map.coverage[p] != 0 ? SIMD3(map.values[3 * p], map.values[3 * p + 1], map.values[3 * p + 2]) : skin
            for k in 0..<3 { pixels[3 * p + k] = UInt8(max(0, min(255, (c[k] * 255).rounded()))) }
        }
        let albedo = TextureMap(image: Image(width: side, height: side, channels: 3, pixels: pixels))
        var triangles: [Int32] = [], uvTriangles: [Int32] = []
        for f in 0..<model.triangleCount where (0..<3).allSatisfy({ Int(model.triangles[3 * f + $0]) < drawnVertices }) {
            triangles += model.triangles[(3 * f)..<(3 * f + 3)]
            uvTriangles += model.uvTriangles[(3 * f)..<(3 * f + 3)]
        }
        let uvs = model.uvs
        return try SyntheticSubject(model: model, albedo: albedo, size: size) {
            try RenderMesh(positions: $0, triangles: triangles, uvs: uvs, uvTriangles: uvTriangles)
        }
    }
}

func distance(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { ((a - b) * (a - b)).sum().squareRoot() }
