import XCTest
import Checksum
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Render
import ShippedModels
import Tensor
@testable import Reconstruction

final class AlbedoModelTests: XCTestCase {
    /// Rank-5 data (plus 1 % noise) with 40 % of the entries missing: the missing-data PCA finds
    /// the subspace (mean squared cosine of the principal angles > 0.99) and imputes the missing
    /// entries to within a few times the noise, far better than the column means do.
    func testMissingDataPCARecoversLowRankSubspace() throws {
        let n = 200, d = 120, rank = 5
        var g = SeededGenerator(seed: 7)
        var truthBasis = (0..<(d * rank)).map { _ in g.normal() }
        MissingDataPCA.orthonormaliseColumns(&truthBasis, rows: d, columns: rank)
        let offsets = (0..<d).map { _ in 0.5 + 0.1 * g.normal() }
        var clean = [Float](repeating: 0, count: n * d), values = clean, observed = [Bool](repeating: false, count: n * d)
        for i in 0..<n {
            let z = (0..<rank).map { k in Float(5 - k) * g.normal() }
            for j in 0..<d {
                var v = offsets[j]
                for k in 0..<rank { v += truthBasis[j * rank + k] * z[k] }
                clean[i * d + j] = v
                values[i * d + j] = v + 0.01 * g.normal()
                observed[i * d + j] = Double.random(in: 0..<1, using: &g) > 0.4
            }
        }
        let pca = try MissingDataPCA.fit(values: values, observed: observed, samples: n, dimension: d, components: rank, rounds: 150)
        var cos2: Float = 0
        for a in 0..<rank { for b in 0..<rank {
            var dot: Float = 0
            for j in 0..<d { dot += truthBasis[j * rank + a] * pca.basis[j * rank + b] }
            cos2 += dot * dot
        } }
        XCTAssertGreaterThan(cos2 / Float(rank), 0.99)
        XCTAssertEqual(pca.cumulativeExplained.last!, 1, accuracy: 0.01)
        XCTAssertTrue(pca.variances == pca.variances.sorted(by: >))
        XCTAssertLessThan(pca.history.last!, pca.history.first!)
        // Imputation of the missing entries from the observed ones of each row.
        var modelError: Float = 0, meanError: Float = 0, missing = 0
        for i in 0..<n {
            var h = [[Double]](repeating: [Double](repeating: 0, count: rank), count: rank), r = [Double](repeating: 0, count: rank)
            for j in 0..<d where observed[i * d + j] {
                for a in 0..<rank {
                    r[a] += Double(pca.basis[j * rank + a] * (values[i * d + j] - pca.mean[j]))
                    for b in 0..<rank { h[a][b] += Double(pca.basis[j * rank + a] * pca.basis[j * rank + b]) }
                }
            }
            var m = SymmetricMatrix(size: rank)
            for a in 0..<rank { for b in 0..<rank { m[a, b] = h[a][b] } }
            let z = m.solve(r)!
            for j in 0..<d where !observed[i * d + j] {
                var v = pca.mean[j]
                for a in 0..<rank { v += pca.basis[j * rank + a] * Float(z[a]) }
                modelError += (v - clean[i * d + j]) * (v - clean[i * d + j])
                meanError += (pca.mean[j] - clean[i * d + j]) * (pca.mean[j] - clean[i * d + j])
                missing += 1
            }
        }
        let rmsModel = (modelError / Float(missing)).squareRoot(), rmsMean = (meanError / Float(missing)).squareRoot()
        XCTAssertLessThan(rmsModel, 0.03)
        XCTAssertLessThan(rmsModel, 0.02 * rmsMean)
    }

