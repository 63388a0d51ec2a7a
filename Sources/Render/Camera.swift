import FaceModel

/// The renderer uses FaceModel's `OrthoCamera`, the paper's camera c = (s, t) (§3.1):
///     u = s·Π(R v) + t,   Π(x, y, z) = (x, −y)
/// u is in **pixels** of the rendered image, x to the right and y **down** (model +y is up, hence
/// the flip), the top-left image corner at (0, 0) and pixel (i, j) covering [i, i+1)×[j, j+1),
/// centre (i+½, j+½). Depth is the camera-space z: larger is nearer the viewer. The renderer
/// rasterises and shades camera-space positions R·v (so SH lighting is fixed to the camera).
extension OrthoCamera {
    /// Projects N×3 model-space positions to N×2 pixel coordinates.
    public func project(positions: [Float]) -> [Float] {
        let count = positions.count / 3
        var out = [Float](repeating: 0, count: count * 2)
        for i in 0..<count {
            let u = project(SIMD3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]))
            out[2 * i] = u.x
            out[2 * i + 1] = u.y
        }
        return out
    }

    /// The camera (no rotation) that maps the x/y bounding box of `positions` into a
    /// `width`×`height` image, centred, with the larger side filling `fill` of the frame.
    public static func framing(positions: [Float], width: Int, height: Int, fill: Float = 0.8) -> OrthoCamera {
        var lo = SIMD2<Float>(repeating: .infinity), hi = SIMD2<Float>(repeating: -.infinity)
        for i in stride(from: 0, to: positions.count - 2, by: 3) {
            let p = SIMD2(positions[i], positions[i + 1])
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        guard lo.x <= hi.x else {
            return OrthoCamera(scale: 1, translation: SIMD2(Float(width), Float(height)) / 2)
        }
        let extent = hi - lo
        let scale = fill * min(Float(width) / max(extent.x, 1e-9), Float(height) / max(extent.y, 1e-9))
        let centre = (lo + hi) / 2
        let t = SIMD2(Float(width) / 2 - scale * centre.x, Float(height) / 2 + scale * centre.y)
        return OrthoCamera(scale: scale, translation: t)
    }

    /// The camera with the rotation removed (for camera-space positions R·v).
    var withoutRotation: OrthoCamera { OrthoCamera(scale: scale, translation: translation) }
}

extension RenderMesh {
    /// The mesh in camera space: positions R·v.
    func rotated(by r: Mat3) -> RenderMesh {
        if r == .identity { return self }
        var copy = self
        for i in 0..<vertexCount {
            let v = r * position(i)
            copy.positions[3 * i] = v.x
            copy.positions[3 * i + 1] = v.y
            copy.positions[3 * i + 2] = v.z
        }
        return copy
    }
}
