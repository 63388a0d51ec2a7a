import Checksum

/// SHA-256 of a model's arrays, so two bundles can tell they used the same model
/// (`ModelInfo.contentHash`), with the Checksum module's SHA-256.
public enum ContentHash {
    /// Hex SHA-256 over template, triangles, UVs, bases, skeleton and landmark embedding.
    public static func of(_ m: MorphableModel) -> String {
        var h = SHA256()
        for array in [m.template, m.uvs, m.identityBasis, m.expressionBasis, m.jointRegressor, m.skinWeights, m.poseCorrectives] {
            array.withUnsafeBytes { h.update($0) }
        }
        for array in [m.triangles, m.uvTriangles] { array.withUnsafeBytes { h.update($0) } }
        for l in m.landmarks {
            withUnsafeBytes(of: l.triangle) { h.update($0) }
            withUnsafeBytes(of: l.barycentric) { h.update($0) }
        }
        h.update(Array(m.expressionNames.joined(separator: "\n").utf8))
        return SHA256.hexString(h.finalize())
    }
}