    /// The shipped model: its file hash is the recorded one, it pairs with the embedded head it was
    /// built in and refuses another head, and its shape is the card's.
    func testShippedModelLoadsAndHashMatches() throws {
        let url = try XCTUnwrap(ShippedModels.albedoModelURL, "the albedo model ships")
        XCTAssertEqual(try SHA256.hex(fileAt: url), ShippedModels.albedoModelSHA256)
        let albedo = try AlbedoModel.load(contentsOf: url)
        XCTAssertEqual(albedo.size, 128)
        XCTAssertTrue((50...100).contains(albedo.componentCount))
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int, 10 << 20)
        let head = EmbeddedHead.make()
        XCTAssertEqual(albedo.headHash, head.info.contentHash)
        XCTAssertNoThrow(try albedo.checkPairs(with: head))
        XCTAssertThrowsError(try albedo.checkPairs(with: SyntheticFace.model())) { error in
            guard case AlbedoModelError.headMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertNotNil(AlbedoModel.shipped(for: head).model)
        XCTAssertNil(AlbedoModel.shipped(for: SyntheticFace.model()).model)
        // A plausible skin mean on the domain, variances decreasing.
        let mean = try albedo.evaluate([])
        let domain = albedo.domain.indices.filter { albedo.domain[$0] > 0 }
        XCTAssertGreaterThan(domain.count, 3000)
        let red = domain.map { mean.data[3 * $0] }.reduce(0, +) / Float(domain.count)
        let blue = domain.map { mean.data[3 * $0 + 2] }.reduce(0, +) / Float(domain.count)
        XCTAssertGreaterThan(red, blue + 0.05, "skin is redder than it is blue")
        XCTAssertTrue(albedo.sigma == albedo.sigma.sorted(by: >))
    }

    /// Write → load keeps the model (F16 rounding) and the masked fit recovers α of a texture the
    /// model generated from half its texels, predicting the other half far better than the mean.
    func testRoundTripAndMaskedFitOfGeneratedTexture() throws {
        let albedo = try AlbedoModel.load(contentsOf: try XCTUnwrap(ShippedModels.albedoModelURL))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("albedo-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try albedo.write(to: url)
        let again = try AlbedoModel.load(contentsOf: url)
        XCTAssertEqual(again.basis, albedo.basis)
        XCTAssertEqual(again.headHash, albedo.headHash)
        var g = SeededGenerator(seed: 3)
        let alpha = (0..<albedo.componentCount).map { _ in g.normal() }
        let truth = try albedo.evaluate(alpha)
        let d = albedo.size
        let half = (0..<(d * d)).map { t -> Float in albedo.domain[t] > 0 && ((t % d) / 8 + (t / d) / 8) % 2 == 0 ? 1 : 0 }
        let fitted = try albedo.evaluate(try albedo.fit(truth, mask: half, regularisation: 1e-5))
        let mean = try albedo.evaluate([])
        var e = 0.0, e0 = 0.0
        for t in 0..<(d * d) where albedo.domain[t] > 0 && half[t] == 0 {
            for c in 0..<3 {
                e += Double(pow(fitted.data[3 * t + c] - truth.data[3 * t + c], 2))
                e0 += Double(pow(mean.data[3 * t + c] - truth.data[3 * t + c], 2))
            }
        }
        XCTAssertLessThan(e, 0.05 * e0)
    }

    /// The fit about a prior α₀ is the MAP estimate of Σ w|T − A(α)|² + λ|α − α₀|²: with nothing
    /// seen it is α₀; otherwise no step along a component lowers that objective; and a heavy prior
    /// holds it at α₀ while a light one follows the texture as the unprimed fit does.
    func testFitAboutAPriorMinimisesTheMAPObjective() throws {
        let albedo = try AlbedoModel.load(contentsOf: try XCTUnwrap(ShippedModels.albedoModelURL))
        var g = SeededGenerator(seed: 11)
        let truth = try albedo.evaluate((0..<albedo.componentCount).map { _ in g.normal() })
        let prior = (0..<50).map { _ in g.normal() }
        let d = albedo.size
        let none = [Float](repeating: 0, count: d * d)
        XCTAssertEqual(try albedo.fit(truth, mask: none, prior: prior), prior + [Float](repeating: 0, count: albedo.componentCount - 50))

        let half = (0..<(d * d)).map { t -> Float in albedo.domain[t] > 0 && (t % d) < d / 2 ? 1 : 0 }
        let lambda: Float = 0.05
        let fitted = try albedo.fit(truth, mask: half, regularisation: lambda, prior: prior)
        let (values, weights) = try albedo.downsample(truth, mask: half)
        let alpha0 = prior + [Float](repeating: 0, count: albedo.componentCount - 50)
        func objective(_ a: [Float]) throws -> Double {
            let t = try albedo.evaluate(a).data
            var e = 0.0
            for p in 0..<(d * d) where weights[p] > 0 { for c in 0..<3 { e += Double(weights[p]) * Double(pow(t[3 * p + c] - values[3 * p + c], 2)) } }
            return e + Double(lambda) * zip(a, alpha0).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +)
        }
        let best = try objective(fitted)
        for k in [0, 7, 49, albedo.componentCount - 1] {
            for step: Float in [-0.05, 0.05] {
                var a = fitted
                a[k] += step
                XCTAssertGreaterThan(try objective(a), best, "component \(k), step \(step)")
            }
        }
        let heavy = try albedo.fit(truth, mask: half, regularisation: 1e9, prior: prior)
        XCTAssertEqual(Double(zip(heavy, alpha0).map { abs($0 - $1) }.max()!), 0, accuracy: 1e-3)
        let light = try albedo.fit(truth, mask: half, regularisation: 1e-6, prior: prior)
        let plain = try albedo.fit(truth, mask: half, regularisation: 1e-6)
        let lightTexture = try albedo.evaluate(light).data, plainTexture = try albedo.evaluate(plain).data
        let gap = zip(lightTexture, plainTexture).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(gap, 0.01, "a vanishing prior leaves the fitted texture as the unprimed fit")
    }

