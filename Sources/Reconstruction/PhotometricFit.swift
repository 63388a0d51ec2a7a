import FaceModel
import Render

/// The photometric part of the fit: one albedo A shared by all photos and second-order SH light lᵢ
/// per photo, with the geometry and cameras of the landmark fit held fixed. The renderer's image
/// formation (§3.1, `Renderer`) gives, at every skin pixel p of photo i, its UV and unit normal n̂:
///
///     L_pho = Σᵢ Σ_p |Iᵢ(p) − A(uv(p)) ⊙ Σₖ l_{i,k} Hₖ(n̂(p))|²
/// minimised by alternating exact least squares: the light of each photo and channel (9 unknowns,
/// A fixed), then every texel of A (nearest texel; light fixed: A_t = Σ I·s / Σ s², s the shading).
/// Skin pixels are those of face, nose and lip triangles. A starts from the blended photo texture,
/// whose shading it then loses ("de-lighting"). A and l share a per-channel scale, fixed by making
/// the mean shading over all samples 1; with few views and no prior on A the split between albedo
/// and light is not unique, and the alternation returns one that explains the photos.
public enum PhotometricFit {
    public struct Result: Sendable {
        public var albedo: TextureMap
        public var lights: [SphericalHarmonics]
        /// RMS colour residual (0…1 units) with the first light estimate and after the last round.
        public var rmsBefore: Float
        public var rmsAfter: Float
        public var samples: Int
    }

    struct Sample {
        var texel: Int32
        var basis: [Float]
        var colour: SIMD3<Float>
    }

    /// `seen` (d×d, optional): only pixels whose texel is > 0 there are samples (the texels
    /// `AlbedoBlend` took from the photos: skin, not hair or background).
    public static func fit(_ views: [AlbedoBlend.View], model: MorphableModel, initialAlbedo: TextureMap,
                           seen: [Float]? = nil, rounds: Int = 4, stride step: Int = 2) throws -> Result {
        let d = initialAlbedo.width
        let samples = try views.map { view in
            try gather(view, model: model, size: d, step: step).filter { seen == nil || seen![Int($0.texel)] > 0 }
        }
        var albedo = AlbedoBlend.rgb(initialAlbedo).data
        var lights = samples.map { solveLight($0, albedo: albedo) }
        let before = rms(samples, albedo: albedo, lights: lights)
        for _ in 0..<rounds {
            albedo = solveAlbedo(samples, lights: lights, albedo: albedo)
            lights = samples.map { solveLight($0, albedo: albedo) }
        }
        normalise(samples, albedo: &albedo, lights: &lights)
        let after = rms(samples, albedo: albedo, lights: lights)
        let sh = try lights.map { l in try SphericalHarmonics(coefficients: (0..<9).flatMap { k in (0..<3).map { l[$0][k] } }) }
        return Result(albedo: try TextureMap(width: d, height: d, channels: 3, data: albedo.map { min(max($0, 0), 1) }),
                      lights: sh, rmsBefore: before, rmsAfter: after, samples: samples.reduce(0) { $0 + $1.count })
    }

