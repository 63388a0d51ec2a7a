import Dispatch
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Render

/// `likeness albedo build`: photos → Likeness's statistical albedo model (`AlbedoModel`).
///
/// 1. Per photo: decode, pad by a fifth (tight crops), 68 landmarks (the photo's `.pts` where one
///    lies beside it, else the front end), the classical single-photo landmark fit
///    (`LandmarkFitter.fit`), and its visible skin on the d×d UV grid (`AlbedoObservation`).
///    Grey photos and photos showing under `minimumTexels` skin texels are left out.
/// 2. De-lighting, alternated `lightRounds` times from a uniform reference albedo: each photo's
///    9×3 SH light by least squares against the reference (`AlbedoObservation.light`), its albedo
///    I / shading with shadows and colour outliers dropped, the reference ← the per-texel mean.
/// 3. The domain: texels seen in at least `minimumPhotosPerTexel` of the training photos. PCA
///    with missing data over the domain (`MissingDataPCA`, K components), the basis scaled by σ.
/// 4. Outside the domain the mean and every component are pull-push filled from the domain's edge
///    (scalp, neck: plain skin continuing the face).
/// 5. Every `holdOutEvery`-th photo of each source is held out of steps 2–4 and scores the model:
///    its visible texels are split into 8×8-texel blocks on a checkerboard; α is fitted on the
///    black blocks and the RMS error measured on the white ones, against the mean alone.
public struct AlbedoModelBuilder {
    public var sources: [String]
    /// Per-source limits overriding `limitPerSource` (by the path as given in `sources`).
    public var limits: [String: Int] = [:]
    public var size = 128
    public var components = 80
    /// Photos taken from each source at most, evenly spaced through its sorted list.
    public var limitPerSource: Int?
    public var holdOutEvery = 10
    public var lightRounds = 3
    public var pcaRounds = 40
    public var padding: Float = 0.2
    public var minimumTexels = 800
    public var minimumPhotosPerTexel = 10
    let model: MorphableModel
    let frontEnd: FaceFrontEnd

    public init(sources: [String], model: MorphableModel, frontEnd: FaceFrontEnd) {
        self.sources = sources
        self.model = model
        self.frontEnd = frontEnd
    }

    enum Outcome {
        case observed(AlbedoObservation, heldOut: Bool, source: String)
        case rejected(String)
    }

    public func build(log: (String) -> Void = { _ in }) throws -> (model: AlbedoModel, report: AlbedoBuildReport) {
        let started = Date()
        var jobs: [(url: URL, source: String, heldOut: Bool)] = []
        var report = AlbedoBuildReport()
        report.size = size
        for source in sources {
            var urls = try PhotoIntake.photoURLs([source])
            if let limit = limits[source] ?? limitPerSource, urls.count > limit {
                urls = (0..<limit).map { urls[$0 * urls.count / limit] }
            }
            let name = URL(fileURLWithPath: source).lastPathComponent
            report.photosPerSource[name] = urls.count
            jobs += urls.enumerated().map { (url: $1, source: name, heldOut: holdOutEvery > 0 && $0 % holdOutEvery == holdOutEvery / 2) }
        }
        let fitter = try LandmarkFitter(model: model)
        let atlas = try UVAtlas(mesh: RenderMesh(model: model), size: size)
        let regions = atlas.regions(of: model)
        var training: [AlbedoObservation] = [], heldOut: [AlbedoObservation] = []
        let chunk = 32
        for start in stride(from: 0, to: jobs.count, by: chunk) {
            let part = Array(jobs[start..<min(start + chunk, jobs.count)])
            var outcomes = [Outcome?](repeating: nil, count: part.count)
            outcomes.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                DispatchQueue.concurrentPerform(iterations: part.count) { i in
                    base[i] = observe(part[i].url, fitter: fitter, atlas: atlas, regions: regions, heldOut: part[i].heldOut, source: part[i].source)
                }
            }
            for outcome in outcomes.compactMap({ $0 }) {
                switch outcome {
                case let .observed(obs, held, source):
                    if held { heldOut.append(obs) } else { training.append(obs) }
                    report.usedPerSource[source, default: 0] += held ? 0 : 1
                case let .rejected(code): report.rejected[code, default: 0] += 1
                }
            }
            log("observed \(min(start + chunk, jobs.count))/\(jobs.count) photos: \(training.count) training, \(heldOut.count) held out")
        }
        report.secondsObserving = Date().timeIntervalSince(started)
        guard training.count >= components + 1 else { throw AlbedoBuildError.tooFewPhotos(training.count, needed: components + 1) }

