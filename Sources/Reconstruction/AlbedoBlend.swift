import FaceDetect
import FaceModel
import Render

/// One texture for a person from all their photos (issue 18 item 2, texture hygiene): each photo
/// is unwrapped into UV space through its fitted mesh (`UVUnwrapper`) and only its visible skin
/// is kept, blended across photos by visibility:
///
///     T(x) = Σᵢ wᵢ(x) Uᵢ(x) / Sᵢ(x) / Σᵢ wᵢ(x),
///     wᵢ(x) = [x visible in photo i] · max(0, n_z)² · Fᵢ(πᵢ(x)) · [colour of x plausible skin]
/// with n_z the camera-space face-normal z of x's triangle (grazing views count little, and
/// below `minimumFacing` not at all), Fᵢ the photo's face-region mask (the jaw line closed over
/// the brows, from its 68 landmarks; feathered so a photo's contribution fades out at its edge
/// instead of ending in a seam), and Sᵢ the photo's SH shading at x when `lights` are given (the
/// texture is then de-lit albedo). Hair, background, shirt and captions lie outside Fᵢ; texels of
/// the scalp and the neck are never taken from photos; colour outliers of the photo's skin
/// (hair strands, glasses, a hand: luminance outside [0.5, 1.8] × the median or chromaticity 0.06
/// from it) are dropped on face, nose and ears. What no photo saw is filled by `TextureCompletion`.
public enum AlbedoBlend {
    public struct View {
        public var photo: TextureMap
        public var mesh: RenderMesh
        public var camera: OrthoCamera
        /// The photo's 68 landmarks (pixels); nil takes every visible texel (synthetic views).
        public var landmarks: [SIMD2<Float>]?

        public init(photo: TextureMap, mesh: RenderMesh, camera: OrthoCamera, landmarks: [SIMD2<Float>]? = nil) {
            self.photo = photo
            self.mesh = mesh
            self.camera = camera
            self.landmarks = landmarks
        }
    }

    /// The blended texels and their total weight (0 where no photo contributed).
    public struct Blend: Sendable {
        /// d×d×3, the weighted mean where `weight` > 0, 0 elsewhere.
        public var texture: TextureMap
        /// d×d, Σᵢ wᵢ.
        public var weight: [Float]
        /// With `lights`: the same blend of the photo colours before de-lighting.
        public var photoTexture: TextureMap?
        /// The fraction of UV-chart texels seen by at least one photo.
        public var coverage: Float
    }

    /// Regions a photo may colour; scalp and neck become plain skin from the fill.
    public static let photoRegions: Set<FaceRegion> = [.face, .nose, .lips, .ears, .eyes, .eyeballs, .mouthInterior, .teeth, .tongue]
    /// Regions whose colour is checked against the photo's skin.
    static let checkedRegions: Set<FaceRegion> = [.face, .nose, .ears]

    public static func blend(_ views: [View], atlas: UVAtlas, model: MorphableModel, lights: [SphericalHarmonics]? = nil,
                             minimumFacing: Float = 0.2) throws -> Blend {
        let d = atlas.size
        let regions = atlas.regions(of: model)
        let allowed = Set(photoRegions.map(\.rawValue)), checked = Set(checkedRegions.map(\.rawValue))
        var sum = [Float](repeating: 0, count: d * d * 3), weight = [Float](repeating: 0, count: d * d)
        var rawSum = [Float](repeating: 0, count: lights == nil ? 0 : d * d * 3)
        for (v, view) in views.enumerated() {
            let photo = rgb(view.photo)
            let unwrapped = try UVUnwrapper.unwrap(photo: photo, mesh: view.mesh, camera: view.camera, atlas: atlas,
                                                   minimumFacing: minimumFacing)
            let mask = try faceMask(view, width: photo.width, height: photo.height)
            let shading = try lights.map { try texelShading(view, light: $0[v], atlas: atlas) }
            var colours = [SIMD3<Float>](repeating: .zero, count: d * d), weights = [Float](repeating: 0, count: d * d)
            var raw = [SIMD3<Float>](repeating: .zero, count: lights == nil ? 0 : d * d)
            for t in 0..<(d * d) where unwrapped.status[t] == .visible && allowed.contains(regions[t]) {
                var w = unwrapped.facing[t] * unwrapped.facing[t]
                if let mask {
                    let x = Int(unwrapped.photoPositions[2 * t]), y = Int(unwrapped.photoPositions[2 * t + 1])
                    w *= mask[y * photo.width + x]
                }
                guard w > 0 else { continue }
                var c = SIMD3(unwrapped.texture.data[3 * t], unwrapped.texture.data[3 * t + 1], unwrapped.texture.data[3 * t + 2])
                if let s = shading?[t] {
                    guard s.min() > 0.2 else { continue }
                    raw[t] = c
                    c /= s
                }
                colours[t] = c
                weights[t] = w
            }
            rejectOutliers(colours, &weights, checkable: regions.map { checked.contains($0) })
            for t in 0..<(d * d) where weights[t] > 0 {
                weight[t] += weights[t]
                for c in 0..<3 { sum[3 * t + c] += weights[t] * colours[t][c] }
                if !raw.isEmpty { for c in 0..<3 { rawSum[3 * t + c] += weights[t] * raw[t][c] } }
            }
        }
        for t in 0..<(d * d) where weight[t] > 0 {
            for c in 0..<3 { sum[3 * t + c] /= weight[t] }
            if !rawSum.isEmpty { for c in 0..<3 { rawSum[3 * t + c] /= weight[t] } }
        }
        let charts = atlas.triangleIndex.filter { $0 >= 0 }.count
        let seen = weight.filter { $0 > 0 }.count
        return Blend(texture: try TextureMap(width: d, height: d, channels: 3, data: sum), weight: weight,
                     photoTexture: rawSum.isEmpty ? nil : try TextureMap(width: d, height: d, channels: 3, data: rawSum),
                     coverage: charts == 0 ? 0 : Float(seen) / Float(charts))
    }

