/// A dense Jacobian of surface points with respect to the flat parameters [β, ψ, θ]
/// (column order of `FaceCode.flat`): `rows`×`columns`, row-major.
///
/// For 3D points row 3p + c is coordinate c of point p; for projected points row 2p + c is image
/// coordinate c.
public struct FaceJacobian: Sendable {
    public var rows: Int
    public let identityCount: Int
    public let expressionCount: Int
    public let poseCount: Int
    public var values: [Float]

    public var columns: Int { identityCount + expressionCount + poseCount }
    public var identityColumns: Range<Int> { 0..<identityCount }
    public var expressionColumns: Range<Int> { identityCount..<(identityCount + expressionCount) }
    public var poseColumns: Range<Int> { (identityCount + expressionCount)..<columns }

    public init(rows: Int, identityCount: Int, expressionCount: Int, poseCount: Int) {
        self.rows = rows
        self.identityCount = identityCount
        self.expressionCount = expressionCount
        self.poseCount = poseCount
        values = [Float](repeating: 0, count: rows * (identityCount + expressionCount + poseCount))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }
}

/// The Jacobian of projected points: `parameters` (2P rows, columns [β, ψ, θ]) and `camera`
/// (2P×3, columns ∂/∂s, ∂/∂tₓ, ∂/∂t_y).
public struct ProjectedJacobian: Sendable {
    public var points: [SIMD2<Float>]
    public var parameters: FaceJacobian
    public var camera: [Float]
}

/// A linear combination of vertices, e.g. a landmark's barycentric embedding or a single vertex.
public struct SurfaceCombination: Sendable, Equatable {
    public var vertices: [Int]
    public var weights: [Float]

    public init(vertices: [Int], weights: [Float]) {
        self.vertices = vertices
        self.weights = weights
    }

    public static func vertex(_ i: Int) -> SurfaceCombination { SurfaceCombination(vertices: [i], weights: [1]) }
}

extension MorphableModel {
    /// The vertex combination of a landmark embedding.
    public func combination(_ e: LandmarkEmbedding) -> SurfaceCombination {
        let f = 3 * Int(e.triangle)
        return SurfaceCombination(vertices: (0..<3).map { Int(triangles[f + $0]) },
                                  weights: [e.barycentric.x, e.barycentric.y, e.barycentric.z])
    }
}

extension FaceEvaluator {
    /// Analytic ∂x/∂[β, ψ, θ] of posed surface points x = Σ ωᵥ vᵥ, at the code `output` came from.
    ///
    /// With M_v = Σⱼ w_vj R^G_j, relative offsets aⱼ = Σ_{k ∈ chain(j)} (R^G_{par k} − R^G_k) J_k
    /// (linear in the rest joints, R^G_{par root} = I) and E_vk = Σⱼ w_vj (R^G_{par k} − R^G_k)[k ∈ chain(j)]:
    ///     ∂v/∂β = M_v B_id[v] + Σ_k E_vk (R_J B_id)[k]          (likewise ψ with B_exp)
    ///     ∂v/∂θ_{q,c} = Ω_{qc} × (Σ_{j ∈ subtree q} w_vj x_vj − s_vq t^G_q) + M_v B_pose[v] vec(∂R_q/∂θ_{q,c})
    /// where Ω_{qc} = R^G_{par q} ω_{qc} is joint q's angular velocity in the world (`Rodrigues`),
    /// x_vj = R^G_j P_v + a_j the vertex moved by joint j alone, s_vq the weight of q's subtree.
    public func jacobian(of points: [SurfaceCombination], at output: FaceOutput, code: FaceCode) -> FaceJacobian {
        var jac = FaceJacobian(rows: 3 * points.count, identityCount: model.identityCount,
                               expressionCount: model.expressionCount, poseCount: 3 * jointCount)
        let frame = JacobianFrame(self, output.skeleton, code)
        for (p, point) in points.enumerated() {
            for (v, omega) in zip(point.vertices, point.weights) where omega != 0 {
                accumulateVertex(v, weight: omega, row: 3 * p, frame: frame, output: output, into: &jac)
            }
        }
        return jac
    }

    /// ∂(68 landmarks)/∂[β, ψ, θ], 204 rows.
    public func landmarkJacobian(at output: FaceOutput, code: FaceCode) -> FaceJacobian {
        jacobian(of: model.landmarks.map { model.combination($0) }, at: output, code: code)
    }

    /// The 68 landmarks in the image and their Jacobian (136 rows) — what Gauss–Newton fitting uses.
    public func projectedLandmarkJacobian(at output: FaceOutput, code: FaceCode, camera: OrthoCamera) -> ProjectedJacobian {
        project(output.landmarks, jacobian: landmarkJacobian(at: output, code: code), camera: camera)
    }

    /// Projects 3D points and their Jacobian through an orthographic camera: rows (2p, 2p+1).
    public func project(_ points: [SIMD3<Float>], jacobian jac: FaceJacobian, camera: OrthoCamera) -> ProjectedJacobian {
        var out = FaceJacobian(rows: 2 * points.count, identityCount: jac.identityCount,
                               expressionCount: jac.expressionCount, poseCount: jac.poseCount)
        var cameraColumns = [Float](repeating: 0, count: 2 * points.count * 3)
        let (rx, ry) = camera.projectionRows
        let cols = jac.columns
        for p in points.indices {
            for col in 0..<cols {
                let d = SIMD3(jac[3 * p, col], jac[3 * p + 1, col], jac[3 * p + 2, col])
                out[2 * p, col] = dot(rx, d)
                out[2 * p + 1, col] = dot(ry, d)
            }
            let c = camera.cameraSpace(points[p])
            cameraColumns[6 * p] = c.x; cameraColumns[6 * p + 1] = 1
            cameraColumns[6 * p + 3] = -c.y; cameraColumns[6 * p + 5] = 1
        }
        return ProjectedJacobian(points: points.map(camera.project), parameters: out, camera: cameraColumns)
    }