        // De-lighting against a reference albedo, alternated from a uniform one.
        let texelCount = size * size
        var reference = [Float](repeating: 0, count: 3 * texelCount)
        var overall = [Float](repeating: 0, count: 3)
        for o in training {
            for c in 0..<3 {
                var s: Float = 0
                for i in 0..<o.count { s += o.colours[3 * i + c] }
                overall[c] += s / Float(max(o.count, 1)) / Float(training.count)
            }
        }
        for t in 0..<texelCount { for c in 0..<3 { reference[3 * t + c] = overall[c] } }
        var albedos: [(texels: [Int32], values: [Float])] = []
        for round in 0..<max(1, lightRounds) {
            albedos = training.map { o in o.light(against: reference).map { o.albedo(under: $0) } ?? ([], []) }
            var sum = [Float](repeating: 0, count: 3 * texelCount), count = [Float](repeating: 0, count: texelCount)
            for a in albedos {
                for (i, t) in a.texels.enumerated() {
                    count[Int(t)] += 1
                    for c in 0..<3 { sum[3 * Int(t) + c] += a.values[3 * i + c] }
                }
            }
            let weights = count.map { Float($0 > 0 ? 1 : 0) }
            for t in 0..<texelCount where count[t] > 0 { for c in 0..<3 { sum[3 * t + c] /= count[t] } }
            reference = TextureFill.pullPush(sum, weights: weights, width: size, height: size, channels: 3)
            log("de-lighting round \(round + 1): \(count.filter { $0 > 0 }.count) texels seen")
        }

        // The domain and the data matrix over it.
        var seenBy = [Int](repeating: 0, count: texelCount)
        for a in albedos { for t in a.texels { seenBy[Int(t)] += 1 } }
        let domainTexels = (0..<texelCount).filter { seenBy[$0] >= max(minimumPhotosPerTexel, training.count / 100) }
        var column = [Int](repeating: -1, count: texelCount)
        for (k, t) in domainTexels.enumerated() { column[t] = k }
        let rows = albedos.filter { a in a.texels.filter { column[Int($0)] >= 0 }.count >= minimumTexels / 2 }
        let dimension = 3 * domainTexels.count
        var values = [Float](repeating: 0, count: rows.count * dimension), observed = [Bool](repeating: false, count: rows.count * dimension)
        var coverage: Double = 0
        for (r, a) in rows.enumerated() {
            var seen = 0
            for (i, t) in a.texels.enumerated() where column[Int(t)] >= 0 {
                seen += 1
                for c in 0..<3 {
                    values[r * dimension + 3 * column[Int(t)] + c] = a.values[3 * i + c]
                    observed[r * dimension + 3 * column[Int(t)] + c] = true
                }
            }
            coverage += Double(seen) / Double(max(domainTexels.count, 1))
        }
        let k = min(components, rows.count - 1, dimension)
        log("PCA: \(rows.count) photos × \(domainTexels.count) texels, \(k) components")
        let pcaStart = Date()
        let pca = try MissingDataPCA.fit(values: values, observed: observed, samples: rows.count, dimension: dimension,
                                         components: k, rounds: pcaRounds) { round, rms in
            if round % 10 == 0 { log(String(format: "PCA round %d: observed RMS %.4f", round, rms)) }
        }
        report.secondsPCA = Date().timeIntervalSince(pcaStart)

        // Full-grid mean and basis (σ-scaled), pull-push extended outside the domain.
        let domain = (0..<texelCount).map { Float(column[$0] >= 0 ? 1 : 0) }
        func grid(_ entry: (Int) -> Float) -> [Float] {
            var g = [Float](repeating: 0, count: 3 * texelCount)
            for (j, t) in domainTexels.enumerated() { for c in 0..<3 { g[3 * t + c] = entry(3 * j + c) } }
            return TextureFill.pullPush(g, weights: domain, width: size, height: size, channels: 3)
        }
        let mean = grid { pca.mean[$0] }
        let sigma = pca.variances.map { $0.squareRoot() }
        var basis: [Float] = []
        basis.reserveCapacity(k * 3 * texelCount)
        for a in 0..<k { basis += grid { pca.basis[$0 * k + a] * sigma[a] } }
        let residual = max(pca.history.last ?? 0.03, 1e-3)
        var albedo = try AlbedoModel(size: size, mean: mean, basis: basis, domain: domain, sigma: sigma,
                                     noiseVariance: residual * residual, head: model.info)

