/// The values a face's coefficients may take, so a command refuses what no face looks like
/// instead of exporting or rendering it silently.
extension MorphableModel {
    /// β is in standard deviations of the identity prior; beyond ±5σ (about one in 1.7 million
    /// per mode) a mode no longer describes a real face.
    public static let identityRange: ClosedRange<Float> = -5...5

    /// True when the expression coefficients are blendshape weights (ARKit names, as in the
    /// embedded head and ICT-FaceKit) rather than FLAME-style ψ in standard deviations.
    public var expressionsAreBlendshapeWeights: Bool { expressionNames.contains("jawOpen") }

    /// 0…1 for blendshape weights, ±5σ for ψ in standard deviations.
    public var expressionRange: ClosedRange<Float> { expressionsAreBlendshapeWeights ? 0...1 : -5...5 }

    /// Throws `FaceModelError.outOfRange` for the first coefficient outside its range (or not
    /// finite): identity coefficients are named β0, β1, …, expressions by their names.
    public func checkRanges(identity: [Float] = [], expression: [Float] = []) throws {
        for (k, value) in identity.enumerated() where !(value.isFinite && MorphableModel.identityRange.contains(value)) {
            throw FaceModelError.outOfRange(coefficient: "β\(k)", value: value, range: MorphableModel.identityRange,
                                            unit: "standard deviations")
        }
        for (k, value) in expression.enumerated() where !(value.isFinite && expressionRange.contains(value)) {
            throw FaceModelError.outOfRange(coefficient: k < expressionCount ? expressionNames[k] : "ψ\(k)", value: value,
                                            range: expressionRange,
                                            unit: expressionsAreBlendshapeWeights ? "blendshape weight" : "standard deviations")
        }
    }
}
