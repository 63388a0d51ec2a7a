/// The data of a linear morphable head model with linear blend skinning — the layout FLAME,
/// ICT-FaceKit and the embedded Likeness head all load into.
///
/// Sizes: N vertices, F triangles, U UV coordinates, Kβ identity modes, Kψ expression modes,
/// J joints, P pose-corrective features. All arrays are flat and row-major; positions in metres,
/// +y up, +z towards the viewer (out of the face), right-handed.
///
/// Geometry before posing (FLAME's convention):
///     S₀(β, ψ) = T + B_id·β + B_exp·ψ                       (3N)
///     J(β, ψ)  = R_J · S₀                                  (J×3 joint rest positions)
///     S(β,ψ,θ) = LBS(S₀ + B_pose·f(θ), J, θ, W)             (3N)
/// where f(θ) = vec(R(θ_j) − I) over non-root joints (P = 9·(J−1)) and W the skinning weights.
/// Forward evaluation, normals, landmarks and Jacobians live in extensions next to this file.
public struct MorphableModel: Sendable {
    /// Identity and provenance, recorded in every bundle manifest.
    public var info: ModelInfo

    /// Neutral template T, N×3.
    public var template: [Float]
    /// Triangles, F×3 vertex indices, counter-clockwise seen from outside the head.
    public var triangles: [Int32]
    /// UV coordinates, U×2 in [0, 1], v = 0 at the bottom of the texture (OpenGL convention).
    public var uvs: [Float]
    /// Per-corner UV indices, F×3: seams give one vertex several UVs.
    public var uvTriangles: [Int32]

    /// Identity basis B_id, (3N)×Kβ row-major. β is in units of standard deviations.
    public var identityBasis: [Float]
    public var identityCount: Int
    /// Expression basis B_exp, (3N)×Kψ row-major; column k is blendshape `expressionNames[k]`
    /// at weight 1 (ARKit names where the model has them).
    public var expressionBasis: [Float]
    public var expressionNames: [String]

    /// Joints in topological order (a parent precedes its children); index 0 is the root.
    public var joints: [Joint]
    /// Joint regressor R_J, J×N row-major.
    public var jointRegressor: [Float]
    /// Skinning weights W, N×J row-major, rows summing to 1.
    public var skinWeights: [Float]
    /// Pose correctives B_pose, (3N)×P row-major, P = 9·(J−1); empty when the model has none.
    public var poseCorrectives: [Float]

    /// The 68-point landmark embedding in iBUG order (0–16 jaw line, 17–26 brows, 27–35 nose,
    /// 36–47 eyes, 48–67 mouth). Entries 0–16 are the zero-pose boundary landmarks k̃ᵢ of Eq. 1.
    public var landmarks: [LandmarkEmbedding]
    /// FLAME-style dynamic contour ("landmark marching") for landmarks 0–16, when available.
    public var dynamicContour: DynamicContour?
    /// Region label of each vertex, N entries.
    public var vertexRegions: [FaceRegion]

    public var vertexCount: Int { template.count / 3 }
    public var triangleCount: Int { triangles.count / 3 }
    public var expressionCount: Int { expressionNames.count }

    public init(info: ModelInfo, template: [Float], triangles: [Int32], uvs: [Float], uvTriangles: [Int32],
                identityBasis: [Float], identityCount: Int, expressionBasis: [Float], expressionNames: [String],
                joints: [Joint], jointRegressor: [Float], skinWeights: [Float], poseCorrectives: [Float],
                landmarks: [LandmarkEmbedding], dynamicContour: DynamicContour?, vertexRegions: [FaceRegion]) {
        self.info = info
        self.template = template
        self.triangles = triangles
        self.uvs = uvs
        self.uvTriangles = uvTriangles
        self.identityBasis = identityBasis
        self.identityCount = identityCount
        self.expressionBasis = expressionBasis
        self.expressionNames = expressionNames
        self.joints = joints
        self.jointRegressor = jointRegressor
        self.skinWeights = skinWeights
        self.poseCorrectives = poseCorrectives
        self.landmarks = landmarks
        self.dynamicContour = dynamicContour
        self.vertexRegions = vertexRegions
    }
}

/// Who made a model, which version, under which licence: every published bundle records it.
public struct ModelInfo: Sendable, Codable, Equatable {
    public var name: String
    public var version: String
    /// sha256 (hex) of the model's arrays, so two bundles can tell they used the same model.
    public var contentHash: String
    public var licence: String
    public var source: String

    public init(name: String, version: String, contentHash: String, licence: String, source: String) {
        self.name = name
        self.version = version
        self.contentHash = contentHash
        self.licence = licence
        self.source = source
    }
}

/// A skeleton joint; rotations are axis-angle in the parent's frame, 3 numbers per joint in θ.
public struct Joint: Sendable, Codable, Equatable {
    public var name: String
    /// Index of the parent joint, −1 for the root.
    public var parent: Int

    public init(name: String, parent: Int) {
        self.name = name
        self.parent = parent
    }
}

/// A point on the surface: triangle `triangle` at barycentric coordinates `barycentric`.
public struct LandmarkEmbedding: Sendable, Codable, Equatable {
    public var triangle: Int32
    public var barycentric: SIMD3<Float>

    public init(triangle: Int32, barycentric: SIMD3<Float>) {
        self.triangle = triangle
        self.barycentric = barycentric
    }
}

/// DECA/FLAME dynamic contour: for each head yaw (degrees, ascending), the 17 jaw-line embeddings.
public struct DynamicContour: Sendable, Codable, Equatable {
    public var yawDegrees: [Float]
    /// `yawDegrees.count` rows of 17 embeddings.
    public var embeddings: [[LandmarkEmbedding]]

    public init(yawDegrees: [Float], embeddings: [[LandmarkEmbedding]]) {
        self.yawDegrees = yawDegrees
        self.embeddings = embeddings
    }
}

/// Region labels. Eq. 1's mask Z excludes `.nose` and `.ears` from silhouette candidates.
/// `mouthInterior` is the mouth bag and gums; `teeth` and `tongue` are their own parts (raw values
/// appended, so stored labels keep their meaning).
public enum FaceRegion: UInt8, Sendable, Codable, CaseIterable {
    case face = 0, nose, ears, eyes, lips, scalp, neck, eyeballs, mouthInterior, teeth, tongue
}