        report.trainingPhotos = rows.count
        report.heldOutPhotos = heldOut.count
        report.components = k
        report.domainTexels = domainTexels.count
        report.meanCoverage = Float(coverage / Double(max(rows.count, 1)))
        report.varianceExplained = [1, 5, 10, 20, 30, 50, 80, 100].filter { $0 <= k }.map { AlbedoBuildReport.Figure(components: $0, value: pca.cumulativeExplained[$0 - 1]) }
        report.observedRMS = pca.history.last ?? 0
        report.heldOut = try evaluate(albedo, heldOut)
        report.secondsTotal = Date().timeIntervalSince(started)
        albedo.metadata = report.metadata
        return (albedo, report)
    }

    /// Held-out photos de-lit against the model's mean, α fitted on half their texels
    /// (checkerboard of 8×8 blocks), RMS on the other half for several component counts (0 = mean).
    func evaluate(_ albedo: AlbedoModel, _ photos: [AlbedoObservation]) throws -> [AlbedoBuildReport.Figure] {
        let counts = [0, 10, 20, 50, albedo.componentCount].filter { $0 < albedo.componentCount } + [albedo.componentCount]
        let rms = try albedo.heldOutRMS(photos, components: counts)
        return zip(counts, rms).map { AlbedoBuildReport.Figure(components: $0, value: $1) }
    }

    /// One photo's observation, or the code of why it is left out.
    func observe(_ url: URL, fitter: LandmarkFitter, atlas: UVAtlas, regions: [UInt8], heldOut: Bool, source: String) -> Outcome {
        let photo: Image
        do { photo = try ImageDecoder.decode(contentsOf: url) } catch { return .rejected("unreadable-image") }
        guard photo.channels >= 3 else { return .rejected("greyscale") }
        let pad = Int((Float(max(photo.width, photo.height)) * padding).rounded())
        let padded = photo.padded(by: pad)
        let ptsURL = url.deletingPathExtension().appendingPathExtension("pts")
        var landmarks = (try? PtsFormat.read(contentsOf: ptsURL))?.map { Point2($0.x + Float(pad), $0.y + Float(pad)) }
        if landmarks == nil {
            do { landmarks = try frontEnd.locate(in: padded).landmarks } catch let r as FaceRejection { return .rejected(r.code) } catch {
                return .rejected("unusable-photo")
            }
        }
        guard let points = landmarks else { return .rejected("no-face") }
        do {
            let fit = try fitter.fit(FitTargets(points))
            let mesh = try RenderMesh(model: model, positions: fitter.evaluator.evaluate(fit.code).vertices)
            let obs = try AlbedoObservation.extract(name: "\(source)/\(url.lastPathComponent)", photo: padded, landmarks: points,
                                                    mesh: mesh, camera: fit.camera, atlas: atlas, regions: regions)
            if obs.isGreyscale { return .rejected("greyscale") }
            if obs.count < minimumTexels { return .rejected("too-little-skin") }
            return .observed(obs, heldOut: heldOut, source: source)
        } catch {
            return .rejected("fit-failed")
        }
    }
}

/// The figures of an albedo build (`<output>.report.json`, and the model's metadata).
public struct AlbedoBuildReport: Codable, Sendable {
    public struct Figure: Codable, Sendable {
        public var components: Int
        public var value: Float
    }
    public var size = 0
    public var components = 0
    public var photosPerSource: [String: Int] = [:]
    public var usedPerSource: [String: Int] = [:]
    public var rejected: [String: Int] = [:]
    public var trainingPhotos = 0
    public var heldOutPhotos = 0
    public var domainTexels = 0
    /// Mean fraction of the domain a training photo sees.
    public var meanCoverage: Float = 0
    /// Cumulative fraction of the (imputed) variance explained by the first k components.
    public var varianceExplained: [Figure] = []
    /// RMS over the training photos' observed entries after the last PCA round.
    public var observedRMS: Float = 0
    /// Held-out RMS error (albedo units, 0…1) on unseen texel blocks with k components (k = 0: the mean).
    public var heldOut: [Figure] = []
    public var secondsObserving: Double = 0
    public var secondsPCA: Double = 0
    public var secondsTotal: Double = 0

    var metadata: [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        return ["report": json, "model-version": "1.0.0"]
    }
}

public enum AlbedoBuildError: Error, CustomStringConvertible {
    case tooFewPhotos(Int, needed: Int)
    public var description: String {
        switch self {
        case let .tooFewPhotos(n, needed): return "only \(n) usable training photos; the model needs at least \(needed)"
        }
    }
}
