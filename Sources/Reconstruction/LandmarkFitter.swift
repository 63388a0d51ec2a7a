import COpenBLAS
import Foundation
import FaceModel
import Tensor

/// Fits a morphable model to detected 68-point landmarks: per photo camera (s, t), head rotation,
/// jaw and expression ψ, and one identity β shared by all photos given together.
///
/// The energy (see `FitSettings`) is minimised by Levenberg–Marquardt on the analytic Jacobians of
/// FaceModel. The normal equations are block-structured: photo i's own parameters lᵢ couple only to
/// β, so with Jᵢ = [J_βᵢ | J_lᵢ]
///
///     [ A    B₁ … Bₙ ] [δβ ]     [g_β ]      A  = Σ J_βᵢᵀJ_βᵢ + n λ_β² I,  Bᵢ = J_βᵢᵀJ_lᵢ
///     [ B₁ᵀ  C₁      ] [δl₁]  = −[g_l₁]      Cᵢ = J_lᵢᵀJ_lᵢ,  g = Jᵀr
///     [ ⋮        ⋱   ] [ ⋮ ]     [ ⋮  ]
/// and δβ comes from the Schur complement S = A − Σ Bᵢ Cᵢ⁻¹ Bᵢᵀ, then δlᵢ = −Cᵢ⁻¹(g_lᵢ + Bᵢᵀ δβ).
/// Marquardt's damping scales each diagonal entry by (1 + μ). Jaw-line correspondences (Eq. 1 or
/// landmark marching) are re-selected at every evaluated state. A single photo is the case n = 1.
public final class LandmarkFitter: @unchecked Sendable {
    public let evaluator: FaceEvaluator
    public let settings: FitSettings
    let layout: LocalLayout
    let correspondence: BoundaryCorrespondence

    /// - Throws: `FitError.modelWithoutLandmarks` for a model without 68 landmarks; FaceModel's
    ///   errors for an invalid model. For `.marching` a model without contour tables gets generated ones.
    public init(model: MorphableModel, settings: FitSettings = FitSettings()) throws {
        guard model.landmarks.count == 68 else { throw FitError.modelWithoutLandmarks }
        var model = model
        if settings.boundary == .marching, model.dynamicContour == nil {
            model.dynamicContour = ContourTables.make(for: model)
        }
        evaluator = try FaceEvaluator(model: model)
        var settings = settings
        if settings.expressionBounds == nil, model.expressionsAreBlendshapeWeights { settings.expressionBounds = model.expressionRange }
        self.settings = settings
        layout = LocalLayout(model: model)
        correspondence = BoundaryCorrespondence(model: model, mode: settings.boundary)
    }

    /// Fits one photo with its own identity.
    public func fit(_ targets: FitTargets) throws -> PhotoFit {
        try fitShared([targets]).photos[0]
    }

    /// Fits several photos of one person with one shared identity β.
    ///
    /// `starts` (one per photo), when given, replace the rigid initialisation: a network's
    /// estimates, which the fit then refines; the shared β starts at their per-coefficient median.
    public func fitShared(_ targets: [FitTargets], from starts: [(code: FaceCode, camera: OrthoCamera)]? = nil) throws -> SharedIdentityFit {
        guard !targets.isEmpty else { throw FitError.noPhotos }
        let start = Date()
        let zero = [Float](repeating: 0, count: evaluator.model.identityCount)
        var identity = zero
        var states: [PhotoState]
        if let starts, starts.count == targets.count {
            identity = zero.indices.map { k in
                let v = starts.map { $0.code.identity[k] }.sorted()
                return (v[(v.count - 1) / 2] + v[v.count / 2]) / 2
            }
            states = starts.map { s in
                var code = s.code
                code.identity = identity
                return PhotoState(code: code, camera: s.camera)
            }
        } else {
            states = try concurrentMap(targets) { try RigidInitialisation.initialState(self.evaluator, targets: $0, identity: zero) }
        }
        return try schedule(targets, states: states, identity: identity, identityFree: evaluator.model.identityCount > 0, start: start)
    }

    /// Fits one photo with a known identity β held fixed (a person's shared identity): camera,
    /// head rotation, jaw and ψ only, with the same schedule as `fit`.
    public func fit(_ targets: FitTargets, identity fixed: [Float]) throws -> PhotoFit {
        guard fixed.count == evaluator.model.identityCount else {
            throw FitError.wrongIdentityCount(fixed.count, expected: evaluator.model.identityCount)
        }
        let state = try RigidInitialisation.initialState(evaluator, targets: targets, identity: fixed)
        return try schedule([targets], states: [state], identity: fixed, identityFree: false, start: Date()).photos[0]
    }

