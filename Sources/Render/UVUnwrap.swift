import FaceModel

/// The mesh rasterised in UV space: for every texel of a d×d texture, the triangle whose UV
/// image covers the texel centre and its barycentrics. Depends only on the topology and UVs, so
/// it is built once per model and texture size.
///
/// Texel (i, j) has centre u = (i + ½)/d, v = 1 − (j + ½)/d (the `TextureMap` convention), i.e.
/// UV space is rasterised with x = u·d, y = (1 − v)·d. Shapes: `triangleIndex` d×d (−1 outside
/// every chart), `barycentrics` d×d×3.
public struct UVAtlas: Sendable {
    public let size: Int
    /// F of the mesh it was built for (checked when used).
    public let meshTriangleCount: Int
    public let triangleIndex: [Int32]
    public let barycentrics: [Float]

    public init(mesh: RenderMesh, size: Int = 256) throws {
        guard (1...8192).contains(size) else { throw RenderError.invalidImageSize(width: size, height: size) }
        let uvCount = mesh.uvs.count / 2
        var texelXY = [Float](repeating: 0, count: 2 * uvCount)
        for k in 0..<uvCount {
            texelXY[2 * k] = mesh.uvs[2 * k] * Float(size)
            texelXY[2 * k + 1] = (1 - mesh.uvs[2 * k + 1]) * Float(size)
        }
        let raster = Rasterizer.rasterize(screen: texelXY, depth: [Float](repeating: 0, count: uvCount),
                                          triangles: mesh.uvTriangles, width: size, height: size, culling: .none)
        self.size = size
        meshTriangleCount = mesh.triangleCount
        triangleIndex = raster.triangleIndex
        barycentrics = raster.barycentrics
    }
}

/// Why a texel of an unwrapped texture has (or has no) photo colour.
public enum TexelStatus: UInt8, Sendable {
    /// Seen in the photo; the colour is valid.
    case visible = 0
    /// No triangle's UV image covers the texel (outside every UV chart).
    case outsideCharts
    /// The surface point faces away from the camera, or nearly so (grazing; see `unwrap`).
    case backFacing
    /// Another part of the mesh is in front of the point (z-buffer test).
    case occluded
    /// The point projects outside the photo.
    case outOfFrame
}

/// A photo warped into UV space (the paper's unwrapped image texture, §3.3).
public struct UnwrappedTexture: Sendable {
    /// d×d×C photo colours; zero where the texel is not visible.
    public let texture: TextureMap
    /// d×d status of every texel.
    public let status: [TexelStatus]
    /// d×d×2 photo coordinates (pixels, x right, y down) of every texel's surface point; NaN
    /// outside the charts and on back-facing texels.
    public let photoPositions: [Float]
    /// d×d camera-space unit face-normal z of every texel's triangle (0 outside the charts).
    public let facing: [Float]

    /// d×d, 1 for visible texels and 0 elsewhere.
    public var visibilityMask: [Float] { status.map { $0 == .visible ? 1 : 0 } }
}

/// Photo ↔ UV texture mappings through a fitted mesh and camera.
public enum UVUnwrapper {
    /// Warps `photo` into UV space: each texel's surface point P = Σᵢ bᵢ vᵢ is projected with
    /// u = s·Π(R P) + t and the photo is sampled bilinearly there (pixel centres at +½). A texel is
    /// visible when its triangle faces the camera (camera-space unit face normal z > `minimumFacing`;
    /// grazing texels smear the silhouette's background into the texture, DECA uses 0.05 likewise),
    /// the projection lies inside the photo, and the photo-resolution z-buffer has nothing nearer
    /// than P_z + tolerance at that pixel. The default tolerance is 3 pixels of depth, 3/s.
    public static func unwrap(photo: TextureMap, mesh modelMesh: RenderMesh, camera: OrthoCamera, atlas: UVAtlas,
                              minimumFacing: Float = 0.05, depthTolerance: Float? = nil) throws -> UnwrappedTexture {
        let mesh = modelMesh.rotated(by: camera.rotation), camera = camera.withoutRotation
        guard atlas.meshTriangleCount == modelMesh.triangleCount else {
            throw RenderError.shapeMismatch("the UV atlas was built for \(atlas.meshTriangleCount) triangles, the mesh has \(modelMesh.triangleCount)")
        }
        guard camera.scale > 0, camera.scale.isFinite else {
            throw RenderError.shapeMismatch("camera scale must be positive and finite")
        }
        let zbuffer = Rasterizer.rasterize(mesh: mesh, camera: camera, width: photo.width, height: photo.height,
                                           culling: .backFaces)
        let tolerance = depthTolerance ?? 3 / camera.scale
        let d = atlas.size, channels = photo.channels
        var data = [Float](repeating: 0, count: d * d * channels)
        var status = [TexelStatus](repeating: .outsideCharts, count: d * d)
        var positions = [Float](repeating: .nan, count: 2 * d * d), facing = [Float](repeating: 0, count: d * d)
        for texel in 0..<(d * d) {
            let t = Int(atlas.triangleIndex[texel])
            if t < 0 { continue }
            let i0 = Int(mesh.triangles[3 * t]), i1 = Int(mesh.triangles[3 * t + 1]), i2 = Int(mesh.triangles[3 * t + 2])
            let v0 = mesh.position(i0), v1 = mesh.position(i1), v2 = mesh.position(i2)
            let faceNormal = cross(v1 - v0, v2 - v0)
            let normalLength = dot(faceNormal, faceNormal).squareRoot()
            facing[texel] = normalLength > 0 ? faceNormal.z / normalLength : 0
            if faceNormal.z <= minimumFacing * normalLength {
                status[texel] = .backFacing
                continue
            }
            let b = SIMD3(atlas.barycentrics[3 * texel], atlas.barycentrics[3 * texel + 1], atlas.barycentrics[3 * texel + 2])
            let point = v0 * b.x + v1 * b.y + v2 * b.z
            let p = camera.project(point)
            positions[2 * texel] = p.x
            positions[2 * texel + 1] = p.y
            guard p.x >= 0, p.y >= 0, p.x < Float(photo.width), p.y < Float(photo.height) else {
                status[texel] = .outOfFrame
                continue
            }
            let pixel = Int(p.y) * photo.width + Int(p.x)
            if zbuffer.depth[pixel] > point.z + tolerance {
                status[texel] = .occluded
                continue
            }
            status[texel] = .visible
            let tap = BilinearTap(x: p.x - 0.5, y: p.y - 0.5, width: photo.width, height: photo.height)
            photo.data.withUnsafeBufferPointer { src in
                for c in 0..<channels {
                    data[texel * channels + c] = (tap.gather(src.baseAddress!, channels: channels, channel: c) * tap.weights).sum()
                }
            }
        }
        return UnwrappedTexture(texture: try TextureMap(width: d, height: d, channels: channels, data: data),
                                status: status, photoPositions: positions, facing: facing)
    }

