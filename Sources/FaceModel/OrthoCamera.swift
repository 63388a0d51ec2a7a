/// The weak-perspective (scaled orthographic) camera of the paper and DECA:
///     u = s · Π(R v) + t,   Π(x, y, z) = (x, −y)
///
/// Image convention (shared with Render): x to the right, y DOWN, in pixels of the image the camera
/// describes. The model's +y is up, hence the sign flip of the second coordinate. +z points
/// towards the viewer, so a camera-space normal with n_z > 0 faces the camera.
public struct OrthoCamera: Sendable, Equatable, Codable {
    /// s, pixels per metre.
    public var scale: Float
    /// t, pixels.
    public var translation: SIMD2<Float>
    /// R, the camera rotation (identity when the global head rotation lives in θ, as in FLAME).
    public var rotation: Mat3

    public init(scale: Float, translation: SIMD2<Float>, rotation: Mat3 = .identity) {
        self.scale = scale
        self.translation = translation
        self.rotation = rotation
    }

    /// Camera-space point R v.
    public func cameraSpace(_ v: SIMD3<Float>) -> SIMD3<Float> { rotation * v }

    /// Image point of a model-space point.
    public func project(_ v: SIMD3<Float>) -> SIMD2<Float> {
        let c = rotation * v
        return SIMD2(scale * c.x, -scale * c.y) + translation
    }

    /// ∂u/∂v, the 2×3 Jacobian of `project` (rows for x and y).
    public var projectionRows: (SIMD3<Float>, SIMD3<Float>) {
        (scale * rotation.r0, -scale * rotation.r1)
    }
}
