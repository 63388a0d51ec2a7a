import FaceDetect

extension LandmarkFitter {
    /// The 68 landmarks of the model fitted to a photo's detected landmarks, for landmark
    /// evaluation (`likeness eval landmarks --source fit`): the fitted model's projected points,
    /// jaw line as matched by the fitter's boundary mode (`FitSettings.boundary`: Eq. 1 or
    /// landmark marching), in the detections' pixel frame.
    ///
    /// Only landmarks drive the fit (no photometric term), so the photo itself is not needed.
    /// - Throws: `FitError` when the detections are unusable.
    public func fittedLandmarks(detected: [Point2]) throws -> [Point2] {
        try fit(FitTargets(detected)).landmarks.map { Point2($0.x, $0.y) }
    }
}

/// A `LandmarkSource` for FaceDetect's evaluation: detections from `detections` (the detector and
/// dlib's 68-point model), then the model fitted to them; the fitted model's landmarks are scored.
/// Named `fit-silhouette` or `fit-marching` after the boundary mode (the paper's ablation rows).
public struct FittedLandmarkSource: LandmarkSource {
    public let detections: LandmarkSource
    public let fitter: LandmarkFitter

    public init(detections: LandmarkSource, fitter: LandmarkFitter) {
        self.detections = detections
        self.fitter = fitter
    }

    public var name: String { "fit-\(fitter.settings.boundary.rawValue)" }

    /// nil when no face was detected or the detections cannot be fitted.
    public func landmarks(for query: LandmarkQuery) throws -> [Point2]? {
        guard let detected = try detections.landmarks(for: query) else { return nil }
        return try? fitter.fittedLandmarks(detected: detected)
    }
}
