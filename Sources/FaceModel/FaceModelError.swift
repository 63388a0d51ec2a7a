/// Typed errors of the face-model module, each with a message a user can act on.
public enum FaceModelError: Error, Equatable, CustomStringConvertible {
    /// An array of the model has the wrong size.
    case inconsistentModel(String)
    /// A parameter vector does not fit the model.
    case badParameters(String)
    /// A coefficient outside the values it may take (`MorphableModel.checkRanges`).
    case outOfRange(coefficient: String, value: Float, range: ClosedRange<Float>, unit: String)
    /// A file could not be read or parsed.
    case unreadableFile(path: String, reason: String)
    /// A required entry is missing from a model file or folder.
    case missingEntry(path: String, entry: String)

    public var description: String {
        switch self {
        case .inconsistentModel(let m): return "Inconsistent morphable model: \(m)"
        case .badParameters(let m): return "Bad face parameters: \(m)"
        case let .outOfRange(coefficient, value, range, unit):
            return "\(coefficient) = \(value) is outside \(range.lowerBound)…\(range.upperBound) (\(unit))"
        case .unreadableFile(let path, let reason): return "Cannot read \(path): \(reason)"
        case .missingEntry(let path, let entry): return "\(path) has no \(entry)"
        }
    }
}
