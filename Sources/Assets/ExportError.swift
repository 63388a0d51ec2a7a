/// Typed errors of mesh export.
public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// The model has no UVs, no triangles, or mismatched arrays.
    case unsuitableModel(String)
    /// Writing the file failed (assimp's or the file system's message).
    case writeFailed(path: String, reason: String)
    /// Re-reading an exported file failed.
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unsuitableModel(let m): return "Cannot export this model: \(m)"
        case .writeFailed(let path, let reason): return "Cannot write \(path): \(reason)"
        case .readFailed(let path, let reason): return "Cannot read back \(path): \(reason)"
        }
    }
}
