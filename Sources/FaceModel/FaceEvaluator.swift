import COpenBLAS

/// A morphable model prepared for fast, repeated evaluation (FLAME's `lbs`).
///
///     S₀ = T + B_id β + B_exp ψ                       (cblas_sgemv on transposed bases, zero
///                                                     coefficients skipped)
///     J  = R_J T + (R_J B_id) β + (R_J B_exp) ψ      (regressed bases precomputed: J·3×K)
///     P  = S₀ + B_pose f(θ),  f(θ) = vec(R(θⱼ) − I), j ≥ 1
///     vᵢ = Σⱼ wᵢⱼ (R^G_j Pᵢ + aⱼ)                     (sparse skinning weights)
/// then area-weighted normals and barycentric landmarks. Immutable after `init`, so one evaluator
/// can be shared across threads.
public final class FaceEvaluator: @unchecked Sendable {
    public let model: MorphableModel
    let n: Int
    let jointCount: Int
    /// Bases transposed to K×3N, so a coefficient's column is contiguous.
    let identityT: [Float]
    let expressionT: [Float]
    /// R_J T (3J), R_J B_id (3J×Kβ), R_J B_exp (3J×Kψ), row-major.
    let jointTemplate: [Float]
    let jointIdentity: [Float]
    let jointExpression: [Float]
    /// CSR skinning weights: vertex i uses entries skinStart[i]..<skinStart[i+1].
    let skinStart: [Int32]
    let skinJoint: [Int32]
    let skinWeight: [Float]
    /// ancestorOrSelf[q·J + j] is true when joint q is on the chain from the root to joint j.
    let ancestorOrSelf: [Bool]

    public init(model: MorphableModel) throws {
        try model.validate()
        self.model = model
        n = model.vertexCount
        jointCount = model.joints.count
        identityT = transpose(model.identityBasis, rows: 3 * n, columns: model.identityCount)
        expressionT = transpose(model.expressionBasis, rows: 3 * n, columns: model.expressionCount)
        jointTemplate = regress(model.jointRegressor, joints: jointCount, vertices: n, basis: model.template, columns: 1)
        jointIdentity = regress(model.jointRegressor, joints: jointCount, vertices: n,
                                basis: model.identityBasis, columns: model.identityCount)
        jointExpression = regress(model.jointRegressor, joints: jointCount, vertices: n,
                                  basis: model.expressionBasis, columns: model.expressionCount)
        var start: [Int32] = [0], joint: [Int32] = [], weight: [Float] = []
        for i in 0..<n {
            for j in 0..<jointCount where model.skinWeights[i * jointCount + j] != 0 {
                joint.append(Int32(j))
                weight.append(model.skinWeights[i * jointCount + j])
            }
            start.append(Int32(joint.count))
        }
        skinStart = start
        skinJoint = joint
        skinWeight = weight
        var chain = [Bool](repeating: false, count: jointCount * jointCount)
        for j in 0..<jointCount {
            var q = j
            while q >= 0 { chain[q * jointCount + j] = true; q = model.joints[q].parent }
        }
        ancestorOrSelf = chain
    }

    /// Checks a code's sizes against the model.
    public func check(_ code: FaceCode) throws {
        guard code.identity.count <= model.identityCount, code.expression.count <= model.expressionCount,
              code.pose.count <= 3 * jointCount else {
            throw FaceModelError.badParameters(
                "the model takes at most \(model.identityCount) identity, \(model.expressionCount) expression and \(3 * jointCount) pose numbers; got \(code.identity.count), \(code.expression.count), \(code.pose.count)")
        }
        guard (code.identity + code.expression + code.pose).allSatisfy({ $0.isFinite }) else {
            throw FaceModelError.badParameters("a parameter is not finite")
        }
    }

    /// Evaluates vertices, normals and landmarks for `code` (sizes checked by `check`).
    public func evaluate(_ code: FaceCode) throws -> FaceOutput {
        try check(code)
        var shaped = model.template
        shaped.withUnsafeMutableBufferPointer { s in
            addBlend(basisT: identityT, rowLength: 3 * n, coefficients: code.identity, into: s.baseAddress!)
            addBlend(basisT: expressionT, rowLength: 3 * n, coefficients: code.expression, into: s.baseAddress!)
        }
        let skeleton = pose(code)
        addPoseCorrectives(skeleton, into: &shaped)
        let vertices = skin(shaped, skeleton)
        let normals = vertexNormals(vertices, triangles: model.triangles)
        let landmarks = model.landmarks.map { surfacePoint($0, in: vertices) }
        return FaceOutput(vertices: vertices, normals: normals, landmarks: landmarks, unposed: shaped, skeleton: skeleton)
    }

    /// Rest joints J(β, ψ) and the posed kinematic chain.
    func pose(_ code: FaceCode) -> PosedSkeleton {
        var rest = [SIMD3<Float>](repeating: .zero, count: jointCount)
        for j in 0..<jointCount {
            for c in 0..<3 {
                let row = 3 * j + c
                var value = jointTemplate[row]
                for (k, b) in code.identity.enumerated() where b != 0 {
                    value += jointIdentity[row * model.identityCount + k] * b
                }
                for (k, e) in code.expression.enumerated() where e != 0 {
                    value += jointExpression[row * model.expressionCount + k] * e
                }
                rest[j][c] = value
            }
        }
        let local = (0..<jointCount).map { Rodrigues.matrix(code.rotation(ofJoint: $0)) }
        var global = local, posed = rest, offsets = rest
        for j in 0..<jointCount {
            let p = model.joints[j].parent
            if p >= 0 {
                global[j] = global[p] * local[j]
                posed[j] = posed[p] + global[p] * (rest[j] - rest[p])
            }
            offsets[j] = posed[j] - global[j] * rest[j]
        }
        return PosedSkeleton(restJoints: rest, localRotations: local, globalRotations: global,
                             posedJoints: posed, offsets: offsets)
    }