    /// The fit's schedule from given states: rigid steps, then every local parameter free (and β
    /// when `identityFree`); the final residuals make the per-photo results.
    private func schedule(_ targets: [FitTargets], states initial: [PhotoState], identity initialIdentity: [Float],
                          identityFree: Bool, start: Date) throws -> SharedIdentityFit {
        var states = initial, identity = initialIdentity
        var iterations = try minimise(targets, states: &states, identity: &identity, free: layout.rigidColumns,
                                      identityFree: false, iterations: settings.rigidIterations)
        iterations += try minimise(targets, states: &states, identity: &identity, free: Array(0..<layout.count),
                                   identityFree: identityFree, iterations: settings.iterations)
        let finals = try concurrentMap(Array(zip(states, targets))) { try self.residuals(at: $0.0, targets: $0.1, withJacobian: false) }
        let seconds = Date().timeIntervalSince(start)
        let photos = zip(states, finals).map { state, final in
            PhotoFit(camera: state.camera, code: state.code, landmarks: final.projected, boundary: final.boundary,
                     energy: Float(final.energy), iterations: iterations, seconds: seconds / Double(targets.count))
        }
        return SharedIdentityFit(identity: identity, photos: photos, energy: Float(totalEnergy(finals, identity)),
                                 iterations: iterations, seconds: seconds)
    }

    /// Refines one photo from a given estimate (a network's prediction) instead of the rigid
    /// initialisation: the same schedule as `fit` (rigid steps, then every parameter free, identity
    /// included with its prior), so the two differ only in where they start.
    public func refine(_ targets: FitTargets, code: FaceCode, camera: OrthoCamera) throws -> PhotoFit {
        try fitShared([targets], from: [(code, camera)]).photos[0]
    }

    /// Levenberg–Marquardt over the given free local columns (and β when `identityFree`).
    /// Returns the number of accepted steps.
    private func minimise(_ targets: [FitTargets], states: inout [PhotoState], identity: inout [Float],
                          free: [Int], identityFree: Bool, iterations: Int) throws -> Int {
        var current = try linearise(states, targets)
        var energy = totalEnergy(current, identity)
        var mu = 1e-3
        var accepted = 0
        var attempts = 0
        while accepted < iterations, attempts < 4 * iterations + 8 {
            attempts += 1
            guard let step = solveStep(current, identity: identity, free: free, identityFree: identityFree, mu: mu) else {
                mu *= 10; if mu > 1e10 { break }; continue
            }
            var trialIdentity = identity
            if let d = step.identity { for k in d.indices { trialIdentity[k] += Float(d[k]) } }
            let moved = states.indices.map { states[$0].moved(local: step.local[$0], identity: step.identity, layout: layout,
                                                      bounds: settings.expressionBounds) }
            guard moved.allSatisfy({ $0 != nil }) else { mu *= 10; continue }
            let trialStates = moved.map { $0! }
            let trial = try concurrentMap(Array(trialStates.indices)) {
                try self.residuals(at: trialStates[$0], targets: targets[$0], withJacobian: false, keeping: current[$0])
            }
            let trialEnergy = totalEnergy(trial, trialIdentity)
            if trialEnergy < energy, trialEnergy.isFinite {
                let decrease = (energy - trialEnergy) / max(energy, 1e-30)
                states = trialStates; identity = trialIdentity
                current = try linearise(states, targets)
                energy = totalEnergy(current, identity)
                accepted += 1
                mu = max(mu / 3, 1e-9)
                if decrease < Double(settings.tolerance) { break }
            } else {
                mu *= 4
                if mu > 1e10 { break }
            }
        }
        return accepted
    }

    /// Residuals and Jacobians of every photo (photos in parallel).
    private func linearise(_ states: [PhotoState], _ targets: [FitTargets]) throws -> [PhotoResiduals] {
        try concurrentMap(Array(zip(states, targets))) { try self.residuals(at: $0.0, targets: $0.1, withJacobian: true) }
    }

    /// Σᵢ (Eᵢ + λ_β²|β|²): the identity prior counts once per photo, as L_reg does in a per-image
    /// loss, so a shared β is no less regularised than a per-photo one.
    private func totalEnergy(_ photos: [PhotoResiduals], _ identity: [Float]) -> Double {
        let prior = Double(settings.identityPrior) * Double(photos.count).squareRoot()
        return photos.reduce(0) { $0 + $1.energy } + identity.reduce(0) { $0 + prior * prior * Double($1) * Double($1) }
    }

