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
