import FaceModel

/// One photo's fitted parameters and how well they match.
///
/// `landmarks` are the model's 68 points in the image (0-based pixels, y down) with the jaw line as
/// the fit matched it: for Eq. 1 the visible k̃ᵢ or the chosen silhouette vertex, for marching the
/// contour landmark. `energy` is this photo's share of the fitted energy (NME units squared).
public struct PhotoFit: Sendable, Codable {
    public init(camera: OrthoCamera, code: FaceCode, landmarks: [SIMD2<Float>], boundary: [BoundaryMatch], energy: Float, iterations: Int, seconds: Double) {
        self.camera = camera
        self.code = code
        self.landmarks = landmarks
        self.boundary = boundary
        self.energy = energy
        self.iterations = iterations
        self.seconds = seconds
    }

    public var camera: OrthoCamera
    public var code: FaceCode
    public var landmarks: [SIMD2<Float>]
    public var boundary: [BoundaryMatch]
    public var energy: Float
    public var iterations: Int
    /// Wall time of the fit divided by the number of photos fitted together.
    public var seconds: Double
}

/// A fit of several photos of one person: one identity β, per-photo pose, expression and camera.
public struct SharedIdentityFit: Sendable, Codable {
    public init(identity: [Float], photos: [PhotoFit], energy: Float, iterations: Int, seconds: Double) {
        self.identity = identity
        self.photos = photos
        self.energy = energy
        self.iterations = iterations
        self.seconds = seconds
    }

    public var identity: [Float]
    public var photos: [PhotoFit]
    public var energy: Float
    public var iterations: Int
    public var seconds: Double

    /// The person's neutral head: identity β with zero expression and pose.
    public func neutralCode(for model: MorphableModel) -> FaceCode {
        var code = FaceCode.neutral(for: model)
        code.identity = identity
        return code
    }
}
