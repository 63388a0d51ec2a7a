import FaceModel
import Imaging

/// Preview images for people: shaded grey and textured renders, landmarks over a photo, and a
/// contact sheet putting them side by side. All return 8-bit RGB `Image`s.
public enum Preview {
    /// The mesh shaded in uniform grey (albedo 0.75) under `lighting`, over `background` (RGB or
    /// grey photo of the render's size) or black.
    public static func grey(mesh: RenderMesh, camera: OrthoCamera, width: Int = 256, height: Int = 256,
                            lighting: SphericalHarmonics = .studio, background: Image? = nil) throws -> Image {
        try textured(mesh: mesh, albedo: greyAlbedo, camera: camera,
                     width: width, height: height, lighting: lighting, displacement: nil, background: background)
    }

    /// Uniform grey albedo 0.75 (1×1×3).
    static let greyAlbedo = try! TextureMap(width: 1, height: 1, fill: [0.75, 0.75, 0.75])

    /// The mesh with `albedo` (d×d×3) and SH `lighting`, optionally with a displacement map.
    public static func textured(mesh: RenderMesh, albedo: TextureMap, camera: OrthoCamera,
                                width: Int = 256, height: Int = 256, lighting: SphericalHarmonics = .studio,
                                displacement: TextureMap? = nil, background: Image? = nil) throws -> Image {
        let renderer = try Renderer(width: width, height: height)
        let scene = RenderScene(camera: camera, lighting: lighting, albedo: albedo, displacement: displacement,
                                background: try background.map { try rgbTexture($0, width: width, height: height) })
        return try renderer.render(mesh: mesh, scene: scene).image.image()
    }

    /// One render per (mesh, displacement) pair — e.g. a head at several expressions with its
    /// wrinkle rig's D(w) — side by side (`contactSheet`, gap 4), each `width`×`height` with `albedo`
    /// (grey 0.75 when nil) under `lighting`, the displacement bump-mapping the shading; `camera`
    /// defaults to framing the first mesh. Left to right in the order given.
    public static func detailSheet(_ frames: [(mesh: RenderMesh, displacement: TextureMap?)], albedo: TextureMap? = nil,
                                   camera: OrthoCamera? = nil, width: Int = 256, height: Int = 256,
                                   lighting: SphericalHarmonics = .studio) throws -> Image {
        guard let first = frames.first else { throw RenderError.invalidMesh("a detail sheet needs at least one mesh") }
        let camera = camera ?? OrthoCamera.framing(positions: first.mesh.positions, width: width, height: height)
        let albedo = albedo ?? greyAlbedo
        return contactSheet(try frames.map { frame in
            try textured(mesh: frame.mesh, albedo: albedo, camera: camera, width: width, height: height, lighting: lighting,
                         displacement: frame.displacement)
        })
    }

    /// `image` (converted to RGB) with a filled disc of `radius` pixels at each point (pixel
    /// coordinates, x right, y down; points outside are skipped) in `colour`.
    public static func landmarks(on image: Image, points: [SIMD2<Float>], colour: SIMD3<UInt8> = [40, 230, 60],
                                 radius: Int = 2) -> Image {
        var out = rgb(image)
        let radius = max(0, radius)
        for p in points where p.x.isFinite && p.y.isFinite {
            let cx = Int(p.x.rounded(.down)), cy = Int(p.y.rounded(.down))
            for y in (cy - radius)...(cy + radius) where y >= 0 && y < out.height {
                for x in (cx - radius)...(cx + radius) where x >= 0 && x < out.width {
                    guard (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius else { continue }
                    for c in 0..<3 { out[x, y, c] = colour[c] }
                }
            }
        }
        return out
    }

    /// Images side by side (tops aligned, converted to RGB) with `gap` pixels of `fill` between
    /// and around them.
    public static func contactSheet(_ images: [Image], gap requestedGap: Int = 4, fill: UInt8 = 255) -> Image {
        let gap = max(0, requestedGap)
        let height = (images.map(\.height).max() ?? 0) + 2 * gap
        let width = images.reduce(gap) { $0 + $1.width + gap }
        var sheet = Image(width: width, height: height, channels: 3,
                          pixels: [UInt8](repeating: fill, count: width * height * 3))
        var x0 = gap
        for image in images.map(rgb) {
            for y in 0..<image.height {
                for x in 0..<image.width { for c in 0..<3 { sheet[x0 + x, gap + y, c] = image[x, y, c] } }
            }
            x0 += image.width + gap
        }
        return sheet
    }

    /// Pixel positions of surface points (triangle + barycentrics, e.g. the model's 68 landmarks).
    public static func project(_ embeddings: [LandmarkEmbedding], mesh: RenderMesh,
                               camera: OrthoCamera) -> [SIMD2<Float>] {
        let points = mesh.surfacePoints(embeddings)
        return stride(from: 0, to: points.count, by: 3).map {
            camera.project(SIMD3(points[$0], points[$0 + 1], points[$0 + 2]))
        }
    }

    /// Pixel positions of vertices by index (e.g. ICT-FaceKit's landmark vertex ids).
    public static func project(vertices: [Int], mesh: RenderMesh, camera: OrthoCamera) -> [SIMD2<Float>] {
        vertices.filter { $0 >= 0 && $0 < mesh.vertexCount }.map { camera.project(mesh.position($0)) }
    }

    /// Any 1–4 channel image as RGB (grey replicated, alpha dropped).
    static func rgb(_ image: Image) -> Image {
        if image.channels == 3 { return image }
        var out = Image(width: image.width, height: image.height, channels: 3)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 { out[x, y, c] = image[x, y, image.channels >= 3 ? c : 0] }
            }
        }
        return out
    }

    static func rgbTexture(_ image: Image, width: Int, height: Int) throws -> TextureMap {
        guard image.width == width, image.height == height else {
            throw RenderError.invalidTexture("background is \(image.width)×\(image.height), the render is \(width)×\(height)")
        }
        return TextureMap(image: rgb(image))
    }
}

extension Preview {
    /// Colours for `TexelStatus` in `visibility(_:size:)`: visible white, outside the charts
    /// black, back-facing blue, occluded red, out of frame yellow.
    public static let statusColours: [TexelStatus: SIMD3<UInt8>] = [
        .visible: [255, 255, 255], .outsideCharts: [0, 0, 0], .backFacing: [60, 90, 200],
        .occluded: [220, 50, 40], .outOfFrame: [230, 200, 40],
    ]

    /// A d×d RGB picture of an unwrapped texture's texel statuses (see `statusColours`).
    public static func visibility(_ unwrapped: UnwrappedTexture) -> Image {
        let d = unwrapped.texture.width
        var out = Image(width: d, height: unwrapped.texture.height, channels: 3)
        for (k, status) in unwrapped.status.enumerated() {
            let colour = statusColours[status] ?? [0, 0, 0]
            for c in 0..<3 { out.pixels[3 * k + c] = colour[c] }
        }
        return out
    }
}