    /// The damped Gauss–Newton step by the Schur complement (see the type's doc comment); the
    /// per-photo blocks are built in parallel.
    private func solveStep(_ photos: [PhotoResiduals], identity: [Float], free: [Int], identityFree: Bool,
                           mu: Double) -> (identity: [Double]?, local: [[Double]])? {
        let kb = identityFree ? evaluator.model.identityCount : 0, kl = layout.count
        let isFree = (0..<kl).map { free.contains($0) }
        guard let blocks = try? concurrentMap(photos, { p -> NormalBlocks in
            guard let b = NormalBlocks(p, identityColumns: kb, free: isFree, mu: mu) else { throw FitError.diverged("singular") }
            return b
        }) else { return nil }
        var deltaBeta: [Double]? = nil
        if kb > 0 {
            let prior = Double(settings.identityPrior) * Double(settings.identityPrior) * Double(photos.count)
            var s = SymmetricMatrix(size: kb)
            var rhs = [Double](repeating: 0, count: kb)
            for k in 0..<kb { s[k, k] = prior; rhs[k] = prior * Double(identity[k]) }
            for blk in blocks {
                for i in 0..<(kb * kb) { s.values[i] += blk.a[i] }
                for i in 0..<kb { rhs[i] += blk.gb[i] }
                // S −= B C⁻¹ Bᵀ ; rhs −= B C⁻¹ g_l
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(kb), Int32(kb), Int32(kl), -1,
                            blk.b, Int32(kl), blk.cinvBt, Int32(kb), 1, &s.values, Int32(kb))
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(kb), Int32(kl), -1, blk.b, Int32(kl), blk.cinvG, 1, 1, &rhs, 1)
            }
            for k in 0..<kb { s[k, k] = s[k, k] * (1 + mu) + 1e-12 }
            guard let x = s.solve(rhs) else { return nil }
            deltaBeta = x.map { -$0 }
        }
        let local = blocks.map { blk -> [Double] in
            var v = blk.cinvG.map { -$0 }
            if let d = deltaBeta {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(kl), Int32(kb), -1, blk.cinvBt, Int32(kb), d, 1, 1, &v, 1)
            }
            return v
        }
        return (deltaBeta, local)
    }
}

/// One photo's blocks of the damped normal equations (row-major, Double):
/// Cᵢ = J_lᵀJ_l (damped, frozen columns replaced by identity rows), A = J_βᵀJ_β, B = J_βᵀJ_l,
/// g_β = J_βᵀr, and the Cholesky solves C⁻¹Bᵀ (L×Kβ) and C⁻¹g_l (L).
struct NormalBlocks {
    var a: [Double]
    var b: [Double]
    var gb: [Double]
    var cinvBt: [Double]
    var cinvG: [Double]

    init?(_ p: PhotoResiduals, identityColumns kb: Int, free: [Bool], mu: Double) {
        let kl = free.count, rows = Int32(p.rows)
        var c = SymmetricMatrix(size: kl)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(kl), Int32(kl), rows, 1,
                    p.localJacobian, Int32(kl), p.localJacobian, Int32(kl), 0, &c.values, Int32(kl))
        var gl = [Double](repeating: 0, count: kl)
        cblas_dgemv(CblasRowMajor, CblasTrans, rows, Int32(kl), 1, p.localJacobian, Int32(kl), p.residuals, 1, 0, &gl, 1)
        for k in 0..<kl {
            if free[k] { c[k, k] = c[k, k] * (1 + mu) + 1e-12 } else {
                for j in 0..<kl { c[k, j] = 0; c[j, k] = 0 }
                c[k, k] = 1; gl[k] = 0
            }
        }
        guard let factor = c.cholesky() else { return nil }
        cinvG = SymmetricMatrix.solve(factor: factor, n: kl, gl)
        a = [Double](repeating: 0, count: kb * kb)
        b = [Double](repeating: 0, count: kb * kl)
        gb = [Double](repeating: 0, count: kb)
        cinvBt = []
        guard kb > 0 else { return }
        let jb = p.identityJacobian
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(kb), Int32(kb), rows, 1,
                    jb, Int32(kb), jb, Int32(kb), 0, &a, Int32(kb))
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(kb), Int32(kl), rows, 1,
                    jb, Int32(kb), p.localJacobian, Int32(kl), 0, &b, Int32(kl))
        cblas_dgemv(CblasRowMajor, CblasTrans, rows, Int32(kb), 1, jb, Int32(kb), p.residuals, 1, 0, &gb, 1)
        for j in 0..<kl where !free[j] { for i in 0..<kb { b[i * kl + j] = 0 } }
        // C⁻¹Bᵀ by two triangular solves with the Cholesky factor L (C = L Lᵀ).
        var x = transposed(b, rows: kb, columns: kl)
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(kl), Int32(kb), 1,
                    factor, Int32(kl), &x, Int32(kb))
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, Int32(kl), Int32(kb), 1,
                    factor, Int32(kl), &x, Int32(kb))
        cinvBt = x
    }
}

func transposed(_ m: [Double], rows: Int, columns: Int) -> [Double] {
    var t = [Double](repeating: 0, count: m.count)
    for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = m[r * columns + c] } }
    return t
}

/// `map` over the two cores (work items are whole photos), rethrowing the first error.
func concurrentMap<T, U>(_ items: [T], _ body: (T) throws -> U) throws -> [U] {
    if items.count < 2 { return try items.map(body) }
    var results = [Result<U, Error>?](repeating: nil, count: items.count)
    results.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!
        Compute.concurrentPerform(iterations: items.count) { i in
            base[i] = Result { try body(items[i]) }
        }
    }
    return try results.map { try $0!.get() }
}
