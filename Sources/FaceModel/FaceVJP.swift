import COpenBLAS

/// The vector–Jacobian product of the posed vertices: the backward pass of `FaceEvaluator.evaluate`
/// for a whole mesh, without forming the (3N × (Kβ+Kψ+3J)) Jacobian.
///
/// Forward (see `FaceEvaluator`):
///
///     S₀ = T + B_id β + B_exp ψ,   J = R_J S₀,   P = S₀ + B_pose f(θ),   f(θ) = vec(R(θⱼ) − I), j ≥ 1
///     G₀ = R₀, t₀ = J₀;   Gⱼ = G_p Rⱼ, tⱼ = t_p + G_p (Jⱼ − J_p)   (p the parent of j)
///     aⱼ = tⱼ − Gⱼ Jⱼ,   vᵢ = Mᵢ Pᵢ + Σⱼ wᵢⱼ aⱼ,   Mᵢ = Σⱼ wᵢⱼ Gⱼ
///
/// Backward, for g = ∂L/∂v (N×3):
///
///     ∂L/∂Pᵢ = Mᵢᵀ gᵢ                                       (3N)
///     ∂L/∂Gⱼ ← Σᵢ wᵢⱼ gᵢ Pᵢᵀ,   ∂L/∂aⱼ = Σᵢ wᵢⱼ gᵢ
///     ∂L/∂β = B_idᵀ ∂L/∂P + (R_J B_id)ᵀ ∂L/∂J               (one sgemv each; likewise ψ)
///     ∂L/∂f = B_poseᵀ ∂L/∂P                                 (pose correctives, when the model has them)
/// then the kinematic chain in reverse (children before parents):
///     aⱼ:  ∂tⱼ += ∂aⱼ,  ∂Gⱼ −= ∂aⱼ Jⱼᵀ,  ∂Jⱼ −= Gⱼᵀ ∂aⱼ
///     tⱼ:  ∂t_p += ∂tⱼ,  ∂G_p += ∂tⱼ (Jⱼ − J_p)ᵀ,  ∂Jⱼ += G_pᵀ ∂tⱼ,  ∂J_p −= G_pᵀ ∂tⱼ
///     Gⱼ:  ∂G_p += ∂Gⱼ Rⱼᵀ,  ∂Rⱼ = G_pᵀ ∂Gⱼ                 (root: ∂J₀ += ∂t₀, ∂R₀ = ∂G₀)
/// and ∂L/∂θⱼ,c = ⟨∂Rⱼ + mat(∂L/∂fⱼ), [ω_c]× Rⱼ⟩ (Frobenius; ∂R/∂θ_c = [ω_c]× R, `Rodrigues`).
/// Cost per face: two sgemv over the bases and O(N·skin entries) for the skinning.
extension FaceEvaluator {
    /// ∂L/∂[β, ψ, θ] for `vertexGradient` = ∂L/∂v (N×3, the layout of `FaceOutput.vertices`) at the
    /// code `output` came from. The result has the model's full sizes (Kβ, Kψ, 3J).
    public func vertexGradient(_ vertexGradient: UnsafePointer<Float>, at output: FaceOutput, code: FaceCode) -> FaceCode {
        let sk = output.skeleton
        let jc = jointCount
        // ∂L/∂P, ∂L/∂G_j (skinning part) and ∂L/∂a_j.
        var gP = [Float](repeating: 0, count: 3 * n)
        var gG = [Mat3](repeating: .zero, count: jc)
        var gA = [SIMD3<Float>](repeating: .zero, count: jc)
        output.unposed.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let g = SIMD3(vertexGradient[3 * i], vertexGradient[3 * i + 1], vertexGradient[3 * i + 2])
                if g == .zero { continue }
                let pi = SIMD3(p[3 * i], p[3 * i + 1], p[3 * i + 2])
                let outer = Mat3(rows: g.x * pi, g.y * pi, g.z * pi)
                var m = Mat3.zero
                for e in Int(skinStart[i])..<Int(skinStart[i + 1]) {
                    let j = Int(skinJoint[e]), w = skinWeight[e]
                    m = m + w * sk.globalRotations[j]
                    gG[j] = gG[j] + w * outer
                    gA[j] += w * g
                }
                let mg = m.transposed * g
                gP[3 * i] = mg.x; gP[3 * i + 1] = mg.y; gP[3 * i + 2] = mg.z
            }
        }
        // Pose correctives: ∂L/∂f = B_poseᵀ ∂L/∂P.
        var gLocal = [Mat3](repeating: .zero, count: jc)
        if !model.poseCorrectives.isEmpty, jc > 1 {
            let features = 9 * (jc - 1)
            var gf = [Float](repeating: 0, count: features)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(3 * n), Int32(features), 1, model.poseCorrectives,
                        Int32(features), gP, 1, 0, &gf, 1)
            for j in 1..<jc {
                let o = 9 * (j - 1)
                gLocal[j] = Mat3(rows: SIMD3(gf[o], gf[o + 1], gf[o + 2]), SIMD3(gf[o + 3], gf[o + 4], gf[o + 5]),
                                 SIMD3(gf[o + 6], gf[o + 7], gf[o + 8]))
            }
        }
        // The kinematic chain in reverse.
        var gT = [SIMD3<Float>](repeating: .zero, count: jc)
        var gJ = [SIMD3<Float>](repeating: .zero, count: jc)
        for j in 0..<jc {
            gT[j] += gA[j]
            let rest = sk.restJoints[j], a = gA[j]
            gG[j] = gG[j] - Mat3(rows: a.x * rest, a.y * rest, a.z * rest)
            gJ[j] -= sk.globalRotations[j].transposed * a
        }
        for j in stride(from: jc - 1, through: 0, by: -1) {
            let p = model.joints[j].parent
            guard p >= 0 else {
                gJ[j] += gT[j]
                gLocal[j] = gLocal[j] + gG[j]
                continue
            }
            let gp = sk.globalRotations[p], gpT = gp.transposed
            let d = sk.restJoints[j] - sk.restJoints[p], t = gT[j]
            gT[p] += t
            gG[p] = gG[p] + Mat3(rows: t.x * d, t.y * d, t.z * d)
            let back = gpT * t
            gJ[j] += back
            gJ[p] -= back
            gG[p] = gG[p] + gG[j] * sk.localRotations[j].transposed
            gLocal[j] = gLocal[j] + gpT * gG[j]
        }
        // θ through Rodrigues.
        var pose = [Float](repeating: 0, count: 3 * jc)
        for j in 0..<jc {
            let derivatives = Rodrigues.derivatives(code.rotation(ofJoint: j), rotation: sk.localRotations[j])
            let g = gLocal[j]
            for c in 0..<3 {
                let d = derivatives[c]
                pose[3 * j + c] = dot(g.r0, d.r0) + dot(g.r1, d.r1) + dot(g.r2, d.r2)
            }
        }
        // β and ψ: the bases on ∂L/∂P and the regressed bases on ∂L/∂J.
        var flatJ = [Float](repeating: 0, count: 3 * jc)
        for j in 0..<jc { flatJ[3 * j] = gJ[j].x; flatJ[3 * j + 1] = gJ[j].y; flatJ[3 * j + 2] = gJ[j].z }
        func project(_ basisT: [Float], _ regressed: [Float], _ k: Int) -> [Float] {
            var out = [Float](repeating: 0, count: k)
            guard k > 0 else { return out }
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(k), Int32(3 * n), 1, basisT, Int32(3 * n), gP, 1, 0, &out, 1)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(3 * jc), Int32(k), 1, regressed, Int32(k), flatJ, 1, 1, &out, 1)
            return out
        }
        return FaceCode(identity: project(identityT, jointIdentity, model.identityCount),
                        expression: project(expressionT, jointExpression, model.expressionCount), pose: pose)
    }
}
