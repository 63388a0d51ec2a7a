import Checksum
import Foundation
import FaceModel
import Imaging
import Render
import ShippedModels
import Tensor

/// Likeness's own statistical albedo space (issue 13 item 3): a linear model of skin reflectance
/// in the embedded head's UV layout, built from in-the-wild photos by `AlbedoModelBuilder`.
///
///     A(α) = μ + Σₖ αₖ σₖ uₖ,   α ~ N(0, I)
/// on a d×d×3 grid (texel (i, j) row-major, RGB, the `TextureMap` layout), with uₖ the principal
/// directions and σₖ² their variances. `basis` stores σₖ uₖ, so α is in standard deviations.
/// Texels outside `domain` (where no training photo showed skin: scalp, neck, the back, the eyes)
/// carry a smooth pull-push extension of the mean and of each component from the domain's edge,
/// so a fitted A(α) continues as plain skin there.
///
/// The model is bound to one head: its metadata records the head's name, version and content
/// hash (`ModelInfo.contentHash`), and `checkPairs(with:)` refuses any other head, since a UV
/// layout that moved by a texel makes the model meaningless.
public struct AlbedoModel: Sendable {
    public static let formatName = "likeness-albedo"
    public let size: Int
    public let componentCount: Int
    /// d·d·3.
    public let mean: [Float]
    /// K × d·d·3, component-major, each row σₖ uₖ.
    public let basis: [Float]
    /// d·d, 1 on texels with training data, 0 elsewhere.
    public let domain: [Float]
    /// K standard deviations σₖ.
    public let sigma: [Float]
    /// Per-entry variance of what the model does not explain (held-out residual), the MAP fit's λ.
    public let noiseVariance: Float
    public let headName: String
    public let headVersion: String
    public let headHash: String
    /// Everything else recorded with the model (recipe, figures).
    public var metadata: [String: String]

    public var entryCount: Int { size * size * 3 }

    public init(size: Int, mean: [Float], basis: [Float], domain: [Float], sigma: [Float], noiseVariance: Float,
                head: ModelInfo, metadata: [String: String] = [:]) throws {
        let k = sigma.count
        guard size > 0, mean.count == size * size * 3, basis.count == k * size * size * 3, domain.count == size * size else {
            throw AlbedoModelError.invalidFile("arrays do not match a \(size)² grid with \(k) components")
        }
        self.size = size
        componentCount = k
        self.mean = mean
        self.basis = basis
        self.domain = domain
        self.sigma = sigma
        self.noiseVariance = noiseVariance
        headName = head.name
        headVersion = head.version
        headHash = head.contentHash
        self.metadata = metadata
    }

    /// Refuses a head other than the one the model was built in.
    public func checkPairs(with model: MorphableModel) throws {
        guard model.info.contentHash == headHash else {
            throw AlbedoModelError.headMismatch(expected: "\(headName) \(headVersion) sha256:\(headHash)",
                                                found: "\(model.info.name) \(model.info.version) sha256:\(model.info.contentHash)")
        }
    }

    /// A(α) on the model grid (d×d×3); α may be shorter than K (the rest taken as 0).
    public func evaluate(_ alpha: [Float]) throws -> TextureMap {
        var out = mean
        for (k, a) in alpha.prefix(componentCount).enumerated() where a != 0 {
            let row = k * entryCount
            basis.withUnsafeBufferPointer { b in for e in 0..<entryCount { out[e] += a * b[row + e] } }
        }
        return try TextureMap(width: size, height: size, channels: 3, data: out)
    }

    /// A(α) resampled bilinearly to a side×side texture.
    public func evaluate(_ alpha: [Float], side: Int) throws -> TextureMap {
        let grid = try evaluate(alpha)
        if side == size { return grid }
        var data = [Float](repeating: 0, count: side * side * 3)
        for j in 0..<side {
            for i in 0..<side {
                let s = grid.sample(u: (Float(i) + 0.5) / Float(side), v: 1 - (Float(j) + 0.5) / Float(side))
                for c in 0..<3 { data[3 * (j * side + i) + c] = s[c] }
            }
        }
        return try TextureMap(width: side, height: side, channels: 3, data: data)
    }

