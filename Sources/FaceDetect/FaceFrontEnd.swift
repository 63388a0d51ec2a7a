import Foundation
import Imaging

/// A face with its 68 landmarks (0-based photo coordinates, iBUG order).
public struct LocatedFace: Sendable {
    public var face: DetectedFace
    public var landmarks: [Point2]
}

/// A photo made ready for reconstruction: the subject's face, its 256×256 aligned crop (landmarks
/// carried into the crop) and the crop's skin mask (one channel, 255 on skin).
public struct PreparedFace: Sendable {
    public var located: LocatedFace
    public var crop: FaceCrop
    public var skinMask: Image
}

/// The front end every photo goes through: detection, choice of the subject's face, 68 landmarks,
/// and the typed reasons for a photo that cannot be used.
public final class FaceFrontEnd: @unchecked Sendable {
    /// Faces narrower than this (the width of the box in dlib's convention, about the distance
    /// between the ends of the jaw line) are rejected as too small: the 256×256 crop would be
    /// upsampled 4× or more.
    public static let minimumFaceWidth: Float = 64
    /// The chosen face must score this many times the next face's score (see `FaceDetector.rank`).
    public static let dominanceRatio: Float = 2
    /// Landmarks may lie this fraction of the face width outside the photo before the face counts
    /// as cut by the border.
    public static let borderTolerance: Float = 0.02

    public let detector: FaceDetector
    public let predictor: ShapePredictor

    public init(detector: FaceDetector, predictor: ShapePredictor) {
        self.detector = detector
        self.predictor = predictor
    }

    /// The default detector (BlazeFace) and mapping with dlib's 68-point model from `libdlib-data`.
    public static func standard() throws -> FaceFrontEnd {
        FaceFrontEnd(detector: try FaceDetector.standard(), predictor: try ShapePredictor())
    }

    /// The aligner for the paper's 256×256 input, on this model's mean shape.
    public var aligner: FaceAligner { FaceAligner(meanShape: predictor.meanShape) }

    /// `locate`, then the aligned crop and its skin mask. Throws a `FaceRejection` for an unusable
    /// photo.
    public func prepare(_ photo: Image) throws -> PreparedFace {
        let located = try locate(in: photo)
        let aligner = self.aligner
        let crop = try aligner.crop(photo, landmarks: located.landmarks)
        let mask = try SkinMask().mask(landmarks: crop.landmarks!, width: aligner.size, height: aligner.size)
        return PreparedFace(located: located, crop: crop, skinMask: mask)
    }

    /// Every face with landmarks, ranked best first.
    public func locateAll(in image: Image) -> [LocatedFace] {
        let gray = image.faceDetectGray()
        return detector.detect(image, gray: gray).map { LocatedFace(face: $0, landmarks: predictor.predict(gray: gray, box: $0.box)) }
    }

    /// The subject's face, or the reason the photo cannot be used.
    public func locate(in image: Image) throws -> LocatedFace {
        let gray = image.faceDetectGray()
        let faces = detector.detect(image, gray: gray)
        let face = try FaceFrontEnd.choose(faces)
        let landmarks = predictor.predict(gray: gray, box: face.box)
        let outside = FaceFrontEnd.pointsOutside(landmarks, width: image.width, height: image.height,
                                                 tolerance: FaceFrontEnd.borderTolerance * face.box.width)
        if outside > 0 { throw FaceRejection.faceCutByBorder(pointsOutside: outside) }
        return LocatedFace(face: face, landmarks: landmarks)
    }

    /// Applies the rejection rules to ranked faces: none → `noFace`; a runner-up scoring more
    /// than `1/dominanceRatio` of the best → `severalFaces` with the boxes of the comparable
    /// faces; the best narrower than `minimumFaceWidth` → `faceTooSmall`.
    public static func choose(_ ranked: [DetectedFace]) throws -> DetectedFace {
        guard let best = ranked.first else { throw FaceRejection.noFace }
        let comparable = ranked.filter { $0.score * dominanceRatio > best.score }
        if comparable.count > 1 {
            throw FaceRejection.severalFaces(boxes: comparable.map(\.detectorBox))
        }
        if best.box.width < minimumFaceWidth {
            throw FaceRejection.faceTooSmall(width: best.box.width, minimum: minimumFaceWidth)
        }
        return best
    }

    /// Landmarks further than `tolerance` pixels outside the photo.
    static func pointsOutside(_ points: [Point2], width: Int, height: Int, tolerance: Float) -> Int {
        points.filter { p in
            p.x < -tolerance || p.y < -tolerance || p.x > Float(width - 1) + tolerance || p.y > Float(height - 1) + tolerance
        }.count
    }
}
