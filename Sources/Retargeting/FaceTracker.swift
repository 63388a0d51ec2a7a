import FaceDetect
import Foundation
import Imaging

/// How a frame's face was found.
public enum TrackState: String, Sendable, Codable {
    /// The detector found it (the first frame, after a loss, or a periodic check).
    case detected
    /// The 68-point model ran on the box of the previous frame's landmarks.
    case tracked
    /// No usable face: the frame is marked and skipped, never fatal.
    case lost
}

/// Detect once, then track: each frame's 68 landmarks come from dlib's shape predictor run in the
/// box of the previous frame's landmarks, and the detector runs again only when the track is lost
/// or, every `verifyInterval` frames, to check it has not drifted off the face.
///
/// The box of landmarks L (68×2, photo pixels) is the image of the unit square of dlib's box frame
/// under the similarity S = argmin Σ‖S(mᵢ) − Lᵢ‖² from the predictor's mean shape m (which lives in
/// that frame): centre S(½, ½), side |S|, upright. The track is lost when the new landmarks are not
/// a face shape — their Procrustes residual to the mean shape, RMS‖S(mᵢ) − Lᵢ‖ / |S|, is over
/// `maxShapeResidual` — when the side jumps by more than `maxScaleJump` in one frame, when the
/// face is narrower than `FaceFrontEnd.minimumFaceWidth`/2, or its centre leaves the frame.
public final class FaceTracker {
    public let frontEnd: FaceFrontEnd
    public var verifyInterval: Int
    public var maxShapeResidual: Float = 0.12
    public var maxScaleJump: Float = 1.35
    private let meanPoints: [Point2]
    private var previous: [Point2]?
    private var sinceDetection = 0

    public init(frontEnd: FaceFrontEnd, verifyInterval: Int = 30) {
        self.frontEnd = frontEnd
        self.verifyInterval = verifyInterval
        let m = frontEnd.predictor.meanShape
        meanPoints = stride(from: 0, to: m.count, by: 2).map { Point2(m[$0], m[$0 + 1]) }
    }

    /// Forgets the track (the next frame is detected).
    public func reset() { previous = nil }

    /// The box (dlib's convention) of `landmarks` and the Procrustes residual of their shape.
    public func box(of landmarks: [Point2]) -> (box: FaceBox, residual: Float) {
        let s = Similarity2D.fit(from: meanPoints, to: landmarks)
        let side = s.scale, c = s.apply(Point2(0.5, 0.5))
        var squared: Float = 0
        for (m, l) in zip(meanPoints, landmarks) { let d = s.apply(m) - l; squared += d.x * d.x + d.y * d.y }
        let residual = (squared / Float(max(landmarks.count, 1))).squareRoot() / max(side, 1e-6)
        return (FaceBox(left: c.x - side / 2, top: c.y - side / 2, right: c.x + side / 2, bottom: c.y + side / 2), residual)
    }

    /// The face of the next frame: its landmarks and how they were found (nil landmarks when lost).
    public func next(_ image: Image) -> (landmarks: [Point2]?, state: TrackState) {
        let gray = image.faceDetectGray()
        if let previous, sinceDetection < verifyInterval || verifyInterval <= 0 {
            if let tracked = track(previous, gray: gray, width: image.width, height: image.height) {
                self.previous = tracked
                sinceDetection += 1
                return (tracked, .tracked)
            }
        }
        return detect(image, gray: gray)
    }

    private func track(_ previous: [Point2], gray: Image, width: Int, height: Int) -> [Point2]? {
        let before = box(of: previous).box
        let landmarks = frontEnd.predictor.predict(gray: gray, box: before)
        let (after, residual) = box(of: landmarks)
        let jump = after.width / max(before.width, 1)
        let c = after.center
        guard residual <= maxShapeResidual, jump <= maxScaleJump, jump >= 1 / maxScaleJump,
              after.width >= FaceFrontEnd.minimumFaceWidth / 2,
              c.x >= 0, c.y >= 0, c.x < Float(width), c.y < Float(height) else { return nil }
        return landmarks
    }

    private func detect(_ image: Image, gray: Image) -> (landmarks: [Point2]?, state: TrackState) {
        sinceDetection = 0
        let faces = frontEnd.detector.detect(image, gray: gray)
        guard let face = try? FaceFrontEnd.choose(faces) else {
            previous = nil
            return (nil, .lost)
        }
        let landmarks = frontEnd.predictor.predict(gray: gray, box: face.box)
        guard box(of: landmarks).residual <= maxShapeResidual else {
            previous = nil
            return (nil, .lost)
        }
        previous = landmarks
        return (landmarks, .detected)
    }
}