    /// The MAP α for a partial texture: min Σₜ mₜ |Tₜ − A(α)ₜ|² + λ |α − α₀|², λ = `noiseVariance`
    /// by default (the Gaussian prior of α against the model's residual noise). α₀ is `prior` (a
    /// network's regressed α, in standard deviations; missing components 0), or 0, the model's mean.
    /// `texture` is any side ≥ d (box-averaged to the model grid over its masked texels, a grid texel
    /// counting when at least half its footprint is masked); `mask` its side² weights in [0, 1].
    /// With nothing masked the answer is α₀.
    public func fit(_ texture: TextureMap, mask: [Float], components: Int? = nil, regularisation: Float? = nil,
                    prior: [Float]? = nil) throws -> [Float] {
        let (values, weights) = try downsample(texture, mask: mask)
        let k = min(components ?? componentCount, componentCount)
        let alpha0 = (0..<componentCount).map { $0 < (prior?.count ?? 0) ? prior![$0] : 0 }
        var rows: [Int] = []
        for t in 0..<(size * size) where weights[t] > 0 { for c in 0..<3 { rows.append(3 * t + c) } }
        guard !rows.isEmpty, k > 0 else { return alpha0 }
        // Gathered design matrix G (M×k) with √w rows, and the residual r = √w (T − μ − Bα₀):
        // solving for δ = α − α₀ makes the prior's centre α₀ and leaves components beyond k at α₀.
        var priorTexture = [Float](repeating: 0, count: entryCount)
        for c in 0..<componentCount where alpha0[c] != 0 {
            for entry in 0..<entryCount { priorTexture[entry] += alpha0[c] * basis[c * entryCount + entry] }
        }
        let m = rows.count
        var g = [Float](repeating: 0, count: m * k), r = [Float](repeating: 0, count: m)
        for (e, entry) in rows.enumerated() {
            let w = weights[entry / 3].squareRoot()
            r[e] = w * (values[entry] - mean[entry] - priorTexture[entry])
            for a in 0..<k { g[e * k + a] = w * basis[a * entryCount + entry] }
        }
        var normal = [Float](repeating: 0, count: k * k), rhs = [Float](repeating: 0, count: k)
        gemm(g, g, &normal, m: k, n: k, k: m, transposeA: true)
        gemm(g, r, &rhs, m: k, n: 1, k: m, transposeA: true)
        var h = SymmetricMatrix(size: k)
        let lambda = Double(regularisation ?? noiseVariance)
        for a in 0..<k { for b in 0..<k { h[a, b] = Double(normal[a * k + b]) }; h[a, a] += lambda }
        let delta = h.solve(rhs.map(Double.init)) ?? [Double](repeating: 0, count: k)
        return (0..<componentCount).map { a in alpha0[a] + (a < k ? Float(delta[a]) : 0) }
    }

    /// Box average of a masked texture onto the model grid: (values d·d·3, weights d·d).
    public func downsample(_ texture: TextureMap, mask: [Float]) throws -> (values: [Float], weights: [Float]) {
        let side = texture.width
        guard texture.height == side, side >= size, mask.count == side * side, texture.channels >= 3 else {
            throw AlbedoModelError.invalidTexture("need a square RGB texture of side ≥ \(size) with one mask value per texel (got \(texture.width)×\(texture.height)×\(texture.channels), \(mask.count) mask values)")
        }
        var sum = [Float](repeating: 0, count: size * size * 3), weight = [Float](repeating: 0, count: size * size)
        var footprint = [Float](repeating: 0, count: size * size)
        let ch = texture.channels
        for y in 0..<side {
            let gy = y * size / side
            for x in 0..<side {
                let t = gy * size + x * size / side, s = y * side + x
                footprint[t] += 1
                let w = mask[s]
                guard w > 0 else { continue }
                weight[t] += w
                for c in 0..<3 { sum[3 * t + c] += w * texture.data[s * ch + c] }
            }
        }
        var values = mean
        for t in 0..<(size * size) where weight[t] > 0 {
            for c in 0..<3 { values[3 * t + c] = sum[3 * t + c] / weight[t] }
        }
        let weights = (0..<(size * size)).map { t -> Float in
            let coverage = footprint[t] > 0 ? weight[t] / footprint[t] : 0
            return coverage >= 0.5 ? min(1, coverage) : 0
        }
        return (values, weights)
    }

    /// A contact sheet of the model: the mean, then mean ± 2σₖuₖ for the first `components`
    /// components, each texture scaled to `tile` pixels (for the model card).
    public func previewSheet(components: Int = 4, tile: Int = 256) throws -> Image {
        var tiles = [try evaluate([])]
        for k in 0..<min(components, componentCount) {
            for sign: Float in [-2, 2] {
                var alpha = [Float](repeating: 0, count: componentCount)
                alpha[k] = sign
                tiles.append(try evaluate(alpha))
            }
        }
        return Preview.contactSheet(tiles.map { $0.image().resized(width: tile, height: tile) }, gap: 4)
    }

    // MARK: File

    /// Reads a model written by `write(to:)`.
    public static func load(contentsOf url: URL) throws -> AlbedoModel {
        let file = try SafeTensorsFile.read(contentsOf: url)
        var meta = file.metadata ?? [:]
        meta["file-sha256"] = try SHA256.hex(fileAt: url)
        guard meta["format"] == formatName else { throw AlbedoModelError.invalidFile("\(url.lastPathComponent) is not a \(formatName) file") }
        guard let mean = file["mean"], let basis = file["basis"], let domain = file["domain"], let sigma = file["sigma"],
              mean.shape.count == 3, mean.shape[0] == mean.shape[1], mean.shape[2] == 3 else {
            throw AlbedoModelError.invalidFile("\(url.lastPathComponent) lacks mean/basis/domain/sigma")
        }
        let head = ModelInfo(name: meta["head-name"] ?? "", version: meta["head-version"] ?? "",
                             contentHash: meta["head-sha256"] ?? "", licence: "", source: "")
        return try AlbedoModel(size: mean.shape[0], mean: try mean.floats(), basis: try basis.floats(),
                               domain: try domain.floats(), sigma: try sigma.floats(),
                               noiseVariance: Float(meta["noise-variance"] ?? "") ?? 1e-3, head: head, metadata: meta)
    }

