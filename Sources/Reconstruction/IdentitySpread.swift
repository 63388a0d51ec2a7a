import FaceModel

/// How consistent several identity estimates of one person are: the spread of β and of the neutral
/// heads S(β, 0, 0) they make.
///
///     β-spread    = √( 1/n Σᵢ |βᵢ − β̄|² )                      (standard deviations of the prior)
///     shape-spread = √( 1/(n·N) Σᵢ Σᵥ |Sᵥ(βᵢ) − Sᵥ(β̄)|² )       (metres, RMS over vertices)
/// with β̄ the mean estimate; the shape spread is linear in β, S(β̄) the mean of the shapes.
public struct IdentitySpread: Sendable, Codable, Equatable {
    public var count: Int
    public var betaRMS: Float
    public var shapeRMSMetres: Float

    public init(_ identities: [[Float]], model: MorphableModel) {
        count = identities.count
        let k = model.identityCount
        guard !identities.isEmpty, k > 0 else { betaRMS = 0; shapeRMSMetres = 0; return }
        var mean = [Float](repeating: 0, count: k)
        for beta in identities { for j in 0..<min(k, beta.count) { mean[j] += beta[j] / Float(identities.count) } }
        var betaSum: Float = 0, shapeSum: Double = 0
        let rows = 3 * model.vertexCount
        for beta in identities {
            let delta = (0..<k).map { j in (j < beta.count ? beta[j] : 0) - mean[j] }
            betaSum += delta.reduce(0) { $0 + $1 * $1 }
            for r in 0..<rows {
                var d: Float = 0
                for j in 0..<k where delta[j] != 0 { d += model.identityBasis[r * k + j] * delta[j] }
                shapeSum += Double(d * d)
            }
        }
        betaRMS = (betaSum / Float(identities.count)).squareRoot()
        shapeRMSMetres = Float((shapeSum / Double(identities.count * model.vertexCount)).squareRoot())
    }
}
