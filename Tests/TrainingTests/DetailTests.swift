import FaceDetect
import FaceModel
import Foundation
import Imaging
import Networks
import Reconstruction
import Render
import Tensor
import XCTest
@testable import Training

/// The detail half of the training room (§3.3): the displacement input of the renderer and every
/// detail loss against finite differences, the dataset round trip, a teacher whose photometric
/// loss falls below the coarse face's, a student step with the teacher frozen, and the rig.
final class DetailTests: XCTestCase {
    static let model = TrainingRecipeTests.model
    static let uv = try! DetailUV(model: model, size: 32)

    func assertGradients(_ name: String, _ check: GradientCheck, _ inputs: [Tensor], _ f: () -> Tensor,
                         file: StaticString = #filePath, line: UInt = #line) {
        let (mismatches, compared) = check.run(inputs, f)
        XCTAssertGreaterThan(compared, 0, file: file, line: line)
        XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.prefix(5))", file: file, line: line)
    }

    /// A smooth random displacement `[B, 1, d, d]` of a few millimetres on the face domain.
    func displacement(batch: Int, size: Int, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let phase = (0..<4).map { _ in Float.random(in: 0..<6, using: &g) }
        var values: [Float] = []
        for b in 0..<batch {
            for y in 0..<size {
                for x in 0..<size {
                    values.append(0.002 * sin(Float(x) * 0.7 + phase[b % 4]) * cos(Float(y) * 0.5 + phase[(b + 1) % 4]))
                }
            }
        }
        return Tensor(values, shape: [batch, 1, size, size], requiresGrad: true)
    }

    /// ∂(Σ w ⊙ I_r)/∂D at fixed visibility against central differences, for the neutral head in two
    /// light settings (the bump-mapped normals of `Renderer`, through `MeshRendering`).
    func testDisplacementRenderGradientMatchesFiniteDifferences() throws {
        let model = Self.model
        let rest = try model.evaluate(.neutral(for: model)).vertices
        let rendering = try MeshRendering(model: model, width: 48, height: 48)
        let cam = OrthoCamera.framing(positions: rest, width: 48, height: 48, fill: 0.9)
        let vertices = Tensor(rest + rest, shape: [2, model.vertexCount, 3])
        let camera = Tensor([cam.scale, cam.translation.x, cam.translation.y, cam.scale, cam.translation.x, cam.translation.y], shape: [2, 3])
        let light = (0..<54).map { i -> Float in (i % 27) < 3 ? 1.5 : 0.4 * sin(Float(i) * 1.3) }
        let lighting = Tensor(light, shape: [2, 27])
        let albedo = Tensor([Float](repeating: 0.6, count: 2 * 8 * 8 * 3), shape: [2, 8, 8, 3])
        let d = displacement(batch: 2, size: 32, seed: 3)
        let first = rendering(vertices: vertices, camera: camera, lighting: lighting, albedo: albedo, displacement: d)
        let flat = rendering(vertices: vertices, camera: camera, lighting: lighting, albedo: albedo)
        XCTAssertGreaterThan(zip(first.image.values, flat.image.values).map { abs($0 - $1) }.max() ?? 0, 1e-3,
                             "the displacement changes the shading")
        var check = GradientCheck()
        check.epsilon = 2e-4
        check.samplesPerInput = 48
        check.relativeTolerance = 5e-2
        check.absoluteTolerance = 5e-2
        assertGradients("render ∂/∂D", check, [d]) {
            rendering(vertices: vertices, camera: camera, lighting: lighting, albedo: albedo, displacement: d,
                      fixedVisibility: first.visibility).image
        }
    }

    /// L_smo, L_regD, L_sym and L_Tchr (Eq. 5) against central differences.
    func testDetailLossGradientsMatchFiniteDifferences() {
        let uv = Self.uv, maximum: Float = 0.01
        // Ramps plus ripples: every neighbour, mirror and teacher difference and every value stays
        // ≥ 0.2 mm from zero, away from the L1 kinks that finite differences straddle.
        var values: [Float] = []
        for b in 0..<2 { for y in 0..<32 { for x in 0..<32 {
            values.append(0.0004 + 0.0005 * Float(x) + 0.0004 * Float(y) + 0.00005 * sin(Float(x * y + b)))
        } } }
        let d = Tensor(values, shape: [2, 1, 32, 32], requiresGrad: true)
        let teacher = Tensor(values.map { 0.5 * $0 - 0.0002 }, shape: [2, 1, 32, 32])
        var check = GradientCheck()
        check.epsilon = 2e-5
        check.samplesPerInput = 64
        check.relativeTolerance = 5e-2
        check.absoluteTolerance = 1e-3
        // Entries of the domain only: outside it L_smo, L_regD and L_sym do not see D.
        assertGradients("L_smo", check, [d]) { detailSmoothnessLoss(d * uv.domainTensor, uv: uv, maximum: maximum) }
        assertGradients("L_regD", check, [d]) { detailRegularisationLoss(d * uv.domainTensor, uv: uv, maximum: maximum) }
        assertGradients("L_sym", check, [d]) { detailSymmetryLoss(d, uv: uv, maximum: maximum) }
        // L_Tchr's SSIM is a mean of ~2000 windows in Float32: a larger step keeps its change above rounding.
        check.epsilon = 2e-4
        assertGradients("L_Tchr", check, [d]) { teacherStudentLoss(d, teacher: teacher, maximum: maximum) }
        // Values: L_regD is the mean |d| on the domain; identical maps have zero L_Tchr.
        let constant = Tensor([Float](repeating: 0.005, count: 32 * 32), shape: [1, 1, 32, 32]) * uv.domainTensor
        XCTAssertEqual(detailRegularisationLoss(constant, uv: uv, maximum: maximum).item, 0.5, accuracy: 1e-5)
        XCTAssertEqual(detailSmoothnessLoss(constant, uv: uv, maximum: maximum).item, 0, accuracy: 1e-6)
        XCTAssertEqual(teacherStudentLoss(teacher, teacher: teacher, maximum: maximum).item, 0, accuracy: 1e-5)
        XCTAssertGreaterThan(uv.mirrorPairs.count, 100, "the face has mirror texels")
    }

    /// A small detail dataset of `../shared/data/sequences/obama` frames (skips without the data).
    static func obamaDetails(_ count: Int) throws -> DetailDataset {
        let folder = try sharedData("data/sequences/obama")
        let frontEnd = try FaceFrontEnd.standard()
        let (albedo, why) = AlbedoModel.shipped(for: model)
        guard let albedo else { throw XCTSkip("no albedo model: \(why ?? "")") }
        let builder = try DetailDatasetBuilder(model: model, frontEnd: frontEnd, base: try BaseModel(), albedo: albedo)
        let urls = Array(try PhotoIntake.photoURLs([folder.path]).prefix(count))
        let faces = builder.prepare(PhotoIntake.locate(urls, frontEnd: frontEnd).located, person: "obama")
        return builder.dataset(faces, sources: [folder.path: [urls.count, faces.count]], albedoModelHash: "test")
    }

    /// Build → write → read gives the same samples and arrays; inputs and targets have the
    /// documented ranges; the face is mostly seen and its tension bounded (Eq. 3).
    func testDetailDatasetRoundTrip() throws {
        let data = try Self.obamaDetails(4)
        XCTAssertEqual(data.count, 4)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-details-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try data.write(to: dir)
        let read = try DetailDataset(directory: dir)
        XCTAssertEqual(read.uv, data.uv)
        XCTAssertEqual(read.tension, data.tension)
        XCTAssertEqual(read.target, data.target)
        XCTAssertEqual(read.manifest.samples.map(\.name), data.manifest.samples.map(\.name))
        XCTAssertTrue(data.manifest.samples.allSatisfy { $0.visibleSkin > 0.5 && $0.light.count == 27 && $0.albedo.count == 80 })
        XCTAssertTrue(data.tension.allSatisfy { $0 > -1 && $0 < 1 })
        let x = data.inputs([0, 1], textureFrom: [1, 0])
        XCTAssertEqual(x.shape, [2, 5, 128, 128])
        let d2 = 128 * 128
        // The swap moves texture and visibility, never the tension.
        XCTAssertEqual(Array(x.values[(4 * d2)..<(5 * d2)]), Array(data.tension[0..<d2]))
        XCTAssertEqual(Array(x.values[0..<d2]), Array(data.inputs([1]).values[0..<d2]))
        XCTAssertThrowsError(try DetailDataset(directory: dir.appendingPathComponent("missing")))
    }

    /// A small teacher trained a few steps on four frames: its details make the renders of those
    /// frames closer to the photos than the coarse face alone (L_phoD falls below the D = 0 value),
    /// and training resumes from a checkpoint at the same step with the same weights.
    func testTeacherLearnsDetailsThatLowerThePhotometricLoss() throws {
        let data = try Self.obamaDetails(4)
        var c = DetailTrainingConfiguration(stage: .teacher)
        c.network.teacherChannels = 8
        c.network.teacherLevels = 2
        c.batchSize = 4
        c.steps = 30
        c.warmupSteps = 3
        c.learningRate = 1e-3
        let (albedo, _) = AlbedoModel.shipped(for: Self.model)
        let trainer = try DetailTrainer(configuration: c, model: Self.model, albedoModel: albedo!, train: data, validation: data)
        let before = try XCTUnwrap(trainer.validate())
        XCTAssertEqual(before.withDetails, before.withoutDetails, accuracy: 1e-6, "the teacher starts at D = 0")
        for _ in 0..<30 { try trainer.trainStep() }
        let after = try XCTUnwrap(trainer.validate())
        print("teacher on 4 frames: L_phoD \(before.withoutDetails) → \(after.withDetails), mean |d| \(after.meanDisplacement)")
        XCTAssertLessThan(after.withDetails, after.withoutDetails - 2e-4)
        XCTAssertGreaterThan(after.meanDisplacement, 1e-4)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-teacher-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try trainer.saveCheckpoint(to: url)
        let resumed = try DetailTrainer(configuration: c, model: Self.model, albedoModel: albedo!, train: data, validation: data)
        try resumed.resume(from: url)
        XCTAssertEqual(resumed.step, 30)
        XCTAssertEqual(resumed.network.parameters.map(\.values), trainer.network.parameters.map(\.values))

        // The student stage: L_animD with every term, the teacher frozen and unchanged.
        let model = url.deletingPathExtension().appendingPathExtension("model.safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: model) }
        try trainer.saveModel(to: model)
        let teacher = try XCTUnwrap(try DetailModel(contentsOf: model, model: Self.model).teacher)
        let teacherWeights = teacher.parameters.map(\.values)
        var s = DetailTrainingConfiguration(stage: .student)
        s.network = c.network
        s.network.encoderDim = 32
        s.network.encoderDepth = 1
        s.network.encoderHeads = 2
        s.network.decoderDim = 32
        s.network.decoderDepth = 1
        s.network.decoderHeads = 2
        s.network.patchSize = 16
        s.batchSize = 4
        s.steps = 4
        let student = try DetailTrainer(configuration: s, model: Self.model, albedoModel: albedo!, train: data, validation: data,
                                        teacher: teacher)
        let (terms, norm) = try student.trainStep()
        XCTAssertEqual(Set(terms.map(\.0)), ["phoD", "smo", "regD", "Tchr", "sym", "dc"])
        XCTAssertTrue(terms.allSatisfy { $0.1.isFinite } && norm.isFinite && norm > 0)
        XCTAssertGreaterThan(terms.first { $0.0 == "Tchr" }!.1, 0, "the untrained student differs from the teacher")
        XCTAssertEqual(teacher.parameters.map(\.values), teacherWeights)
    }
}

extension DetailUV {
    /// M_UV as `[1, 1, d, d]`.
    var domainTensor: Tensor { Tensor(domain, shape: [1, 1, size, size]) }
}
