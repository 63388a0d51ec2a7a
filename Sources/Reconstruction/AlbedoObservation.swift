import FaceDetect
import FaceModel
import Imaging
import Render

/// One photo's visible skin on the albedo model's UV grid, with what de-lighting needs: the texel,
/// its colour in the photo and the SH basis at its camera-space normal.
///
/// A texel is kept when it is visible in the photo (`UVUnwrapper`: in frame, not self-occluded,
/// facing the camera with unit normal z > `minimumFacing`, 0.35 ≈ 70° by default, so grazing texels
/// smeared with background stay out), its triangle is skin (face, nose, lips, ears), and its
/// projection lies on skin in the photo by the landmark skin mask (`SkinMask`: the face polygon
/// without eyes, brows, mouth interior; hair, background and the neck fall outside it).
public struct AlbedoObservation: Sendable {
    public var name: String
    public var texels: [Int32]
    /// 3 per texel, the photo's RGB in [0, 1].
    public var colours: [Float]
    /// 9 per texel, Hₖ(n) of `SphericalHarmonics` at the texel's camera-space normal.
    public var basis: [Float]

    public var count: Int { texels.count }

    public static let skinRegions: Set<FaceRegion> = [.face, .nose, .lips, .ears]

    /// The observation of one fitted photo; `regions` from `UVAtlas.regions(of:)`.
    public static func extract(name: String, photo: Image, landmarks: [Point2], mesh: RenderMesh, camera: OrthoCamera,
                               atlas: UVAtlas, regions: [UInt8], minimumFacing: Float = 0.35) throws -> AlbedoObservation {
        let rgb = AlbedoBlend.rgb(TextureMap(image: photo))
        let unwrapped = try UVUnwrapper.unwrap(photo: rgb, mesh: mesh, camera: camera, atlas: atlas, minimumFacing: minimumFacing)
        let normals = try UVUnwrapper.texelNormals(mesh: mesh, camera: camera, atlas: atlas)
        let skin = try SkinMask().mask(landmarks: landmarks, width: photo.width, height: photo.height)
        let skinCodes = Set(skinRegions.map(\.rawValue))
        var obs = AlbedoObservation(name: name, texels: [], colours: [], basis: [])
        let c = SphericalHarmonics.constants
        for t in 0..<(atlas.size * atlas.size) where unwrapped.status[t] == .visible && skinCodes.contains(regions[t]) {
            let x = Int(unwrapped.photoPositions[2 * t]), y = Int(unwrapped.photoPositions[2 * t + 1])
            guard skin.pixels[y * photo.width + x] > 0 else { continue }
            obs.texels.append(Int32(t))
            for k in 0..<3 { obs.colours.append(unwrapped.texture.data[3 * t + k]) }
            let n = SIMD3(normals[3 * t], normals[3 * t + 1], normals[3 * t + 2])
            let h = c.withUnsafeBufferPointer { SphericalHarmonics.basis(n, constants: $0.baseAddress!) }
            obs.basis += [h.b0, h.b1, h.b2, h.b3, h.b4, h.b5, h.b6, h.b7, h.b8]
        }
        return obs
    }

    /// True when the photo has no colour (the median of |r − g| + |g − b| below 1.5 %): grey
    /// photos would teach the model that skin is grey.
    public var isGreyscale: Bool {
        guard count > 0 else { return true }
        var d = [Float]()
        for i in 0..<count {
            let r = colours[3 * i], g = colours[3 * i + 1], b = colours[3 * i + 2]
            d.append(abs(r - g) + abs(g - b))
        }
        d.sort()
        return d[d.count / 2] < 0.015
    }

