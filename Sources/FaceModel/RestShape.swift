import COpenBLAS

extension MorphableModel {
    /// S₀(β, ψ) = T + B_id β + B_exp ψ: the mesh at zero pose, where linear blend skinning is the
    /// identity — so it needs no skeleton (exporters use it for models still without a rig).
    /// Shapes: β ≤ Kβ, ψ ≤ Kψ (missing coefficients are zero) → N×3.
    public func restShape(identity: [Float] = [], expression: [Float] = []) throws -> [Float] {
        let n = template.count
        guard identity.count <= identityCount, expression.count <= expressionCount,
              identityBasis.count == n * identityCount, expressionBasis.count == n * expressionCount else {
            throw FaceModelError.badParameters(
                "the model takes \(identityCount) identity and \(expressionCount) expression coefficients (got \(identity.count), \(expression.count)), or its bases do not match its \(n / 3) vertices")
        }
        var out = template
        if !identity.isEmpty {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(identity.count), 1, identityBasis, Int32(identityCount),
                        identity, 1, 1, &out, 1)
        }
        if !expression.isEmpty {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(expression.count), 1, expressionBasis, Int32(expressionCount),
                        expression, 1, 1, &out, 1)
        }
        return out
    }

    /// J(β, ψ) = R_J · S₀: the joints' rest positions for a rest shape `shape` (N×3) → J points.
    public func restJoints(of shape: [Float]) -> [SIMD3<Float>] {
        let flat = regress(jointRegressor, joints: joints.count, vertices: vertexCount, basis: shape, columns: 1)
        return (0..<joints.count).map { SIMD3(flat[3 * $0], flat[3 * $0 + 1], flat[3 * $0 + 2]) }
    }
}
