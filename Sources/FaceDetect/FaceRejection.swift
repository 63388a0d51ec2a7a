import Foundation

/// Why a photo cannot be used for reconstruction. The daemon records these per photo.
public enum FaceRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// The detector found no face.
    case noFace
    /// The chosen face is narrower than the usable minimum (`FaceFrontEnd.minimumFaceWidth`,
    /// 64 px: below it the 256×256 crop is upsampled 4× and detail is gone).
    case faceTooSmall(width: Float, minimum: Float)
    /// The chosen face's landmarks fall outside the photo: the face is cut by the border.
    case faceCutByBorder(pointsOutside: Int)
    /// Several faces and none dominant: the largest-and-most-central face does not score at least
    /// `FaceFrontEnd.dominanceRatio` times the next one. `boxes` are the comparable faces (the
    /// best first, then every face scoring more than `1/dominanceRatio` of it) as the detector
    /// found them, in photo pixels, so the user can see which faces clash.
    case severalFaces(boxes: [FaceBox])

    /// A stable machine-readable code for ledgers.
    public var code: String {
        switch self {
        case .noFace: return "no-face"
        case .faceTooSmall: return "face-too-small"
        case .faceCutByBorder: return "face-cut-by-border"
        case .severalFaces: return "several-faces"
        }
    }

    public var description: String {
        switch self {
        case .noFace: return "no face found in the photo"
        case let .faceTooSmall(width, minimum):
            return "the face is too small (\(Int(width)) px across, at least \(Int(minimum)) px needed)"
        case let .faceCutByBorder(n): return "the face is cut by the photo's border (\(n) landmarks outside)"
        case let .severalFaces(boxes):
            let at = boxes.map { b in
                "[x \(Int(b.left.rounded())), y \(Int(b.top.rounded())), \(Int(b.width.rounded()))×\(Int(b.height.rounded()))]"
            }.joined(separator: ", ")
            return "\(boxes.count) faces of comparable size and centrality at \(at): cannot tell whose photo it is"
        }
    }
}
