/// A per-texel image in UV space: `channels` floats per texel, row-major, row 0 at the TOP
/// (v = 1), so it can be written out as an ordinary image. `coverage[p]` is 1 where a triangle
/// covers texel p.
public struct UVMap: Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var values: [Float]
    public var coverage: [UInt8]

    public subscript(x: Int, y: Int, c: Int) -> Float { values[(y * width + x) * channels + c] }
}

/// Rasterises per-vertex values over the model's UV triangles with barycentric interpolation.
/// Texel (x, y) has its centre at u = (x + ½)/W, v = 1 − (y + ½)/H; a texel is covered when its
/// centre lies inside (or on the edge of) a UV triangle; seams give a vertex several UV positions.
public enum UVRasterizer {
    /// Shapes: `values` N×channels per vertex → size×size×channels.
    public static func rasterize(_ values: [Float], channels: Int, model: MorphableModel, size: Int) -> UVMap {
        var map = UVMap(width: size, height: size, channels: channels,
                        values: [Float](repeating: 0, count: size * size * channels), coverage: [UInt8](repeating: 0, count: size * size))
        guard model.uvTriangles.count == model.triangles.count else { return map }
        let s = Float(size)
        for f in 0..<model.triangleCount {
            let corners = (0..<3).map { c -> SIMD2<Float> in
                let t = Int(model.uvTriangles[3 * f + c])
                return SIMD2(model.uvs[2 * t] * s, (1 - model.uvs[2 * t + 1]) * s)
            }
            let vertices = (0..<3).map { Int(model.triangles[3 * f + $0]) }
            fill(&map, corners, vertices, values)
        }
        return map
    }

    private static func fill(_ map: inout UVMap, _ p: [SIMD2<Float>], _ vertices: [Int], _ values: [Float]) {
        let area = edge(p[0], p[1], p[2])
        guard abs(area) > 1e-12 else { return }
        let lo = SIMD2(min(p[0].x, p[1].x, p[2].x), min(p[0].y, p[1].y, p[2].y))
        let hi = SIMD2(max(p[0].x, p[1].x, p[2].x), max(p[0].y, p[1].y, p[2].y))
        let x0 = max(0, Int((lo.x - 0.5).rounded(.up))), x1 = min(map.width - 1, Int((hi.x - 0.5).rounded(.down)))
        let y0 = max(0, Int((lo.y - 0.5).rounded(.up))), y1 = min(map.height - 1, Int((hi.y - 0.5).rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        let c = map.channels
        for y in y0...y1 {
            for x in x0...x1 {
                let q = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                let b0 = edge(p[1], p[2], q) / area, b1 = edge(p[2], p[0], q) / area
                let b2 = 1 - b0 - b1
                guard b0 >= -1e-6, b1 >= -1e-6, b2 >= -1e-6 else { continue }
                let texel = y * map.width + x
                map.coverage[texel] = 1
                for k in 0..<c {
                    map.values[texel * c + k] = b0 * values[vertices[0] * c + k] + b1 * values[vertices[1] * c + k]
                        + b2 * values[vertices[2] * c + k]
                }
            }
        }
    }

    /// Twice the signed area of (a, b, q).
    @inline(__always) private static func edge(_ a: SIMD2<Float>, _ b: SIMD2<Float>, _ q: SIMD2<Float>) -> Float {
        (b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x)
    }
}
