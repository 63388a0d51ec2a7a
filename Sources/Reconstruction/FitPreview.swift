import FaceModel
import Imaging
import Render

/// The preview contact sheet of a fit: per photo, the fitted mesh (grey, SH-shaded) blended at
/// half opacity over the photo, the detected landmarks in green and the fitted model's landmarks in
/// red; with a texture, beside it the fitted head rendered with that texture under the photo's
/// light over white (what the bundle's texture looks like from the photo's view); tiles scaled to `tileHeight` and laid out `columns` to a row. With `showPhoto` false the
/// photo is replaced by white (a preview that can be shared without the photo).
public enum FitPreview {
    public static func tile(photo: Image, mesh: RenderMesh, camera: OrthoCamera, detected: [SIMD2<Float>],
                            fitted: [SIMD2<Float>], showPhoto: Bool = true, texture: TextureMap? = nil,
                            light: SphericalHarmonics = .studio) throws -> Image {
        var base = photo.converted(channels: 3)
        if !showPhoto { base.pixels = [UInt8](repeating: 255, count: base.pixels.count) }
        let render = try Preview.grey(mesh: mesh, camera: camera, width: base.width, height: base.height, background: base)
        var mixed = base
        for i in mixed.pixels.indices { mixed.pixels[i] = UInt8((Int(base.pixels[i]) + Int(render.pixels[i])) / 2) }
        let radius = max(1, base.width / 200)
        let withDetected = Preview.landmarks(on: mixed, points: detected, colour: [40, 230, 60], radius: radius)
        let overlay = Preview.landmarks(on: withDetected, points: fitted, colour: [240, 40, 40], radius: radius)
        guard let texture else { return overlay }
        let white = Image(width: base.width, height: base.height, channels: 3, pixels: [UInt8](repeating: 255, count: base.pixels.count))
        let textured = try Preview.textured(mesh: mesh, albedo: texture, camera: camera, width: base.width, height: base.height,
                                            lighting: light, background: white)
        return Preview.contactSheet([overlay, textured], gap: 0)
    }

    /// Tiles in a grid, each scaled to `tileHeight` pixels high.
    public static func sheet(_ tiles: [Image], tileHeight: Int = 240, columns: Int = 6) -> Image {
        let scaled = tiles.map { t -> Image in
            let w = max(1, t.width * tileHeight / max(t.height, 1))
            return t.resized(width: w, height: tileHeight)
        }
        let rows = stride(from: 0, to: scaled.count, by: max(1, columns)).map {
            Preview.contactSheet(Array(scaled[$0..<min($0 + columns, scaled.count)]), gap: 4)
        }
        return stackVertically(rows)
    }

    static func stackVertically(_ rows: [Image]) -> Image {
        let width = rows.map(\.width).max() ?? 1, height = max(1, rows.map(\.height).reduce(0, +))
        var out = Image(width: width, height: height, channels: 3, pixels: [UInt8](repeating: 255, count: width * height * 3))
        var y0 = 0
        for row in rows {
            for y in 0..<row.height {
                for x in 0..<row.width { for c in 0..<3 { out[x, y0 + y, c] = row[x, y, c] } }
            }
            y0 += row.height
        }
        return out
    }
}