    /// Skin pixels of one photo (every `step`-th covered pixel): texel, SH basis at n̂, photo colour.
    static func gather(_ view: AlbedoBlend.View, model: MorphableModel, size d: Int, step: Int) throws -> [Sample] {
        let photo = AlbedoBlend.rgb(view.photo)
        let renderer = try Renderer(width: photo.width, height: photo.height)
        let output = try renderer.render(mesh: view.mesh, scene: RenderScene(camera: view.camera,
                                                                             albedo: TextureMap(width: 1, height: 1, fill: [1, 1, 1])))
        let raster = output.rasterization
        let skin: Set<FaceRegion> = [.face, .nose, .lips]
        let regionsKnown = model.vertexRegions.count == model.vertexCount
        var samples: [Sample] = []
        let constants = SphericalHarmonics.constants
        for (k, p32) in raster.coveredPixels.enumerated() where k % step == 0 {
            let p = Int(p32), t = Int(raster.triangleIndex[p])
            if regionsKnown, !skin.contains(model.vertexRegions[Int(model.triangles[3 * t])]) { continue }
            let u = output.uv[2 * k], v = output.uv[2 * k + 1]
            let i = min(d - 1, max(0, Int(u * Float(d)))), j = min(d - 1, max(0, Int((1 - v) * Float(d))))
            let n = SIMD3(output.normal[3 * k], output.normal[3 * k + 1], output.normal[3 * k + 2])
            let h = constants.withUnsafeBufferPointer { c in SphericalHarmonics.basis(n, constants: c.baseAddress!) }
            samples.append(Sample(texel: Int32(j * d + i), basis: [h.b0, h.b1, h.b2, h.b3, h.b4, h.b5, h.b6, h.b7, h.b8],
                                  colour: SIMD3(photo.data[3 * p], photo.data[3 * p + 1], photo.data[3 * p + 2])))
        }
        return samples
    }

    /// Per channel c: min_l Σ (A_c H·l − I_c)², a 9×9 system with a tiny ridge.
    static func solveLight(_ samples: [Sample], albedo: [Float]) -> [[Float]] {
        (0..<3).map { c in
            var m = SymmetricMatrix(size: 9)
            var rhs = [Double](repeating: 0, count: 9)
            for s in samples {
                let a = Double(albedo[3 * Int(s.texel) + c])
                for i in 0..<9 {
                    let hi = a * Double(s.basis[i])
                    rhs[i] += hi * Double(s.colour[c])
                    for j in 0...i { m[i, j] += hi * a * Double(s.basis[j]) }
                }
            }
            for i in 0..<9 { m[i, i] += 1e-6 }
            return (m.solve(rhs) ?? [Double](repeating: 0, count: 9)).map(Float.init)
        }
    }

    /// A_t,c = Σ I_c s_c / Σ s_c² over the samples on texel t; texels without samples keep their value.
    static func solveAlbedo(_ samples: [[Sample]], lights: [[[Float]]], albedo: [Float]) -> [Float] {
        var num = [Float](repeating: 0, count: albedo.count), den = num
        for (view, list) in samples.enumerated() {
            for s in list {
                for c in 0..<3 {
                    let shade = zip(s.basis, lights[view][c]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                    num[3 * Int(s.texel) + c] += s.colour[c] * shade
                    den[3 * Int(s.texel) + c] += shade * shade
                }
            }
        }
        return albedo.indices.map { den[$0] > 1e-8 ? num[$0] / den[$0] : albedo[$0] }
    }

    /// Rescales so that the mean shading over all samples is 1 (A·k, l/k leave the residual unchanged).
    static func normalise(_ samples: [[Sample]], albedo: inout [Float], lights: inout [[[Float]]]) {
        var total: Float = 0, count: Float = 0
        for (view, list) in samples.enumerated() {
            for s in list {
                for c in 0..<3 { total += zip(s.basis, lights[view][c]).reduce(Float(0)) { $0 + $1.0 * $1.1 }; count += 1 }
            }
        }
        guard count > 0, total > 0 else { return }
        let k = total / count
        albedo = albedo.map { $0 * k }
        lights = lights.map { $0.map { $0.map { $0 / k } } }
    }

    static func rms(_ samples: [[Sample]], albedo: [Float], lights: [[[Float]]]) -> Float {
        var sum: Float = 0, count = 0
        for (view, list) in samples.enumerated() {
            for s in list {
                for c in 0..<3 {
                    let shade = zip(s.basis, lights[view][c]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                    let e = albedo[3 * Int(s.texel) + c] * shade - s.colour[c]
                    sum += e * e; count += 1
                }
            }
        }
        return count == 0 ? 0 : (sum / Float(count)).squareRoot()
    }
}
