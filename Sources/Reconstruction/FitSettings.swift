/// How the 17 jaw-line landmarks are matched to the model (the paper's ablation, Table 1).
public enum BoundaryMode: String, Sendable, Codable, CaseIterable {
    /// Eq. 1, the silhouette vertex re-projection loss: a visible zero-pose boundary landmark k̃ᵢ is
    /// matched directly, an occluded one to the nearest projected silhouette vertex (nose and ears
    /// excluded); correspondences are re-selected every iteration.
    case silhouette
    /// FLAME/DECA dynamic contour ("landmark marching"): landmarks 0–16 re-embedded by head yaw.
    case marching
}

/// Weights and schedule of landmark fitting. Residuals are in units of the outer-eye-corner
/// distance (the NME normaliser), so one set of weights serves every photo size.
///
///     E = w_in² Σ_{i≥17} |u_i − k_i|²/σ² + w_b² L_b + w_sp² Σ_{(a,b)} |(u_a − u_b) − (k_a − k_b)|²/σ²
///       + λ_β² |β|² + λ_ψ² |ψ|² + λ_jaw² |θ_jaw|²       (per photo; β shared across photos)
/// with u the model's projected points, k the detected landmarks, σ = |k₃₆ − k₄₅|, L_b the boundary
/// term (Eq. 1 or marching, squared Euclidean distance d) and (a, b) the eyelid and lip pairs of L_spL.
public struct FitSettings: Sendable, Codable, Equatable {
    public var boundary: BoundaryMode = .silhouette
    /// w_in, the inner landmarks 17–67.
    public var innerWeight: Float = 1
    /// w_b, the jaw line 0–16 (annotations along the silhouette are noisier than inner points).
    public var boundaryWeight: Float = 0.7
    /// w_sp, L_spL's eyelid and lip opening pairs.
    public var pairWeight: Float = 1
    /// λ_β: identity coefficients are in standard deviations; λ_β ≈ the landmark noise in NME
    /// units (≈ 0.02) would make the fit a MAP estimate under a unit Gaussian prior; half that fits
    /// AFW better (Docs/fit) while keeping β within a few σ.
    public var identityPrior: Float = 0.01
    /// λ_ψ.
    public var expressionPrior: Float = 0.01
    /// λ_jaw on the jaw joint's opening angle (rotation about x, radians); the sideways and twisting
    /// components get `jawSidePrior`, since a jaw mostly hinges.
    public var jawPrior: Float = 0.05
    public var jawSidePrior: Float = 0.5
    /// Bounds on every expression coefficient, applied after each step (projected Levenberg–Marquardt).
    /// nil: unbounded (FLAME's ψ in standard deviations); `LandmarkFitter` uses 0…1 for models with
    /// ARKit-named blendshapes, whose coefficients are blendshape weights.
    public var expressionBounds: ClosedRange<Float>? = nil
    /// Levenberg–Marquardt iterations with every parameter free.
    public var iterations: Int = 25
    /// Iterations with only camera and head rotation free, before the full fit.
    public var rigidIterations: Int = 6
    /// Stop when an accepted step lowers the energy by less than this fraction.
    public var tolerance: Float = 1e-5

    public init() {}

    public init(boundary: BoundaryMode) { self.boundary = boundary }
}
