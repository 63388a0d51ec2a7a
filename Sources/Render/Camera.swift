/// The paper's orthographic camera c = (s, t) (§3.1, "Camera Model"): u = s·Π(v) + t.
///
/// Coordinates: v is a model-space point (metres, +x right, +y up, +z towards the viewer);
/// u is in **pixels** of the rendered image, x to the right and y **down**, with the image's
/// top-left corner at (0, 0) and pixel (i, j) covering [i, i+1)×[j, j+1) (centre (i+½, j+½)).
/// Because model +y is up and image y is down, Π flips y:
///
///     Π = [ 1  0  0 ]        u_x = s·v_x + t_x
///         [ 0 −1  0 ]        u_y = −s·v_y + t_y
///
/// Depth is v_z: larger z is nearer the viewer. Any head rotation R is applied to the vertices
/// before they reach the renderer (the renderer's gradients are with respect to R·v).
public struct OrthographicCamera: Sendable, Equatable, Codable {
    /// Isotropic scale s, pixels per model unit.
    public var scale: Float
    /// 2-D translation t, pixels.
    public var translation: SIMD2<Float>

    public init(scale: Float, translation: SIMD2<Float>) {
        self.scale = scale
        self.translation = translation
    }

    /// u = s·Π(v) + t.
    @inlinable public func project(_ v: SIMD3<Float>) -> SIMD2<Float> {
        SIMD2(scale * v.x + translation.x, -scale * v.y + translation.y)
    }

    /// Projects N×3 positions to N×2 pixel coordinates.
    public func project(positions: [Float]) -> [Float] {
        let count = positions.count / 3
        var out = [Float](repeating: 0, count: count * 2)
        for i in 0..<count {
            out[2 * i] = scale * positions[3 * i] + translation.x
            out[2 * i + 1] = -scale * positions[3 * i + 1] + translation.y
        }
        return out
    }

    /// The camera that maps the x/y bounding box of `positions` into a `width`×`height` image,
    /// centred, with the larger side filling `fill` of the frame.
    public static func framing(positions: [Float], width: Int, height: Int, fill: Float = 0.8)
        -> OrthographicCamera {
        var lo = SIMD2<Float>(repeating: .infinity), hi = SIMD2<Float>(repeating: -.infinity)
        for i in stride(from: 0, to: positions.count - 2, by: 3) {
            let p = SIMD2(positions[i], positions[i + 1])
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        guard lo.x <= hi.x else {
            return OrthographicCamera(scale: 1, translation: SIMD2(Float(width), Float(height)) / 2)
        }
        let extent = hi - lo
        let scale = fill * min(Float(width) / max(extent.x, 1e-9), Float(height) / max(extent.y, 1e-9))
        let centre = (lo + hi) / 2
        let t = SIMD2(Float(width) / 2 - scale * centre.x, Float(height) / 2 + scale * centre.y)
        return OrthographicCamera(scale: scale, translation: t)
    }
}
