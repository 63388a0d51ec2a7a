import FaceModel
import Imaging
import FaceRecognition
import Foundation
import Networks
import Reconstruction
import Render
import ShippedModels
import Tensor
import XCTest
@testable import Training

/// The photometric half of the training room: the mesh and renderer ops, the albedo op, the chip
/// warp, L_pho, L_id and L_reg's α term against finite differences; a tiny encoder whose L_pho
/// falls; the shipped base model unchanged by the new outputs.
final class PhotometricTests: XCTestCase {
    static let model = TrainingRecipeTests.model
    static let albedo: AlbedoModel = {
        let (albedo, why) = AlbedoModel.shipped(for: model)
        precondition(albedo != nil, "the shipped albedo model: \(why ?? "")")
        return albedo!
    }()

    /// Largest |analytic − numeric| / (|numeric| + scale·1e-3) over the compared entries (printed).
    func assertGradientCheck(_ name: String, _ check: GradientCheck, _ inputs: [Tensor], _ f: () -> Tensor,
                             file: StaticString = #filePath, line: UInt = #line) {
        let (mismatches, compared) = check.run(inputs, f)
        XCTAssertGreaterThan(compared, 0, file: file, line: line)
        XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.prefix(5))", file: file, line: line)
    }

    // MARK: Mesh geometry

    func geometryInputs(_ model: MorphableModel, batch: Int, seed: UInt64) -> (Tensor, Tensor, Tensor) {
        var g = SeededGenerator(seed: seed)
        let beta = Tensor.uniform([batch, model.identityCount], in: -1...1, using: &g)
        let psi = Tensor.uniform([batch, model.expressionCount], in: 0.05...0.5, using: &g)
        let theta = Tensor.uniform([batch, 3 * model.joints.count], in: -0.25...0.25, using: &g)
        for t in [beta, psi, theta] { t.requiresGrad = true }
        return (beta, psi, theta)
    }

    /// S(β, ψ, θ) for the embedded head (LBS over 5 joints, no correctives) and for a synthetic
    /// model with pose correctives: every β, ψ, θ entry against central differences.
    func testFaceGeometryGradientsMatchFiniteDifferences() throws {
        for model in [Self.model, SyntheticModel.make()] {
            let geometry = try FaceGeometry(model: model)
            let (beta, psi, theta) = geometryInputs(model, batch: 2, seed: 3)
            var check = GradientCheck()
            check.samplesPerInput = 256
            check.epsilon = 5e-3
            assertGradientCheck("geometry \(model.info.name)", check, [beta, psi, theta]) {
                geometry(identity: beta, expression: psi, pose: theta)
            }
            check.absoluteTolerance = 0
            check.relativeTolerance = 0
            let all = check.run([beta, psi, theta]) { geometry(identity: beta, expression: psi, pose: theta) }.mismatches
            let scales = [beta, psi, theta].map { Double($0.gradValues.map { abs($0) }.max() ?? 0) }
            print("geometry gradient check (\(model.info.name)), max |analytic − numeric| / max |gradient| for β, ψ, θ:",
                  (0..<3).map { k in (all.filter { $0.input == k }.map { abs($0.analytic - $0.numeric) }.max() ?? 0) / scales[k] })
            // The forward is FaceEvaluator's.
            let out = Autograd.withoutRecording { geometry(identity: beta, expression: psi, pose: theta) }
            let code = FaceCode(identity: Array(beta.values[model.identityCount...]), expression: Array(psi.values[model.expressionCount...]),
                                pose: Array(theta.values[(3 * model.joints.count)...]))
            XCTAssertEqual(Array(out.values[(3 * model.vertexCount)...]), try model.evaluate(code).vertices)
        }
    }

    // MARK: Renderer

    struct RenderProblem {
        let rendering: MeshRendering
        let vertices: Tensor, camera: Tensor, lighting: Tensor, albedo: Tensor
        let visibility: [Rasterization?]
        func render() -> Tensor {
            rendering(vertices: vertices, camera: camera, lighting: lighting, albedo: albedo, fixedVisibility: visibility).image
        }
    }

    /// The embedded head in two poses at 64², coloured light, a smooth 16² albedo.
    func renderProblem() throws -> RenderProblem {
        let geometry = try FaceGeometry(model: Self.model)
        var (beta, psi, theta) = geometryInputs(Self.model, batch: 2, seed: 5)
        (beta, psi, theta) = (beta.detached(), psi.detached(), theta.detached())
        let vertices = Autograd.withoutRecording { geometry(identity: beta, expression: psi, pose: theta) }
        let rendering = try MeshRendering(model: Self.model, width: 64, height: 64)
        var cameraValues: [Float] = []
        for i in 0..<2 {
            let cam = OrthoCamera.framing(positions: Array(vertices.values[(i * 3 * Self.model.vertexCount)..<((i + 1) * 3 * Self.model.vertexCount)]),
                                          width: 64, height: 64, fill: 0.9)
            cameraValues += [cam.scale, cam.translation.x, cam.translation.y]
        }
        let camera = Tensor(cameraValues, shape: [2, 3], requiresGrad: true)
        let light = (0..<54).map { i -> Float in (i % 27) < 3 ? 1.6 + 0.1 * Float(i % 3) : 0.3 * sin(Float(i) * 1.7) }
        let lighting = Tensor(light, shape: [2, 27], requiresGrad: true)
        let d = 16
        let texture = (0..<(2 * d * d * 3)).map { k -> Float in
            let t = k / 3 % (d * d)
            return 0.55 + 0.2 * sin(Float(t % d) * 0.4 + Float(k % 3)) * cos(Float(t / d) * 0.3)
        }
        let albedo = Tensor(texture, shape: [2, d, d, 3], requiresGrad: true)
        let v = vertices.detached()
        v.requiresGrad = true
        let first = rendering(vertices: v, camera: camera, lighting: lighting, albedo: albedo)
        XCTAssertGreaterThan(first.coverage.values.reduce(0, +), 500)
        XCTAssertGreaterThan(first.mask.values.reduce(0, +), 200)
        return RenderProblem(rendering: rendering, vertices: v, camera: camera, lighting: lighting, albedo: albedo,
                             visibility: first.visibility)
    }

    /// ∂(Σ w ⊙ I_r)/∂(vertices, camera, light, albedo) at fixed visibility against central
    /// differences: the entries with the largest analytic gradients plus random ones, each input
    /// with its own ε (vertices in metres at ~230 px/m, the camera in pixels).
    func testRenderingGradientsMatchFiniteDifferencesAtFixedVisibility() throws {
        let p = try renderProblem()
        var g = SeededGenerator(seed: 11)
        let weights = Tensor.uniform([2, 64, 64, 3], in: -1...1, using: &g)
        let out = p.render()
        out.backward(seed: weights)
        func probe() -> Double {
            let y = Autograd.withoutRecording { p.render() }
            var total = 0.0
            for i in 0..<y.count { total += Double(y.data[i]) * Double(weights.data[i]) }
            return total
        }
        var worst: [String: Double] = [:]
        for (name, x, eps, top) in [("vertices", p.vertices, Float(2e-5), 24), ("camera", p.camera, 1e-2, 6),
                                    ("lighting", p.lighting, 1e-2, 54), ("albedo", p.albedo, 1e-2, 24)] {
            let analytic = x.gradValues
            let scale = Double(analytic.map { abs($0) }.max()!)
            XCTAssertGreaterThan(scale, 1e-4, "\(name): no gradient")
            let ranked = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }
            let picks = Array(ranked.prefix(top)) + (0..<8).map { _ in Int.random(in: 0..<x.count, using: &g) }
            for j in picks {
                let saved = x.data[j]
                x.data[j] = saved + eps
                let plus = probe()
                x.data[j] = saved - eps
                let minus = probe()
                x.data[j] = saved
                let numeric = (plus - minus) / Double(2 * eps)
                let error = abs(Double(analytic[j]) - numeric) / (abs(numeric) + 1e-3 * scale)
                worst[name] = max(worst[name] ?? 0, error)
                XCTAssertLessThan(error, 0.03, "\(name)[\(j)]: analytic \(analytic[j]) numeric \(numeric)")
            }
        }
        print("rendering gradient check, worst relative error:", worst.sorted { $0.key < $1.key })
    }

    // MARK: Albedo, chip warp, losses

    func testAlbedoTextureIsTheAlbedoModelAndItsGradientIsExact() throws {
        let op = AlbedoTexture(model: Self.albedo, components: 6)
        var g = SeededGenerator(seed: 2)
        let alpha = Tensor.uniform([2, 6], in: -1...1, using: &g)
        alpha.requiresGrad = true
        let texture = Autograd.withoutRecording { op(alpha) }
        XCTAssertEqual(texture.shape, [2, Self.albedo.size, Self.albedo.size, 3])
        let reference = try Self.albedo.evaluate(Array(alpha.values[6...]))
        let second = Array(texture.values[Self.albedo.entryCount...])
        XCTAssertEqual(zip(second, reference.data).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-5)
        var check = GradientCheck()
        check.samplesPerInput = 12
        assertGradientCheck("albedo texture", check, [alpha]) { op(alpha) }
    }

    func testAffineResampleGradientAndDlibChipMap() throws {
        var g = SeededGenerator(seed: 4)
        let x = Tensor.uniform([2, 3, 12, 12], in: 0...1, using: &g)
        x.requiresGrad = true
        let maps = [AffineSampling(origin: SIMD2(1.3, 0.7), columnStep: SIMD2(1.1, 0.2), rowStep: SIMD2(-0.2, 1.1)),
                    AffineSampling(origin: SIMD2(-1, 2.2), columnStep: SIMD2(0.9, -0.1), rowStep: SIMD2(0.1, 0.9))]
        var check = GradientCheck()
        check.samplesPerInput = 64
        assertGradientCheck("affine resample", check, [x]) { affineResample(x, maps: maps, size: 9) }
        // The identity map reproduces the image except the last row and column (dlib's rule: all
        // four neighbours inside).
        let same = affineResample(x, maps: [AffineSampling](repeating: .init(origin: .zero, columnStep: SIMD2(1, 0), rowStep: SIMD2(0, 1)), count: 2), size: 12)
        XCTAssertEqual(same[1, 2, 5, 7], x[1, 2, 5, 7], accuracy: 1e-6)
        XCTAssertEqual(same[0, 0, 11, 3], 0)
    }

    func testPhotometricLossMatchesRendersLossAndFiniteDifferences() throws {
        var g = SeededGenerator(seed: 6)
        let rendered = Tensor.uniform([2, 4, 5, 3], in: 0...1, using: &g)
        rendered.requiresGrad = true
        let target = Tensor.uniform([2, 4, 5, 3], in: 0...1, using: &g)
        let mask = Tensor((0..<40).map { $0 % 3 == 0 ? 0 : 1 }, shape: [2, 4, 5, 1])
        for norm in [CoarseLossWeights.PhotometricNorm.l1, .l2] {
            var check = GradientCheck()
            check.epsilon = 1e-3
            check.samplesPerInput = 40
            assertGradientCheck("L_pho \(norm)", check, [rendered]) { photometricLoss(rendered, target: target, mask: mask, norm: norm) }
            // Σ_p M Σ_c |r| / Σ_p M per image, averaged.
            var expected: Float = 0
            for i in 0..<2 {
                var sum: Float = 0, count: Float = 0
                for p in 0..<20 where mask.data[i * 20 + p] > 0 {
                    count += 1
                    for c in 0..<3 {
                        let r = rendered.data[(i * 20 + p) * 3 + c] - target.data[(i * 20 + p) * 3 + c]
                        sum += norm == .l1 ? abs(r) : r * r
                    }
                }
                expected += sum / count / 2
            }
            XCTAssertEqual(photometricLoss(rendered, target: target, mask: mask, norm: norm).item, expected, accuracy: 1e-5)
        }
    }

    func testRegularisationHasTheAlbedoTerm() {
        var g = SeededGenerator(seed: 8)
        let alpha = Tensor.uniform([2, 4], in: -2...2, using: &g, requiresGrad: true)
        let code = CoarseCode(identity: Tensor.uniform([2, 3], in: -1...1, using: &g), expression: Tensor.uniform([2, 2], in: 0...1, using: &g),
                              pose: Tensor(zeros: [2, 15]), camera: Tensor(zeros: [2, 3]), albedo: alpha)
        var weights = CoarseLossWeights()
        let without = regularisationLoss(CoarseCode(identity: code.identity, expression: code.expression, pose: code.pose, camera: code.camera),
                                         weights: weights, jointCount: 5).item
        weights.albedoPrior = 0.5
        let meanSquare = alpha.values.map { $0 * $0 }.reduce(0, +) / 8
        XCTAssertEqual(regularisationLoss(code, weights: weights, jointCount: 5).item, without + 0.5 * meanSquare, accuracy: 1e-5)
        assertGradientCheck("L_reg α", GradientCheck(), [alpha]) { regularisationLoss(code, weights: weights, jointCount: 5) }
    }

    /// L_id through dlib's network: 0 for a render equal to the photo, positive for another face,
    /// and its gradient with respect to the render against finite differences (skips without the model).
    func testIdentityLossThroughTheFaceRecognitionNetwork() throws {
        guard FileManager.default.fileExists(atPath: FaceRecognitionModel.modelPath) else {
            throw XCTSkip("dlib's face-recognition model is not installed at \(FaceRecognitionModel.modelPath) (Scripts/setup)")
        }
        let loss = IdentityLoss(network: try FaceRecognitionModel())
        let data = try tinyDataset(2)
        let landmarks = [data.landmarks(0)]
        let rendering = try FaceRendering(geometry: try FaceGeometry(model: Self.model), albedoModel: Self.albedo, components: 0,
                                          cropSize: 64, factor: 1)
        let images = Tensor(uninitialized: [1, 3, 64, 64])
        var gen = SeededGenerator(seed: 0)
        _ = data.withCrop(1) { Augmentation.none.apply(crop: $0, size: 64, landmarks: landmarks[0], into: images.data, using: &gen) }
        let target = rendering.target(images)
        var g = SeededGenerator(seed: 9)
        let rendered = Tensor.uniform([1, 64, 64, 3], in: 0.2...0.8, using: &g)
        rendered.requiresGrad = true
        let coverage = Tensor((0..<(64 * 64)).map { ($0 / 64 - 32) * ($0 / 64 - 32) + ($0 % 64 - 32) * ($0 % 64 - 32) < 400 ? 1 : 0 },
                              shape: [1, 64, 64, 1])
        let same = loss(rendered: target, coverage: coverage, target: target, landmarks: landmarks, factor: 1).item
        XCTAssertEqual(same, 0, accuracy: 1e-5)
        let other = loss(rendered: rendered, coverage: coverage, target: target, landmarks: landmarks, factor: 1).item
        XCTAssertGreaterThan(other, 1e-3)
        var check = GradientCheck()
        // dlib's network is ReLU and max-pool: one-sided slopes differ by ~10% at ε = 3e-3, so ε is
        // small (central differences converge to the analytic value as ε → 0: 1e-3 agrees to ~2%).
        check.epsilon = 1e-3
        check.samplesPerInput = 6
        check.absoluteTolerance = 1e-4
        check.relativeTolerance = 4e-2
        // Probe pixels inside the coverage, where the render reaches the chip.
        let inside = (0..<(64 * 64 * 3)).filter { coverage.data[$0 / 3] > 0 }
        let analytic: [Float] = {
            rendered.zeroGrad()
            loss(rendered: rendered, coverage: coverage, target: target, landmarks: landmarks, factor: 1).backward()
            return rendered.gradValues
        }()
        XCTAssertGreaterThan(inside.map { abs(analytic[$0]) }.max()!, 1e-5)
        XCTAssertEqual((0..<(64 * 64 * 3)).filter { coverage.data[$0 / 3] == 0 }.map { analytic[$0] }.max()!, 0)
        let ranked = inside.sorted { abs(analytic[$0]) > abs(analytic[$1]) }.prefix(check.samplesPerInput)
        var worst = 0.0
        defer { print("L_id gradient check, worst relative error:", worst) }
        for j in ranked {
            let saved = rendered.data[j]
            func at(_ v: Float) -> Double {
                rendered.data[j] = v
                return Double(Autograd.withoutRecording {
                    loss(rendered: rendered, coverage: coverage, target: target, landmarks: landmarks, factor: 1)
                }.item)
            }
            let numeric = (at(saved + check.epsilon) - at(saved - check.epsilon)) / Double(2 * check.epsilon)
            rendered.data[j] = saved
            worst = max(worst, abs(Double(analytic[j]) - numeric) / abs(numeric))
            XCTAssertEqual(Double(analytic[j]), numeric, accuracy: check.absoluteTolerance + check.relativeTolerance * abs(numeric),
                           "L_id pixel \(j)")
        }
    }

    // MARK: Training with L_pho

    func photometricConfiguration(_ data: FaceDataset) throws -> BaseTrainingConfiguration {
        var c = try tinyConfiguration(data)
        c.encoder.regressAppearance(albedoComponents: 8)
        c.losses.photometric = 1
        c.photometricRenderFactor = 1
        return c
    }

    /// A tiny encoder trained on tiny crops with L_pho on: the photometric loss falls.
    func testPhotometricLossFallsOnATinyEncoder() throws {
        let data = try tinyDataset(6)
        var c = try photometricConfiguration(data)
        c.learningRate = 1e-2
        let trainer = try BaseTrainer(configuration: c, model: Self.model, train: data, validation: nil, albedoModel: Self.albedo)
        var losses: [Float] = []
        for _ in 0..<40 { losses.append(try XCTUnwrap(trainer.trainStep().terms.first { $0.0 == "pho" }?.1)) }
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        print("L_pho on a tiny encoder, mean of the first and last 4 steps:", first, "→", last)
        XCTAssertLessThan(last, 0.7 * first, "L_pho \(first) → \(last): \(losses)")
    }

    func testPhotometricTermsNeedAppearanceOutputs() throws {
        let data = try tinyDataset(2)
        var c = try tinyConfiguration(data)
        c.losses.photometric = 1
        XCTAssertThrowsError(try BaseTrainer(configuration: c, model: Self.model, train: data, validation: nil, albedoModel: Self.albedo))
    }

    /// `initialize(from:)` grows a trained geometry-only encoder into one that regresses α and
    /// light: β, ψ, θ and camera decode exactly as before, α is zero and the light is the mean;
    /// a file of another architecture is refused and loads nothing.
    func testInitializeGrowsAGeometryEncoderWithZeroAppearance() throws {
        let data = try tinyDataset(4)
        let geometry = try BaseTrainer(configuration: try tinyConfiguration(data), model: Self.model, train: data, validation: nil)
        for _ in 0..<3 { try geometry.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-init-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try geometry.saveModel(to: url)
        let grown = try BaseTrainer(configuration: try photometricConfiguration(data), model: Self.model, train: data,
                                    validation: nil, albedoModel: Self.albedo)
        try grown.initialize(from: url)
        let size = geometry.encoder.configuration.inputSize
        var g = SeededGenerator(seed: 5)
        let input = Tensor.uniform([2, 3, size, size], in: -1...1, using: &g)
        let (before, after) = try Autograd.withoutRecording { (try geometry.encoder(input), try grown.encoder(input)) }
        XCTAssertEqual(after.identity.values, before.identity.values)
        XCTAssertEqual(after.expression.values, before.expression.values)
        XCTAssertEqual(after.pose.values, before.pose.values)
        XCTAssertEqual(after.camera.values, before.camera.values)
        XCTAssertEqual(try XCTUnwrap(after.albedo).values, [Float](repeating: 0, count: 2 * 8))
        let mean = try XCTUnwrap(grown.encoder.configuration.meanLighting)
        XCTAssertEqual(try XCTUnwrap(after.lighting).values, mean + mean)
        // Another width: refused, nothing loaded.
        var other = try tinyConfiguration(data)
        other.encoder.vit.dim *= 2
        let wrong = try BaseTrainer(configuration: other, model: Self.model, train: data, validation: nil)
        let untouched = wrong.encoder.namedParameters.map(\.tensor.values)
        XCTAssertThrowsError(try wrong.initialize(from: url)) { XCTAssertTrue($0 is CheckpointError, "\($0)") }
        XCTAssertEqual(wrong.encoder.namedParameters.map(\.tensor.values), untouched)
    }

    // MARK: The shipped model

    /// The shipped model (fine-tuned with L_pho from a geometry-only encoder, `train-base
    /// --initialize`) regresses α and SH light after β, ψ, θ and the camera; its predictions are
    /// the decoding of its raw outputs, to the last bit.
    func testShippedModelPredictsItsDecodedRawOutputs() throws {
        let base = try BaseModel()
        let c = base.training.encoder
        XCTAssertEqual(c.albedoCount, 50)
        XCTAssertTrue(c.regressesLighting)
        XCTAssertEqual(c.meanLighting?.count, 27)
        XCTAssertEqual(c.outputCount, 47 + 52 + 15 + 3 + 50 + 27)
        XCTAssertGreaterThan(base.training.losses.photometric, 0)
        XCTAssertNotNil(base.training.initializedFrom, "fine-tuned from the geometry-only encoder")
        // Its configuration re-encodes to itself.
        let again = try JSONDecoder().decode(BaseTrainingConfiguration.self, from: JSONEncoder().encode(base.training))
        XCTAssertEqual(again, base.training)
        // A deterministic crop: raw outputs → the decoding the shipped model was trained with.
        let size = c.inputSize
        let crop = (0..<(size * size * 3)).map { UInt8(truncatingIfNeeded: ($0 * 7919 / 3) % 251) }
        let image = Image(width: size, height: size, channels: 3, pixels: crop)
        let prediction = try XCTUnwrap(base.predict([image]).first)
        let input = Tensor(uninitialized: [1, 3, size, size])
        for p in 0..<(size * size) { for k in 0..<3 { input.data[k * size * size + p] = CoarseEncoder.normalise(crop[3 * p + k]) } }
        let raw = try Autograd.withoutRecording { try base.encoder.raw(input) }.values
        XCTAssertEqual(raw.count, 194)
        XCTAssertEqual(prediction.code.identity, Array(raw[0..<47]))
        assertClose(prediction.code.expression, raw[47..<99].map { 1 / (1 + exp(-($0 - 2))) }, accuracy: 1e-6)
        XCTAssertEqual(prediction.code.pose, raw[99..<114].map { $0 * 0.25 })
        XCTAssertEqual(prediction.camera.scale, exp(raw[114] * 0.1) * c.meanScale, accuracy: 1e-3)
        XCTAssertEqual(prediction.camera.translation.x, raw[115] * 8 + c.meanTranslation[0], accuracy: 1e-4)
        XCTAssertEqual(prediction.camera.translation.y, raw[116] * 8 + c.meanTranslation[1], accuracy: 1e-4)
        let code = try base.encoder(input)
        XCTAssertEqual(try XCTUnwrap(code.albedo).values, Array(raw[117..<167]))
        assertClose(try XCTUnwrap(code.lighting).values, zip(c.meanLighting!, raw[167..<194]).map { $0 + 0.5 * $1 }, accuracy: 1e-6)
    }
}

private func assertClose(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 0, accuracy, file: file, line: line)
}