    /// Real held-out photos (UTKFace files the shipped build did not take: it took every 9.78th):
    /// α fitted to half of a photo's de-lit skin predicts the other half better than the mean.
    func testFittingHeldOutPhotoBeatsTheMean() throws {
        let folder = URL(fileURLWithPath: ReconstructionShared.root).appendingPathComponent("data/faces-utk")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".jpg") }.sorted()
        guard names.count > 100 else { throw XCTSkip("\(folder.path) is absent (set LIKENESS_SHARED)") }
        let albedo = try AlbedoModel.load(contentsOf: try XCTUnwrap(ShippedModels.albedoModelURL))
        let head = EmbeddedHead.make()
        let fitter = try LandmarkFitter(model: head)
        let atlas = try UVAtlas(mesh: RenderMesh(model: head), size: albedo.size)
        let regions = atlas.regions(of: head)
        let frontEnd = try FaceFrontEnd.standard()
        var e = 0.0, e0 = 0.0, photos = 0
        for index in [5, 6, 7, 25, 45] {
            let photo = try ImageDecoder.decode(contentsOf: folder.appendingPathComponent(names[index])).padded(by: 40)
            guard let landmarks = try? frontEnd.locate(in: photo).landmarks else { continue }
            let fit = try fitter.fit(FitTargets(landmarks))
            let mesh = try RenderMesh(model: head, positions: fitter.evaluator.evaluate(fit.code).vertices)
            let obs = try AlbedoObservation.extract(name: names[index], photo: photo, landmarks: landmarks, mesh: mesh,
                                                    camera: fit.camera, atlas: atlas, regions: regions)
            guard obs.count > 500, let light = obs.light(against: albedo.mean) else { continue }
            let a = obs.albedo(under: light)
            let d = albedo.size
            var data = albedo.mean, mask = [Float](repeating: 0, count: d * d), test: [(Int, [Float])] = []
            for (i, t32) in a.texels.enumerated() where albedo.domain[Int(t32)] > 0 {
                let t = Int(t32), v = Array(a.values[(3 * i)..<(3 * i + 3)])
                if ((t % d) / 8 + (t / d) / 8) % 2 == 0 { mask[t] = 1; for c in 0..<3 { data[3 * t + c] = v[c] } } else { test.append((t, v)) }
            }
            let fitted = try albedo.evaluate(try albedo.fit(TextureMap(width: d, height: d, channels: 3, data: data), mask: mask))
            for (t, v) in test { for c in 0..<3 {
                e += Double(pow(fitted.data[3 * t + c] - v[c], 2)); e0 += Double(pow(albedo.mean[3 * t + c] - v[c], 2))
            } }
            photos += 1
        }
        XCTAssertGreaterThanOrEqual(photos, 3)
        XCTAssertLessThan(e, 0.6 * e0, "held-out RMS \((e / e0).squareRoot()) of the mean's")
    }
}

enum ReconstructionShared {
    static var root: String {
        if let env = ProcessInfo.processInfo.environment["LIKENESS_SHARED"] { return env }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
    }
}
