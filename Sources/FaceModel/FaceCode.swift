/// The parameters of a morphable-model face: identity β, expression ψ and pose θ.
///
/// Shapes: `identity` Kβ, `expression` Kψ, `pose` 3·J (axis-angle in radians, one triple per joint
/// in the model's joint order: for FLAME global, neck, jaw, left eye, right eye). A shorter
/// identity or expression vector leaves the remaining coefficients at zero.
public struct FaceCode: Sendable, Equatable, Codable {
    public var identity: [Float]
    public var expression: [Float]
    public var pose: [Float]

    public init(identity: [Float], expression: [Float], pose: [Float]) {
        self.identity = identity
        self.expression = expression
        self.pose = pose
    }

    /// All-zero parameters: the template in its rest pose.
    public static func neutral(for model: MorphableModel) -> FaceCode {
        FaceCode(identity: [Float](repeating: 0, count: model.identityCount),
                 expression: [Float](repeating: 0, count: model.expressionCount),
                 pose: [Float](repeating: 0, count: 3 * model.joints.count))
    }

    /// The axis-angle rotation of joint `j`.
    public func rotation(ofJoint j: Int) -> SIMD3<Float> {
        guard 3 * j + 2 < pose.count else { return .zero }
        return SIMD3(pose[3 * j], pose[3 * j + 1], pose[3 * j + 2])
    }

    public mutating func setRotation(_ r: SIMD3<Float>, ofJoint j: Int) {
        if pose.count < 3 * j + 3 { pose += [Float](repeating: 0, count: 3 * j + 3 - pose.count) }
        pose[3 * j] = r.x
        pose[3 * j + 1] = r.y
        pose[3 * j + 2] = r.z
    }

    /// β kept, ψ and θ cleared: the code of Eq. 3's reference shape S' = S(β, 0, 0).
    public var neutralExpression: FaceCode {
        FaceCode(identity: identity, expression: [Float](repeating: 0, count: expression.count),
                 pose: [Float](repeating: 0, count: pose.count))
    }

    /// Flat parameter vector [β, ψ, θ] in the column order of `FaceJacobian`.
    public var flat: [Float] { identity + expression + pose }

    /// Inverse of `flat` for a model's sizes.
    public init(flat: [Float], identityCount: Int, expressionCount: Int) {
        identity = Array(flat[0..<identityCount])
        expression = Array(flat[identityCount..<(identityCount + expressionCount)])
        pose = Array(flat[(identityCount + expressionCount)...])
    }
}

/// The result of evaluating a model for one `FaceCode`.
///
/// Shapes: `vertices` and `normals` N×3 (posed, metres; normals unit length, area-weighted),
/// `landmarks` 68 points (3D, the model's static embedding; entries 0–16 are the zero-pose
/// boundary landmarks k̃ᵢ), `skeleton` the posed joints (kept so Jacobians reuse the forward pass).
public struct FaceOutput: Sendable {
    public var vertices: [Float]
    public var normals: [Float]
    public var landmarks: [SIMD3<Float>]
    /// S₀ + B_pose f(θ): the shaped, pose-corrected vertices before skinning, N×3.
    public var unposed: [Float]
    public var skeleton: PosedSkeleton

    public func vertex(_ i: Int) -> SIMD3<Float> {
        SIMD3(vertices[3 * i], vertices[3 * i + 1], vertices[3 * i + 2])
    }

    public func normal(_ i: Int) -> SIMD3<Float> {
        SIMD3(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2])
    }
}

/// A posed kinematic chain (FLAME's `batch_rigid_transform`).
///
/// For joint j with parent p: Gⱼ = G_p · [Rⱼ | Jⱼ − J_p], G₀ = [R₀ | J₀]. A vertex skinned to joint j
/// moves by x ↦ R^G_j x + aⱼ with aⱼ = t^G_j − R^G_j Jⱼ (the "relative" transform).
public struct PosedSkeleton: Sendable {
    /// Rest joint positions J(β, ψ).
    public var restJoints: [SIMD3<Float>]
    /// Local rotations R(θⱼ).
    public var localRotations: [Mat3]
    /// Global rotations R^G_j.
    public var globalRotations: [Mat3]
    /// Posed joint positions t^G_j.
    public var posedJoints: [SIMD3<Float>]
    /// Translations aⱼ of the relative transforms.
    public var offsets: [SIMD3<Float>]
}
