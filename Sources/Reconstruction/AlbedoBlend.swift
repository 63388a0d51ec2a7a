import FaceModel
import Render

/// One texture for a person from all their photos: each photo is unwrapped into UV space through
/// its fitted mesh (Render's `UVUnwrapper`) and the texels are averaged with visibility weights
///
///     T(x) = Σᵢ wᵢ(x) Uᵢ(x) / Σᵢ wᵢ(x),   wᵢ(x) = [x visible in photo i] · max(0, n_z)²
/// with n_z the camera-space normal z of x's triangle, so grazing views count little. Texels no
/// photo sees get the mean of the seen ones. Without a photometric term the texture keeps the
/// photos' shading: it is the unwrapped, blended photo texture that the paper's detail stage uses.
public enum AlbedoBlend {
    public struct View {
        public var photo: TextureMap
        public var mesh: RenderMesh
        public var camera: OrthoCamera

        public init(photo: TextureMap, mesh: RenderMesh, camera: OrthoCamera) {
            self.photo = photo
            self.mesh = mesh
            self.camera = camera
        }
    }

    /// The blended d×d×3 texture and the fraction of UV-chart texels seen by at least one photo.
    public static func blend(_ views: [View], atlas: UVAtlas) throws -> (texture: TextureMap, coverage: Float) {
        let d = atlas.size
        var sum = [Float](repeating: 0, count: d * d * 3), weight = [Float](repeating: 0, count: d * d)
        for view in views {
            let unwrapped = try UVUnwrapper.unwrap(photo: rgb(view.photo), mesh: view.mesh, camera: view.camera, atlas: atlas)
            let facing = triangleFacing(view.mesh, camera: view.camera)
            for texel in 0..<(d * d) where unwrapped.status[texel] == .visible {
                let w = facing[Int(atlas.triangleIndex[texel])]
                guard w > 0 else { continue }
                weight[texel] += w
                for c in 0..<3 { sum[3 * texel + c] += w * unwrapped.texture.data[3 * texel + c] }
            }
        }
        let seen = weight.indices.filter { weight[$0] > 0 }
        var mean = SIMD3<Float>(0.5, 0.5, 0.5)
        if !seen.isEmpty {
            mean = seen.reduce(SIMD3<Float>.zero) { acc, t in
                acc + SIMD3(sum[3 * t], sum[3 * t + 1], sum[3 * t + 2]) / weight[t]
            } / Float(seen.count)
        }
        var data = [Float](repeating: 0, count: d * d * 3)
        for texel in 0..<(d * d) {
            for c in 0..<3 { data[3 * texel + c] = weight[texel] > 0 ? sum[3 * texel + c] / weight[texel] : mean[c] }
        }
        let charts = atlas.triangleIndex.filter { $0 >= 0 }.count
        return (try TextureMap(width: d, height: d, channels: 3, data: data), charts == 0 ? 0 : Float(seen.count) / Float(charts))
    }

    /// max(0, n_z)² of each triangle's camera-space face normal.
    static func triangleFacing(_ mesh: RenderMesh, camera: OrthoCamera) -> [Float] {
        (0..<mesh.triangleCount).map { t in
            let p = (0..<3).map { k -> SIMD3<Float> in
                let v = Int(mesh.triangles[3 * t + k])
                return camera.rotation * SIMD3(mesh.positions[3 * v], mesh.positions[3 * v + 1], mesh.positions[3 * v + 2])
            }
            let n = cross3(p[1] - p[0], p[2] - p[0])
            let length = norm(n)
            guard length > 0 else { return 0 }
            let z = max(0, n.z / length)
            return z * z
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
