import FaceModel
import Render

/// Fills what no photo saw in a blended texture (`AlbedoBlend`), in three layers composited with
/// feathered masks so no seam shows:
///
/// 1. the base: the albedo model fitted to the seen skin texels (`AlbedoModel.fit`, MAP α, its prior
///    centred on the base network's regressed α when `albedoPrior` is set, so what no photo saw takes
///    the network's reading of the face rather than the model's mean), upsampled to the texture — on the scalp and neck (outside the model's domain) a smooth continuation of
///    the face, i.e. plain skin; without a model that pairs with the head, a skin-tone fill (the
///    seen skin pull-push extended). Eyeballs, teeth, tongue and mouth interior that no photo saw
///    get fixed neutral colours instead of skin;
/// 2. mirrored texels: where the other side of the face was seen (`UVMirror`), its colour;
/// 3. the seen texels themselves.
/// Each layer's mask is feathered over `featherRadius` texels (default side/100), so a layer fades
/// into the one beneath instead of ending at a hard edge.
public struct TextureCompletion {
    public var albedoModel: AlbedoModel?
    /// The base network's α (standard deviations of `albedoModel`), the prior's centre; nil: the mean.
    public var albedoPrior: [Float]?
    public var featherRadius: Int?

    public init(albedoModel: AlbedoModel?, albedoPrior: [Float]? = nil, featherRadius: Int? = nil) {
        self.albedoModel = albedoModel
        self.albedoPrior = albedoPrior
        self.featherRadius = featherRadius
    }

    public struct Statistics: Codable, Sendable, Equatable {
        /// Fractions of chart texels seen, filled from the mirror, and filled from the base.
        public var seen: Float
        public var mirrored: Float
        public var filled: Float
        /// "albedo-model" (MAP α about the mean), "albedo-model+network-prior" (MAP α about the base
        /// network's α), "network-albedo" (no skin seen: the network's α alone) or "skin-tone".
        public var fill: String
    }

    static let partColours: [FaceRegion: SIMD3<Float>] = [
        .eyeballs: SIMD3(0.86, 0.83, 0.80), .teeth: SIMD3(0.88, 0.85, 0.78),
        .tongue: SIMD3(0.62, 0.30, 0.30), .mouthInterior: SIMD3(0.45, 0.20, 0.20),
    ]

    public func complete(_ blend: AlbedoBlend.Blend, atlas: UVAtlas, model: MorphableModel,
                         mirror: UVMirror? = nil) throws -> (texture: TextureMap, statistics: Statistics) {
        let d = atlas.size
        let mirror = try mirror ?? UVMirror(mesh: RenderMesh(model: model), atlas: atlas)
        let regions = atlas.regions(of: model)
        let skinCodes = Set(AlbedoObservation.skinRegions.map(\.rawValue))
        let seen = blend.weight.map { Float($0 > 0 ? 1 : 0) }
        let colour = { (t: Int) in SIMD3(blend.texture.data[3 * t], blend.texture.data[3 * t + 1], blend.texture.data[3 * t + 2]) }
        // Layer 2: mirrored texels.
        var mirrored = [Float](repeating: 0, count: d * d), mirroredColour = [Float](repeating: 0, count: 3 * d * d)
        for t in 0..<(d * d) where seen[t] == 0 {
            let m = Int(mirror.texel[t])
            guard m >= 0, seen[m] > 0 else { continue }
            mirrored[t] = 1
            let c = colour(m)
            for k in 0..<3 { mirroredColour[3 * t + k] = c[k] }
        }
        // Layer 1: the base fill, fitted to the seen and mirrored skin.
        var known = blend.texture.data
        for t in 0..<(d * d) where mirrored[t] > 0 { for k in 0..<3 { known[3 * t + k] = mirroredColour[3 * t + k] } }
        let skinKnown = (0..<(d * d)).map { t in (seen[t] > 0 || mirrored[t] > 0) && skinCodes.contains(regions[t]) ? Float(1) : 0 }
        var base: [Float]
        var fill = "skin-tone"
        if let albedo = albedoModel, d >= albedo.size, skinKnown.reduce(0, +) > 0 {
            let alpha = try albedo.fit(try TextureMap(width: d, height: d, channels: 3, data: known), mask: skinKnown,
                                       prior: albedoPrior)
            base = try albedo.evaluate(alpha, side: d).data
            fill = albedoPrior == nil ? "albedo-model" : "albedo-model+network-prior"
        } else if let albedo = albedoModel, let prior = albedoPrior {
            base = try albedo.evaluate(prior, side: d).data
            fill = "network-albedo"
        } else if skinKnown.reduce(0, +) > 0 {
            base = TextureFill.pullPush(known, weights: skinKnown, width: d, height: d, channels: 3)
        } else {
            base = try TextureMap(width: d, height: d, fill: [0.72, 0.56, 0.47]).data
        }
        for t in 0..<(d * d) where regions[t] != 255 {
            if let region = FaceRegion(rawValue: regions[t]), let c = Self.partColours[region] {
                for k in 0..<3 { base[3 * t + k] = c[k] }
            }
        }
        // Composite: base ← mirrored ← seen, each through its feathered mask.
        let radius = featherRadius ?? max(1, d / 100)
        let mirrorWeight = TextureFill.feather(zip(mirrored, seen).map { max($0, $1) }, width: d, height: d, radius: radius)
        let seenWeight = TextureFill.feather(seen, width: d, height: d, radius: radius)
        var out = base
        for t in 0..<(d * d) {
            let ws = seenWeight[t], wm = mirrorWeight[t]
            guard wm > 0 else { continue }
            for k in 0..<3 {
                let m = seen[t] > 0 ? blend.texture.data[3 * t + k] : mirroredColour[3 * t + k]
                let layered = (1 - wm) * base[3 * t + k] + wm * m
                out[3 * t + k] = (1 - ws) * layered + ws * blend.texture.data[3 * t + k]
            }
        }
        let charts = Float(max(1, atlas.triangleIndex.filter { $0 >= 0 }.count))
        let seenCount = Float(seen.filter { $0 > 0 }.count), mirroredCount = Float(mirrored.filter { $0 > 0 }.count)
        let stats = Statistics(seen: seenCount / charts, mirrored: mirroredCount / charts,
                               filled: max(0, charts - seenCount - mirroredCount) / charts, fill: fill)
        return (try TextureMap(width: d, height: d, channels: 3, data: out.map { min(max($0, 0), 1) }), stats)
    }
}