    /// The reverse mapping, texture → image: renders `texture` (any channel count, e.g. an
    /// albedo, an unwrapped photo or a displacement map) through the mesh UVs without lighting
    /// into a `width`×`height` image, over `background` (same channel count) or zeros.
    public static func textureToImage(_ texture: TextureMap, mesh: RenderMesh, camera: OrthoCamera,
                                      width: Int, height: Int, background: TextureMap? = nil) throws -> TextureMap {
        if let bg = background, bg.width != width || bg.height != height || bg.channels != texture.channels {
            throw RenderError.invalidTexture("background must be \(width)×\(height)×\(texture.channels)")
        }
        let raster = Rasterizer.rasterize(mesh: mesh, camera: camera, width: width, height: height)
        let channels = texture.channels
        var out = background?.data ?? [Float](repeating: 0, count: width * height * channels)
        texture.data.withUnsafeBufferPointer { src in
            for p32 in raster.coveredPixels {
                let p = Int(p32), t = Int(raster.triangleIndex[p])
                var uv = SIMD2<Float>(0, 0)
                for k in 0..<3 {
                    let i = Int(mesh.uvTriangles[3 * t + k])
                    uv += raster.barycentrics[3 * p + k] * SIMD2(mesh.uvs[2 * i], mesh.uvs[2 * i + 1])
                }
                let tap = texture.tap(u: uv.x, v: uv.y)
                for c in 0..<channels {
                    out[p * channels + c] = (tap.gather(src.baseAddress!, channels: channels, channel: c) * tap.weights).sum()
                }
            }
        }
        return try TextureMap(width: width, height: height, channels: channels, data: out)
    }
}

extension UVUnwrapper {
    /// d×d×3 camera-space unit normals at every texel's surface point: the mesh's area-weighted
    /// vertex normals after the camera rotation, interpolated with the atlas barycentrics and
    /// renormalised (zero outside the charts). The SH shading of a texel is evaluated at these.
    public static func texelNormals(mesh modelMesh: RenderMesh, camera: OrthoCamera, atlas: UVAtlas) throws -> [Float] {
        guard atlas.meshTriangleCount == modelMesh.triangleCount else {
            throw RenderError.shapeMismatch("the UV atlas was built for \(atlas.meshTriangleCount) triangles, the mesh has \(modelMesh.triangleCount)")
        }
        let mesh = modelMesh.rotated(by: camera.rotation)
        let vn = VertexNormals(positions: mesh.positions, triangles: mesh.triangles).normals
        let d = atlas.size
        var out = [Float](repeating: 0, count: 3 * d * d)
        for texel in 0..<(d * d) {
            let t = Int(atlas.triangleIndex[texel])
            if t < 0 { continue }
            var n = SIMD3<Float>(0, 0, 0)
            for k in 0..<3 {
                let v = Int(mesh.triangles[3 * t + k]), b: Float = atlas.barycentrics[3 * texel + k]
                let vertexNormal = SIMD3<Float>(vn[3 * v], vn[3 * v + 1], vn[3 * v + 2])
                n += b * vertexNormal
            }
            let length = (n * n).sum().squareRoot()
            if length > 0 { n /= length }
            out[3 * texel] = n.x; out[3 * texel + 1] = n.y; out[3 * texel + 2] = n.z
        }
        return out
    }
}
