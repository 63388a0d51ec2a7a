/// Why a photo or a fit cannot go ahead; every case has a user-readable description.
public enum FitError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLandmarkCount(Int)
    case nonFiniteLandmarks
    case degenerateLandmarks(eyeCornerDistance: Float)
    case modelWithoutLandmarks
    case noPhotos
    case missingInput(String)
    case diverged(String)
    case wrongIdentityCount(Int, expected: Int)

    /// A stable machine-readable code for reports and ledgers.
    public var code: String {
        switch self {
        case .wrongLandmarkCount: return "wrong-landmark-count"
        case .nonFiniteLandmarks: return "non-finite-landmarks"
        case .degenerateLandmarks: return "degenerate-landmarks"
        case .modelWithoutLandmarks: return "model-without-landmarks"
        case .noPhotos: return "no-photos"
        case .missingInput: return "missing-input"
        case .diverged: return "diverged"
        case .wrongIdentityCount: return "wrong-identity-count"
        }
    }

    public var description: String {
        switch self {
        case let .wrongLandmarkCount(n): return "fitting needs 68 landmarks, got \(n)"
        case .nonFiniteLandmarks: return "a landmark coordinate is not a finite number"
        case let .degenerateLandmarks(d):
            return "the outer eye corners are \(d) px apart: the landmarks do not describe a usable face"
        case .modelWithoutLandmarks: return "the face model has no 68-point landmark embedding"
        case .noPhotos: return "no photo with a usable face to fit"
        case let .missingInput(path): return "\(path) does not exist"
        case let .diverged(why): return "the fit diverged: \(why)"
        case let .wrongIdentityCount(n, expected):
            return "the identity has \(n) coefficients; the face model has \(expected)"
        }
    }
}
