import Foundation
import Imaging

/// Errors cutting a face crop.
public enum AlignmentError: Error, Equatable, CustomStringConvertible {
    case wrongPointCount(expected: Int, found: Int)
    case nonFinite

    public var description: String {
        switch self {
        case let .wrongPointCount(expected, found): return "alignment needs \(expected) landmarks, got \(found)"
        case .nonFinite: return "the landmarks or box hold non-finite coordinates"
        }
    }
}

/// A face cut out of a photo into the network's square input, with the map between the two.
public struct FaceCrop: Sendable {
    /// The crop, `size × size`, same channels as the photo.
    public var image: Image
    /// Photo → crop coordinates (0-based pixel centres on both sides).
    public var photoToCrop: Similarity2D
    /// The landmarks in crop coordinates (when the crop was made from landmarks).
    public var landmarks: [Point2]?

    /// Crop → photo coordinates.
    public var cropToPhoto: Similarity2D { photoToCrop.inverse }
    public func toPhoto(_ p: Point2) -> Point2 { cropToPhoto.apply(p) }
    public func toCrop(_ p: Point2) -> Point2 { photoToCrop.apply(p) }
}

/// Cuts aligned square face crops — the paper's 256×256 input — from photos.
///
/// The template is dlib's mean shape (the 68-point model's `meanShape`, in its box's unit frame)
/// scaled so that its bounding square fills `1/margin` of the crop and centred in it:
/// `t_i = (m_i − c) · size / (margin · s) + (size − 1)/2`, with `c` the centre and `s` the larger
/// side of the mean shape's bounding box. From landmarks, the crop is the least-squares
/// similarity (rotation, scale, shift) taking the 68 landmarks onto the template; from a box
/// (dlib's convention), it is the same placement the mean shape would have in that box, upright.
public struct FaceAligner: Sendable {
    public let size: Int
    public let margin: Float
    /// The 68 template points in crop coordinates.
    public let template: [Point2]
    /// Mean-shape frame → crop (maps the model's unit box into the crop).
    let unitToCrop: Similarity2D

    /// The paper's input size.
    public static let paperSize = 256

    public init(meanShape: [Float], size: Int = FaceAligner.paperSize, margin: Float = 1.25) {
        precondition(meanShape.count >= 4 && meanShape.count % 2 == 0, "a mean shape needs at least two points")
        let points = (0..<(meanShape.count / 2)).map { Point2(meanShape[2 * $0], meanShape[2 * $0 + 1]) }
        let box = FaceBox(enclosing: points)
        let side = max(box.right - box.left, box.bottom - box.top)
        let scale = Float(size) / (margin * side)
        let centre = Point2((box.left + box.right) / 2, (box.top + box.bottom) / 2)
        let half = Float(size - 1) / 2
        let unitToCrop = Similarity2D(a: scale, b: 0, tx: half - scale * centre.x, ty: half - scale * centre.y)
        self.unitToCrop = unitToCrop
        template = points.map { unitToCrop.apply($0) }
        self.size = size
        self.margin = margin
    }

    /// Photo → crop similarity from landmarks (as many as the template has).
    public func transform(landmarks: [Point2]) throws -> Similarity2D {
        guard landmarks.count == template.count else {
            throw AlignmentError.wrongPointCount(expected: template.count, found: landmarks.count)
        }
        guard landmarks.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { throw AlignmentError.nonFinite }
        return Similarity2D.fit(from: landmarks, to: template)
    }

    /// Photo → crop map from a box in dlib's convention: the unit frame of the box (as the 68-point
    /// model uses it, top-left corner (0,0), bottom-right (1,1)) goes where the template's frame is.
    /// A non-square box is treated as the square of its mean side about its centre.
    public func transform(box: FaceBox) -> Similarity2D {
        let side = ((box.right - box.left) + (box.bottom - box.top)) / 2
        let c = box.center
        let photoToUnit = Similarity2D(a: 1 / side, b: 0, tx: 0.5 - c.x / side, ty: 0.5 - c.y / side)
        return unitToCrop.composed(after: photoToUnit)
    }

    /// The crop for landmarks, with the landmarks carried into it. Outside the photo reads black.
    public func crop(_ photo: Image, landmarks: [Point2]) throws -> FaceCrop {
        let t = try transform(landmarks: landmarks)
        return FaceCrop(image: try warp(photo, t), photoToCrop: t, landmarks: landmarks.map { t.apply($0) })
    }

    /// The crop for a box in dlib's convention.
    public func crop(_ photo: Image, box: FaceBox) throws -> FaceCrop {
        guard [box.left, box.top, box.right, box.bottom].allSatisfy(\.isFinite) else { throw AlignmentError.nonFinite }
        let t = transform(box: box)
        return FaceCrop(image: try warp(photo, t), photoToCrop: t, landmarks: nil)
    }

    /// Warps with bilinear sampling; a photo shrunk by more than 2× is first area-resized so the
    /// 4-tap bilinear read does not alias.
    private func warp(_ photo: Image, _ t: Similarity2D) throws -> Image {
        var source = photo
        var map = t
        let shrink = 1 / t.scale
        if shrink > 2 {
            let f = shrink / 2
            let w = max(1, Int((Float(photo.width) / f).rounded())), h = max(1, Int((Float(photo.height) / f).rounded()))
            source = photo.resized(width: w, height: h)
            // Resized pixel centres: x_r = (x + ½)·w/W − ½.
            let sx = Float(w) / Float(photo.width)
            map = t.composed(after: Similarity2D(a: 1 / sx, b: 0, tx: 0.5 / sx - 0.5, ty: 0.5 / sx - 0.5))
        }
        let m = AffineTransform(a: map.a, b: -map.b, tx: map.tx, c: map.b, d: map.a, ty: map.ty)
        return try warpAffine(source, matrix: m, width: size, height: size, border: .constant(0))
    }
}