    /// P += B_pose f(θ), skipped when the model has no correctives or every non-root joint is at rest.
    func addPoseCorrectives(_ skeleton: PosedSkeleton, into shaped: inout [Float]) {
        guard !model.poseCorrectives.isEmpty, jointCount > 1 else { return }
        var feature = [Float]()
        feature.reserveCapacity(9 * (jointCount - 1))
        for j in 1..<jointCount { feature += (skeleton.localRotations[j] - .identity).flat }
        guard feature.contains(where: { $0 != 0 }) else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(3 * n), Int32(feature.count), 1,
                    model.poseCorrectives, Int32(feature.count), feature, 1, 1, &shaped, 1)
    }

    /// vᵢ = Σⱼ wᵢⱼ (R^G_j Pᵢ + aⱼ).
    func skin(_ unposed: [Float], _ skeleton: PosedSkeleton) -> [Float] {
        var out = [Float](repeating: 0, count: 3 * n)
        let rotations = skeleton.globalRotations, offsets = skeleton.offsets
        if jointCount == 1 || isRigid(skeleton) {
            let r = rotations[0], a = offsets[0]
            for i in 0..<n {
                let v = r * SIMD3(unposed[3 * i], unposed[3 * i + 1], unposed[3 * i + 2]) + a
                out[3 * i] = v.x; out[3 * i + 1] = v.y; out[3 * i + 2] = v.z
            }
            return out
        }
        for i in 0..<n {
            var m = Mat3.zero, a = SIMD3<Float>.zero
            for e in Int(skinStart[i])..<Int(skinStart[i + 1]) {
                let j = Int(skinJoint[e]), w = skinWeight[e]
                m = m + w * rotations[j]
                a += w * offsets[j]
            }
            let v = m * SIMD3(unposed[3 * i], unposed[3 * i + 1], unposed[3 * i + 2]) + a
            out[3 * i] = v.x; out[3 * i + 1] = v.y; out[3 * i + 2] = v.z
        }
        return out
    }

    /// True when every joint moves with the root (all non-root local rotations are the identity),
    /// so skinning is one rigid transform.
    func isRigid(_ skeleton: PosedSkeleton) -> Bool {
        skeleton.localRotations.dropFirst().allSatisfy { $0 == .identity }
    }
}

/// y += Bᵀ c for a K×M basis Bᵀ (row k = mode k, M = `rowLength`), skipping zero coefficients:
/// one sgemv when most coefficients are non-zero, otherwise one saxpy per non-zero coefficient.
func addBlend(basisT: [Float], rowLength: Int, coefficients: [Float], into y: UnsafeMutablePointer<Float>) {
    let k = coefficients.count
    let nonZero = coefficients.indices.filter { coefficients[$0] != 0 }
    guard !nonZero.isEmpty else { return }
    basisT.withUnsafeBufferPointer { b in
        if nonZero.count * 2 > k {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(rowLength), 1, b.baseAddress!, Int32(rowLength),
                        coefficients, 1, 1, y, 1)
        } else {
            for i in nonZero {
                cblas_saxpy(Int32(rowLength), coefficients[i], b.baseAddress! + i * rowLength, 1, y, 1)
            }
        }
    }
}

/// The transpose of a rows×columns row-major matrix.
func transpose(_ a: [Float], rows: Int, columns: Int) -> [Float] {
    var t = [Float](repeating: 0, count: a.count)
    for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = a[r * columns + c] } }
    return t
}

/// R_J applied per coordinate to a (3N)×columns basis: returns (3J)×columns, row 3j+c = Σᵢ R_J[j,i] B[3i+c,:].
func regress(_ regressor: [Float], joints: Int, vertices n: Int, basis: [Float], columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: 3 * joints * columns)
    guard columns > 0 else { return out }
    for j in 0..<joints {
        for i in 0..<n {
            let w = regressor[j * n + i]
            if w == 0 { continue }
            for c in 0..<3 {
                let src = (3 * i + c) * columns, dst = (3 * j + c) * columns
                for k in 0..<columns { out[dst + k] += w * basis[src + k] }
            }
        }
    }
    return out
}

/// The point of the surface at a landmark embedding: Σ bᵢ v_{f,i}.
func surfacePoint(_ e: LandmarkEmbedding, in vertices: [Float], triangles: [Int32]) -> SIMD3<Float> {
    var p = SIMD3<Float>.zero
    for corner in 0..<3 {
        let v = Int(triangles[3 * Int(e.triangle) + corner])
        p += e.barycentric[corner] * SIMD3(vertices[3 * v], vertices[3 * v + 1], vertices[3 * v + 2])
    }
    return p
}

extension FaceEvaluator {
    func surfacePoint(_ e: LandmarkEmbedding, in vertices: [Float]) -> SIMD3<Float> {
        FaceModel.surfacePoint(e, in: vertices, triangles: model.triangles)
    }
}

extension MorphableModel {
    /// One-off evaluation; build a `FaceEvaluator` once for repeated use.
    public func evaluate(_ code: FaceCode) throws -> FaceOutput {
        try FaceEvaluator(model: self).evaluate(code)
    }
}