    /// The photo's face-region mask in [0, 1] (feathered by a tenth of the eye-corner distance), or
    /// nil without landmarks.
    static func faceMask(_ view: View, width: Int, height: Int) throws -> [Float]? {
        guard let l = view.landmarks, l.count == 68 else { return nil }
        let points = l.map { Point2($0.x, $0.y) }
        let region = try SkinMask().faceRegion(landmarks: points, width: width, height: height)
        let eyes = ((l[36] - l[45]) * (l[36] - l[45])).sum().squareRoot()
        return TextureFill.feather(region.pixels.map { $0 > 0 ? 1 : 0 }, width: width, height: height,
                                   radius: max(1, Int(0.1 * eyes)))
    }

    /// Per texel the RGB shading of `light` at the texel's camera-space normal.
    static func texelShading(_ view: View, light: SphericalHarmonics, atlas: UVAtlas) throws -> [SIMD3<Float>] {
        let normals = try UVUnwrapper.texelNormals(mesh: view.mesh, camera: view.camera, atlas: atlas)
        return (0..<(atlas.size * atlas.size)).map { t in
            light.shading(normal: SIMD3(normals[3 * t], normals[3 * t + 1], normals[3 * t + 2]))
        }
    }

    /// Zeroes the weight of checkable texels whose colour is far from the photo's median skin.
    static func rejectOutliers(_ colours: [SIMD3<Float>], _ weights: inout [Float], checkable: [Bool]) {
        let skin = weights.indices.filter { weights[$0] > 0 && checkable[$0] }
        guard skin.count >= 20 else { return }
        func lum(_ c: SIMD3<Float>) -> Float { c.sum() / 3 }
        func chroma(_ c: SIMD3<Float>) -> SIMD2<Float> { let s = max(c.sum(), 1e-4); return SIMD2(c.x / s, c.y / s) }
        func median(_ v: [Float]) -> Float { let s = v.sorted(); return s[s.count / 2] }
        let l0 = median(skin.map { lum(colours[$0]) })
        let c0 = SIMD2(median(skin.map { chroma(colours[$0]).x }), median(skin.map { chroma(colours[$0]).y }))
        for t in skin {
            let l = lum(colours[t]), e = chroma(colours[t]) - c0
            if l < 0.5 * l0 || l > 1.8 * l0 || (e * e).sum() > 0.06 * 0.06 { weights[t] = 0 }
        }
    }

    static func rgb(_ t: TextureMap) -> TextureMap {
        if t.channels == 3 { return t }
        var data = [Float](repeating: 0, count: t.width * t.height * 3)
        for p in 0..<(t.width * t.height) {
            for c in 0..<3 { data[3 * p + c] = t.data[p * t.channels + min(c, t.channels - 1)] }
        }
        return (try? TextureMap(width: t.width, height: t.height, channels: 3, data: data)) ?? t
    }
}