    /// Writes the model as safetensors: mean, basis, domain in F16, σ in F32; head and recipe in the metadata.
    public func write(to url: URL) throws {
        let d = size
        var meta = metadata
        meta["file-sha256"] = nil
        meta["format"] = Self.formatName
        meta["head-name"] = headName
        meta["head-version"] = headVersion
        meta["head-sha256"] = headHash
        meta["size"] = "\(d)"
        meta["components"] = "\(componentCount)"
        meta["noise-variance"] = "\(noiseVariance)"
        let file = try SafeTensorsFile(tensors: [
            "mean": try SafeTensor(shape: [d, d, 3], floats: mean, dtype: .f16),
            "basis": try SafeTensor(shape: [componentCount, d, d, 3], floats: basis, dtype: .f16),
            "domain": try SafeTensor(shape: [d, d], floats: domain, dtype: .f16),
            "sigma": try SafeTensor(shape: [componentCount], floats: sigma),
        ], metadata: meta)
        try file.write(to: url)
    }

    /// The shipped model (`Sources/ShippedModels/albedo/`) for `model`, or nil when none ships or it
    /// was built for another head (`pairingError` then says why).
    public static func shipped(for model: MorphableModel) -> (model: AlbedoModel?, pairingError: String?) {
        guard let url = ShippedModels.albedoModelURL else { return (nil, "no albedo model ships with this build") }
        do {
            let albedo = try load(contentsOf: url)
            try albedo.checkPairs(with: model)
            return (albedo, nil)
        } catch {
            return (nil, "\(error)")
        }
    }
}

public enum AlbedoModelError: Error, Equatable, CustomStringConvertible {
    case headMismatch(expected: String, found: String)
    case invalidFile(String)
    case invalidTexture(String)

    public var description: String {
        switch self {
        case let .headMismatch(expected, found):
            return "the albedo model was built for the head \(expected), not \(found): rebuild it with `likeness albedo build`"
        case let .invalidFile(why): return "invalid albedo model: \(why)"
        case let .invalidTexture(why): return "albedo fit: \(why)"
        }
    }
}

/// Which 8×8 texel blocks of a photo's skin the held-out evaluation fits α on; it tests on the rest.
public enum AlbedoBlockSplit: String, Sendable, CaseIterable {
    /// Every other block (half the skin seen).
    case checkerboard
    /// One block in four (a quarter seen: the photo shows little, the prior matters more).
    case quarter

    func fits(x: Int, y: Int) -> Bool {
        switch self {
        case .checkerboard: return (x / 8 + y / 8) % 2 == 0
        case .quarter: return (x / 8) % 2 == 0 && (y / 8) % 2 == 0
        }
    }
}

extension AlbedoModel {
    /// Held-out error of the model on photos it was not built from: each photo de-lit against the
    /// mean (`AlbedoObservation.light(against:)`), α fitted on the `split`'s texel blocks about
    /// `priors[i]` (nil: the mean), RMS (albedo units, 0…1) over the other blocks, per component
    /// count (0: no fit, the prior or the mean itself). Photos with fewer than 50 fitted texels or
    /// none to test are left out.
    public func heldOutRMS(_ photos: [AlbedoObservation], components counts: [Int], priors: [[Float]?]? = nil,
                           split: AlbedoBlockSplit = .checkerboard) throws -> [Float] {
        var sums = [Double](repeating: 0, count: counts.count), entries = 0
        let d = size
        for (p, photo) in photos.enumerated() {
            guard let light = photo.light(against: mean) else { continue }
            let a = photo.albedo(under: light)
            var data = mean, fitMask = [Float](repeating: 0, count: d * d), testTexels: [(Int, SIMD3<Float>)] = []
            for (i, t32) in a.texels.enumerated() where domain[Int(t32)] > 0 {
                let t = Int(t32)
                let v = SIMD3(a.values[3 * i], a.values[3 * i + 1], a.values[3 * i + 2])
                if split.fits(x: t % d, y: t / d) {
                    fitMask[t] = 1
                    for c in 0..<3 { data[3 * t + c] = v[c] }
                } else {
                    testTexels.append((t, v))
                }
            }
            guard fitMask.reduce(0, +) >= 50, !testTexels.isEmpty else { continue }
            let texture = try TextureMap(width: d, height: d, channels: 3, data: data)
            let prior = priors?[p] ?? nil
            for (n, count) in counts.enumerated() {
                let alpha = count == 0 ? (prior ?? []) : try fit(texture, mask: fitMask, components: count, prior: prior)
                let fitted = try evaluate(alpha)
                for (t, v) in testTexels { for c in 0..<3 { let e = Double(fitted.data[3 * t + c] - v[c]); sums[n] += e * e } }
            }
            entries += 3 * testTexels.count
        }
        return sums.map { Float(($0 / Double(max(entries, 1))).squareRoot()) }
    }
}
