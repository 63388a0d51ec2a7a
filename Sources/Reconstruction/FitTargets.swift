import FaceDetect

/// The 68 detected landmarks a photo is fitted to (iBUG order, 0-based image pixels, y down) and
/// the normaliser σ = |k₃₆ − k₄₅| that turns pixel residuals into NME units.
public struct FitTargets: Sendable {
    public var points: [SIMD2<Float>]
    public var normaliser: Float

    /// Checks the count and that the outer eye corners are apart.
    public init(_ points: [SIMD2<Float>]) throws {
        guard points.count == 68 else { throw FitError.wrongLandmarkCount(points.count) }
        guard points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { throw FitError.nonFiniteLandmarks }
        let d = points[36] - points[45]
        let sigma = (d * d).sum().squareRoot()
        guard sigma >= 2 else { throw FitError.degenerateLandmarks(eyeCornerDistance: sigma) }
        self.points = points
        normaliser = sigma
    }

    public init(_ points: [Point2]) throws {
        try self.init(points.map { SIMD2($0.x, $0.y) })
    }

    /// The eyelid and lip pairs of L_spL (upper, lower): opening of both eyes and of the inner and
    /// outer lips, compared as differences so the term is translation invariant.
    public static let pairs: [(Int, Int)] = [
        (37, 41), (38, 40), (43, 47), (44, 46),
        (61, 67), (62, 66), (63, 65),
        (50, 58), (51, 57), (52, 56),
    ]
}