    private func accumulateVertex(_ v: Int, weight omega: Float, row: Int, frame: JacobianFrame,
                                  output: FaceOutput, into jac: inout FaceJacobian) {
        let sk = output.skeleton
        let entries = (Int(skinStart[v])..<Int(skinStart[v + 1])).map { (Int(skinJoint[$0]), skinWeight[$0]) }
        var m = Mat3.zero
        var e = [Mat3](repeating: .zero, count: jointCount)
        for (j, w) in entries {
            m = m + w * sk.globalRotations[j]
            for k in 0..<jointCount where ancestorOrSelf[k * jointCount + j] { e[k] = e[k] + w * frame.chainTerm[k] }
        }
        let rows = [m.r0, m.r1, m.r2].map { omega * $0 }
        let eRows = e.map { [omega * $0.r0, omega * $0.r1, omega * $0.r2] }
        addShapeBlock(row: row, vertex: v, rows: rows, chainRows: eRows, basis: model.identityBasis,
                      regressed: jointIdentity, count: model.identityCount, offset: 0, into: &jac)
        addShapeBlock(row: row, vertex: v, rows: rows, chainRows: eRows, basis: model.expressionBasis,
                      regressed: jointExpression, count: model.expressionCount, offset: model.identityCount, into: &jac)
        addPoseBlock(row: row, vertex: v, weight: omega, m: m, entries: entries, frame: frame, output: output, into: &jac)
    }

    /// Adds ω (M B[v] + Σ_k E_k (R_J B)[k]) into the columns of β or ψ.
    private func addShapeBlock(row: Int, vertex v: Int, rows: [SIMD3<Float>], chainRows: [[SIMD3<Float>]],
                               basis: [Float], regressed: [Float], count: Int, offset: Int, into jac: inout FaceJacobian) {
        guard count > 0 else { return }
        let cols = jac.columns
        jac.values.withUnsafeMutableBufferPointer { out in
            for c in 0..<3 {
                let dst = (row + c) * cols + offset
                for c2 in 0..<3 where rows[c][c2] != 0 {
                    let a = rows[c][c2], src = (3 * v + c2) * count
                    for k in 0..<count { out[dst + k] += a * basis[src + k] }
                }
                for joint in 0..<jointCount {
                    for c2 in 0..<3 where chainRows[joint][c][c2] != 0 {
                        let a = chainRows[joint][c][c2], src = (3 * joint + c2) * count
                        for k in 0..<count { out[dst + k] += a * regressed[src + k] }
                    }
                }
            }
        }
    }

    /// Adds ω ∂v/∂θ into the pose columns.
    private func addPoseBlock(row: Int, vertex v: Int, weight omega: Float, m: Mat3, entries: [(Int, Float)],
                              frame: JacobianFrame, output: FaceOutput, into jac: inout FaceJacobian) {
        let sk = output.skeleton
        let p = SIMD3(output.unposed[3 * v], output.unposed[3 * v + 1], output.unposed[3 * v + 2])
        let base = model.identityCount + model.expressionCount
        let features = 9 * (jointCount - 1)
        for q in 0..<jointCount {
            var y = SIMD3<Float>.zero, s: Float = 0
            for (j, w) in entries where ancestorOrSelf[q * jointCount + j] {
                y += w * (sk.globalRotations[j] * p + sk.offsets[j])
                s += w
            }
            let lever = y - s * sk.posedJoints[q]
            for c in 0..<3 {
                var d = cross(frame.worldAngular[3 * q + c], lever)
                if q > 0, !model.poseCorrectives.isEmpty {
                    let dR = frame.rotationDerivative[3 * q + c].flat
                    var local = SIMD3<Float>.zero
                    for c2 in 0..<3 {
                        let src = (3 * v + c2) * features + 9 * (q - 1)
                        var acc: Float = 0
                        for t in 0..<9 { acc += model.poseCorrectives[src + t] * dR[t] }
                        local[c2] = acc
                    }
                    d += m * local
                }
                for r in 0..<3 { jac[row + r, base + 3 * q + c] += omega * d[r] }
            }
        }
    }
}

/// Per-call quantities of the posed skeleton the vertex Jacobians share.
struct JacobianFrame {
    /// R^G_{par k} − R^G_k per joint k (R^G_{par root} = I).
    var chainTerm: [Mat3]
    /// Ω_{qc} = R^G_{par q} ω_{qc}, 3 per joint.
    var worldAngular: [SIMD3<Float>]
    /// ∂R_q/∂θ_{q,c}, 3 per joint.
    var rotationDerivative: [Mat3]

    init(_ evaluator: FaceEvaluator, _ sk: PosedSkeleton, _ code: FaceCode) {
        let joints = evaluator.model.joints
        chainTerm = []
        worldAngular = []
        rotationDerivative = []
        for (k, joint) in joints.enumerated() {
            let parent = joint.parent >= 0 ? sk.globalRotations[joint.parent] : Mat3.identity
            chainTerm.append(parent - sk.globalRotations[k])
            let theta = code.rotation(ofJoint: k)
            let omegas = Rodrigues.angularJacobian(theta, rotation: sk.localRotations[k])
            for w in omegas {
                worldAngular.append(parent * w)
                rotationDerivative.append(Mat3.skew(w) * sk.localRotations[k])
            }
        }
    }
}