    /// The photo's SH light against a reference albedo `mean` (d·d·3): per channel c the least
    /// squares min_l Σₜ (μ_c(t) Σₖ Hₖ(t) l_kc − I_c(t))² (9 unknowns, a small ridge), then scaled so the
    /// mean shading over the photo's texels is 1 in each channel. That scale is the albedo–light
    /// ambiguity; fixing it this way leaves the photo's skin tone (and its camera's exposure and
    /// white balance) in the albedo and only the directional shading in the light. Returns 27
    /// numbers k-major (`SphericalHarmonics.coefficients`), or nil when the fit is degenerate.
    public func light(against mean: [Float]) -> [Float]? {
        var out = [Float](repeating: 0, count: 27)
        for c in 0..<3 {
            var m = SymmetricMatrix(size: 9)
            var rhs = [Double](repeating: 0, count: 9)
            for i in 0..<count {
                let a = Double(mean[3 * Int(texels[i]) + c]), target = Double(colours[3 * i + c])
                for p in 0..<9 {
                    let hp = a * Double(basis[9 * i + p])
                    rhs[p] += hp * target
                    for q in 0...p { m[p, q] += hp * a * Double(basis[9 * i + q]) }
                }
            }
            for p in 0..<9 { for q in 0..<p { m[q, p] = m[p, q] } }
            for p in 0..<9 { m[p, p] += 1e-4 * Double(count) }
            guard let l = m.solve(rhs) else { return nil }
            var meanShading = 0.0
            for i in 0..<count { for p in 0..<9 { meanShading += Double(basis[9 * i + p]) * l[p] } }
            meanShading /= Double(max(count, 1))
            guard meanShading > 1e-6 else { return nil }
            for p in 0..<9 { out[3 * p + c] = Float(l[p] / meanShading) }
        }
        return out
    }

    /// The de-lit albedo I / shading at the photo's texels under `light`: texels in shadow
    /// (shading < 0.3) are dropped, and so are colour outliers of the photo's skin (occluders
    /// such as hair strands, glasses, hands, specular highlights): luminance outside
    /// [0.55, 1.7] × the median, or chromaticity (r, g)/(r + g + b) farther than 0.05 from the
    /// median. Returns (texels, RGB values).
    public func albedo(under light: [Float]) -> (texels: [Int32], values: [Float]) {
        var kept: [Int32] = [], values: [Float] = []
        for i in 0..<count {
            var a = SIMD3<Float>(0, 0, 0), ok = true
            for c in 0..<3 {
                var s: Float = 0
                for p in 0..<9 { s += basis[9 * i + p] * light[3 * p + c] }
                if s < 0.3 { ok = false; break }
                a[c] = colours[3 * i + c] / s
            }
            if ok { kept.append(texels[i]); values += [a.x, a.y, a.z] }
        }
        guard !kept.isEmpty else { return ([], []) }
        func lum(_ i: Int) -> Float { (values[3 * i] + values[3 * i + 1] + values[3 * i + 2]) / 3 }
        func chroma(_ i: Int) -> SIMD2<Float> {
            let s = max(values[3 * i] + values[3 * i + 1] + values[3 * i + 2], 1e-4)
            return SIMD2(values[3 * i] / s, values[3 * i + 1] / s)
        }
        func median(_ v: [Float]) -> Float { let s = v.sorted(); return s[s.count / 2] }
        let indices = Array(kept.indices)
        let lumMedian = median(indices.map(lum))
        let chromaMedian = SIMD2(median(indices.map { chroma($0).x }), median(indices.map { chroma($0).y }))
        var outTexels: [Int32] = [], outValues: [Float] = []
        for i in indices {
            let l = lum(i), e = chroma(i) - chromaMedian
            guard l >= 0.55 * lumMedian, l <= 1.7 * lumMedian, (e * e).sum() <= 0.05 * 0.05 else { continue }
            outTexels.append(kept[i])
            outValues += [values[3 * i], values[3 * i + 1], values[3 * i + 2]]
        }
        return (outTexels, outValues)
    }
}

extension UVAtlas {
    /// size², the `FaceRegion` raw value of each texel's triangle (of its first vertex), 255
    /// outside the charts.
    public func regions(of model: MorphableModel) -> [UInt8] {
        guard model.vertexRegions.count == model.vertexCount else {
            return triangleIndex.map { $0 < 0 ? 255 : FaceRegion.face.rawValue }
        }
        return triangleIndex.map { t in
            t < 0 ? 255 : model.vertexRegions[Int(model.triangles[3 * Int(t)])].rawValue
        }
    }
}
