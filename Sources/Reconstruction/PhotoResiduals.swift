import FaceModel

/// One photo's weighted residuals and their Jacobian at a state, split into the shared identity
/// block and the photo's own block (rows × Kβ and rows × L, row-major, Double).
///
/// Rows, in order (σ the normaliser of `FitTargets`):
///     2 per landmark i:  w_i (uᵢ − kᵢ)/σ             (w_in for 17–67; w_b for 0–16 at the
///                                                     point `BoundaryCorrespondence` picked)
///     2 per L_spL pair:  w_sp ((u_a − u_b) − (k_a − k_b))/σ
///     Kψ:                λ_ψ ψ
///     3 (if a jaw):      (λ_jaw, λ_side, λ_side) ⊙ θ_jaw
/// The identity prior λ_β β is shared and added by the solver.
struct PhotoResiduals: Sendable {
    var residuals: [Double]
    var identityJacobian: [Double]
    var localJacobian: [Double]
    var rows: Int
    /// Σ r², this photo's share of the energy.
    var energy: Double
    /// The model's 68 points in the image as matched (jaw line per the boundary mode).
    var projected: [SIMD2<Float>]
    var boundary: [BoundaryMatch]
    /// The surface points the jaw-line landmarks were matched to.
    var boundaryPoints: [SurfaceCombination]
}

extension LandmarkFitter {
    /// Evaluates the model at `state`, re-selects the jaw-line correspondences and builds the
    /// residuals (and, when `withJacobian`, their analytic Jacobian).
    /// `keeping` reuses the jaw-line correspondences of an earlier evaluation (a trial step is judged
    /// on the correspondences it was computed with; they are re-selected once it is accepted).
    func residuals(at state: PhotoState, targets: FitTargets, withJacobian: Bool,
                   keeping previous: PhotoResiduals? = nil) throws -> PhotoResiduals {
        let output = try evaluator.evaluate(state.code)
        let model = evaluator.model
        let boundary = previous.map { Array(zip($0.boundaryPoints, $0.boundary)) }
            ?? correspondence.select(evaluator, output: output, camera: state.camera, targets: targets.points)
        let combinations = boundary.map { $0.0 } + model.landmarks[17...].map { model.combination($0) }
        let points3D = combinations.map { combination -> SIMD3<Float> in
            zip(combination.vertices, combination.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * output.vertex($1.0) }
        }
        let projected = points3D.map(state.camera.project)
        let pairCount = FitTargets.pairs.count
        let jawRows = layout.jawJoint == nil ? 0 : 3
        let rows = 2 * 68 + 2 * pairCount + layout.expressionCount + jawRows
        let kb = model.identityCount, kl = layout.count
        var r = [Double](repeating: 0, count: rows)
        var jb = [Double](repeating: 0, count: withJacobian ? rows * kb : 0)
        var jl = [Double](repeating: 0, count: withJacobian ? rows * kl : 0)
        let sigma = Double(targets.normaliser)
        let pointWeight = (0..<68).map { Double($0 < 17 ? settings.boundaryWeight : settings.innerWeight) / sigma }
        for i in 0..<68 {
            let e = projected[i] - targets.points[i]
            r[2 * i] = pointWeight[i] * Double(e.x)
            r[2 * i + 1] = pointWeight[i] * Double(e.y)
        }
        let pairWeight = Double(settings.pairWeight) / sigma
        for (p, (a, b)) in FitTargets.pairs.enumerated() {
            let e = (projected[a] - projected[b]) - (targets.points[a] - targets.points[b])
            r[136 + 2 * p] = pairWeight * Double(e.x)
            r[136 + 2 * p + 1] = pairWeight * Double(e.y)
        }
        let priorRow = 136 + 2 * pairCount
        for k in 0..<layout.expressionCount {
            r[priorRow + k] = Double(settings.expressionPrior) * Double(state.code.expression[k])
        }
        let jawWeights = [settings.jawPrior, settings.jawSidePrior, settings.jawSidePrior].map(Double.init)
        if let jaw = layout.jawJoint {
            for c in 0..<3 { r[priorRow + layout.expressionCount + c] = jawWeights[c] * Double(state.code.pose[3 * jaw + c]) }
        }
        if withJacobian {
            let jac = evaluator.jacobian(of: combinations, at: output, code: state.code)
            let proj = evaluator.project(points3D, jacobian: jac, camera: state.camera)
            fillPointRows(proj, weights: pointWeight, jb: &jb, jl: &jl)
            fillPairRows(proj, weight: pairWeight, jb: &jb, jl: &jl)
            for k in 0..<layout.expressionCount { jl[(priorRow + k) * kl + k] = Double(settings.expressionPrior) }
            if layout.jawJoint != nil {
                for c in 0..<3 {
                    jl[(priorRow + layout.expressionCount + c) * kl + layout.poseOffset + 3 + c] = jawWeights[c]
                }
            }
        }
        let energy = r.reduce(0) { $0 + $1 * $1 }
        return PhotoResiduals(residuals: r, identityJacobian: jb, localJacobian: jl, rows: rows, energy: energy,
                              projected: projected, boundary: boundary.map { $0.1 },
                              boundaryPoints: boundary.map { $0.0 })
    }

    /// ∂(image row)/∂[β | ψ, θ_active, s, t] of projected point row `row` (0 ≤ row < 136).
    private func derivative(_ proj: ProjectedJacobian, row: Int, identity: inout [Double], local: inout [Double]) {
        let jac = proj.parameters
        for k in 0..<evaluator.model.identityCount { identity[k] = Double(jac[row, k]) }
        for k in 0..<layout.expressionCount { local[k] = Double(jac[row, jac.identityCount + k]) }
        for (a, joint) in layout.joints.enumerated() {
            for c in 0..<3 { local[layout.poseOffset + 3 * a + c] = Double(jac[row, jac.poseColumns.lowerBound + 3 * joint + c]) }
        }
        for c in 0..<3 { local[layout.cameraOffset + c] = Double(proj.camera[3 * row + c]) }
    }

    private func fillPointRows(_ proj: ProjectedJacobian, weights: [Double], jb: inout [Double], jl: inout [Double]) {
        let kb = evaluator.model.identityCount, kl = layout.count
        var identity = [Double](repeating: 0, count: kb), local = [Double](repeating: 0, count: kl)
        for row in 0..<136 {
            derivative(proj, row: row, identity: &identity, local: &local)
            let w = weights[row / 2]
            for k in 0..<kb { jb[row * kb + k] = w * identity[k] }
            for k in 0..<kl { jl[row * kl + k] = w * local[k] }
        }
    }

    private func fillPairRows(_ proj: ProjectedJacobian, weight: Double, jb: inout [Double], jl: inout [Double]) {
        let kb = evaluator.model.identityCount, kl = layout.count
        var ia = [Double](repeating: 0, count: kb), la = [Double](repeating: 0, count: kl)
        var ib = ia, lb = la
        for (p, (a, b)) in FitTargets.pairs.enumerated() {
            for c in 0..<2 {
                derivative(proj, row: 2 * a + c, identity: &ia, local: &la)
                derivative(proj, row: 2 * b + c, identity: &ib, local: &lb)
                let row = 136 + 2 * p + c
                for k in 0..<kb { jb[row * kb + k] = weight * (ia[k] - ib[k]) }
                for k in 0..<kl { jl[row * kl + k] = weight * (la[k] - lb[k]) }
            }
        }
    }
}
