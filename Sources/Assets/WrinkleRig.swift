import Foundation
import FaceModel
import Imaging
import Render

/// A tension-driven wrinkle rig: the person's neutral displacement map and, per blendshape that
/// wrinkles, the displacement at that blendshape's full weight and a mask of where it applies —
/// the practice of MetaHuman's and O3DE's wrinkle maps (per-blendshape masks whose weights are
/// driven by the morph-target weights), written as `wrinkles.json` (`Docs/wrinkles.md`).
///
/// All maps are d×d×1 in the embedded head's UV layout (texel (i, j) centre u = (i + ½)/d,
/// v = 1 − (j + ½)/d, `TextureMap`'s convention): displacements in metres along the normal,
/// masks in [0, 1]. The displacement at morph-target weights w (indexed like the GLB's targets,
/// i.e. the model's expressions ψ) is
///     D(w) = D_neutral + Σₖ c_k(clamp(w_{i(k)}, 0, 1)) · M_k ⊙ (D_k − D_neutral)
/// with c_k the wrinkle's weight curve and i(k) its morph-target index.
public struct WrinkleRig: Sendable {
    public var neutral: TextureMap
    public var wrinkles: [Wrinkle]

    public struct Wrinkle: Sendable {
        /// The blendshape's name (ARKit's, as in the GLB's `mesh.extras.targetNames`).
        public var blendshape: String
        /// Index of the blendshape among the GLB mesh's morph targets (= the model's expressions).
        public var morphTargetIndex: Int
        /// D_k: the displacement at the blendshape's full weight, d×d×1 metres.
        public var displacement: TextureMap
        /// M_k: where the wrinkle applies, d×d×1 in [0, 1].
        public var mask: TextureMap
        public var weightCurve: WeightCurve

        public init(blendshape: String, morphTargetIndex: Int, displacement: TextureMap, mask: TextureMap,
                    weightCurve: WeightCurve = .linear) {
            self.blendshape = blendshape
            self.morphTargetIndex = morphTargetIndex
            self.displacement = displacement
            self.mask = mask
            self.weightCurve = weightCurve
        }
    }

    /// c(w) for w ∈ [0, 1]: `linear` w, `smoothstep` 3w² − 2w³ (slow onset, as creases form).
    public enum WeightCurve: String, Codable, Sendable {
        case linear, smoothstep

        public func callAsFunction(_ weight: Float) -> Float {
            let w = min(max(weight, 0), 1)
            switch self {
            case .linear: return w
            case .smoothstep: return w * w * (3 - 2 * w)
            }
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// Maps of other sizes or channel counts, bad names or indices.
        case mismatch(String)
        /// A file of another format or version, or an encoding this reader does not know.
        case unsupported(String)

        public var description: String {
            switch self {
            case .mismatch(let why): return "wrinkle rig does not fit together: \(why)"
            case .unsupported(let why): return "unsupported wrinkle rig: \(why)"
            }
        }
    }

    /// Throws `Error.mismatch` unless the neutral map is d×d×1, every wrinkle's displacement and
    /// mask are too, names are unique file-name-safe words and indices unique and non-negative.
    public init(neutral: TextureMap, wrinkles: [Wrinkle]) throws {
        let d = neutral.width
        func check(_ map: TextureMap, _ what: String) throws {
            guard map.width == d, map.height == d, map.channels == 1 else {
                throw Error.mismatch("\(what) is \(map.width)×\(map.height)×\(map.channels), the rig is \(d)×\(d)×1")
            }
        }
        try check(neutral, "the neutral displacement")
        for wrinkle in wrinkles {
            try check(wrinkle.displacement, "\(wrinkle.blendshape)'s displacement")
            try check(wrinkle.mask, "\(wrinkle.blendshape)'s mask")
            guard wrinkle.morphTargetIndex >= 0 else { throw Error.mismatch("\(wrinkle.blendshape) has a negative morph-target index") }
            guard !wrinkle.blendshape.isEmpty, wrinkle.blendshape.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw Error.mismatch("blendshape name \"\(wrinkle.blendshape)\" is not a word of ASCII letters, digits and _")
            }
        }
        guard Set(wrinkles.map(\.blendshape)).count == wrinkles.count, Set(wrinkles.map(\.morphTargetIndex)).count == wrinkles.count else {
            throw Error.mismatch("a blendshape or morph target has two wrinkles")
        }
        self.neutral = neutral
        self.wrinkles = wrinkles
    }

    /// The texture size d.
    public var size: Int { neutral.width }

    /// D(w) (see the type's doc) for morph-target weights `weights` (a missing index weighs 0).
    public func blend(weights: [Float]) -> TextureMap {
        var out = neutral
        for wrinkle in wrinkles {
            let index = wrinkle.morphTargetIndex
            let c = wrinkle.weightCurve(index < weights.count ? weights[index] : 0)
            guard c > 0 else { continue }
            for t in out.data.indices {
                out.data[t] += c * wrinkle.mask.data[t] * (wrinkle.displacement.data[t] - neutral.data[t])
            }
        }
        return out
    }

    /// `blend(weights:)` with weights by blendshape name (names without a wrinkle are ignored).
    public func blend(named weights: [String: Float]) -> TextureMap {
        var byIndex = [Float](repeating: 0, count: (wrinkles.map(\.morphTargetIndex).max() ?? -1) + 1)
        for wrinkle in wrinkles { byIndex[wrinkle.morphTargetIndex] = weights[wrinkle.blendshape] ?? 0 }
        return blend(weights: byIndex)
    }
}

extension WrinkleRig {
    /// A preview sheet of the rig: for each of `expressions` (morph-target weights, as for
    /// `blend(weights:)`) the head posed by `mesh(weights)` rendered with D(w) bump-mapping its
    /// shading (`Preview.detailSheet`: grey when `albedo` is nil), side by side in order.
    public func previewSheet(expressions: [[Float]], mesh: ([Float]) throws -> RenderMesh, albedo: TextureMap? = nil,
                             camera: OrthoCamera? = nil, width: Int = 256, height: Int = 256) throws -> Image {
        let frames = try expressions.map { weights in (mesh: try mesh(weights), displacement: Optional(blend(weights: weights))) }
        return try Preview.detailSheet(frames, albedo: albedo, camera: camera, width: width, height: height)
    }
}
