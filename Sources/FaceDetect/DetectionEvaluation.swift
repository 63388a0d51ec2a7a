import Foundation
import Imaging

/// The result of detection on one annotated photo. Boxes are in the photo's own coordinates.
public struct DetectionOutcome: Sendable {
    public var name: String
    public var landmarkBox: FaceBox
    /// All detections, ranked.
    public var faces: [DetectedFace]
    /// Seconds the detector took on the (canvas) image.
    public var seconds: Double

    /// The detection whose raw cascade box best overlaps the landmark box, and that IoU.
    public var bestRaw: (face: DetectedFace, iou: Float)? {
        faces.map { ($0, $0.detectorBox.iou(landmarkBox)) }.max { $0.1 < $1.1 }
    }

    /// The detection whose mapped (dlib-convention) box best overlaps the landmark box.
    public var bestMapped: (face: DetectedFace, iou: Float)? {
        faces.map { ($0, $0.box.iou(landmarkBox)) }.max { $0.1 < $1.1 }
    }
}

/// Detection figures over an annotated set: a face counts as found when a detection's box has
/// IoU ≥ 0.5 with the box around its annotated landmarks.
public struct DetectionReport: Sendable {
    public var outcomes: [DetectionOutcome]
    public static let iouThreshold: Float = 0.5

    public init(outcomes: [DetectionOutcome]) { self.outcomes = outcomes }

    public var recallRaw: Float { fraction { ($0.bestRaw?.iou ?? 0) >= Self.iouThreshold } }
    public var recallMapped: Float { fraction { ($0.bestMapped?.iou ?? 0) >= Self.iouThreshold } }
    /// Fraction with at least one detection of IoU ≥ 0.3 (a loose "found anything" figure).
    public var recallLoose: Float { fraction { ($0.bestRaw?.iou ?? 0) >= 0.3 } }
    public var meanSeconds: Double { outcomes.isEmpty ? 0 : outcomes.map(\.seconds).reduce(0, +) / Double(outcomes.count) }
    public var medianSeconds: Double {
        let s = outcomes.map(\.seconds).sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    private func fraction(_ hit: (DetectionOutcome) -> Bool) -> Float {
        outcomes.isEmpty ? 0 : Float(outcomes.filter(hit).count) / Float(outcomes.count)
    }

    /// Fits the map from raw cascade boxes to reference boxes (e.g. dlib's HOG detections, keyed
    /// by outcome name): for each photo the raw detection best overlapping the landmark box is
    /// paired with the reference box best overlapping it, when that IoU ≥ 0.5.
    public func fitMapping(references: [String: [FaceBox]]) -> (mapping: BoxMapping, pairs: Int) {
        var from: [FaceBox] = [], to: [FaceBox] = []
        for o in outcomes {
            guard let raw = o.bestRaw, raw.iou >= 0.3, let refs = references[o.name] else { continue }
            guard let ref = refs.max(by: { $0.iou(raw.face.detectorBox) < $1.iou(raw.face.detectorBox) }),
                  ref.iou(raw.face.detectorBox) >= 0.5 else { continue }
            from.append(raw.face.detectorBox)
            to.append(ref)
        }
        return (BoxMapping.fit(from: from, to: to), from.count)
    }
}

public enum DetectionEvaluation {
    /// Places `image` at the centre of a `width` × `height` mid-gray canvas (when it fits), so a
    /// detector's time is measured on a photo of a standard size. Returns the canvas and the
    /// offset of the image in it. An image that does not fit is returned as is.
    public static func canvas(_ image: Image, width: Int = 640, height: Int = 480) -> (image: Image, offset: Point2) {
        guard image.width <= width, image.height <= height else { return (image, Point2(0, 0)) }
        let ox = (width - image.width) / 2, oy = (height - image.height) / 2
        var out = Image(width: width, height: height, channels: image.channels,
                        pixels: [UInt8](repeating: 128, count: width * height * image.channels))
        let rowBytes = image.width * image.channels
        for y in 0..<image.height {
            let src = y * rowBytes, dst = ((y + oy) * width + ox) * image.channels
            out.pixels.replaceSubrange(dst..<(dst + rowBytes), with: image.pixels[src..<(src + rowBytes)])
        }
        return (out, Point2(Float(ox), Float(oy)))
    }

    /// Runs `detector` on every photo (each on a 640×480 canvas when `onCanvas`), timing the
    /// detection alone (gray conversion included, decoding excluded).
    public static func run(_ dataset: [AnnotatedImage], detector: FaceDetector, onCanvas: Bool = true,
                           load: (URL) throws -> Image, progress: (Int) -> Void = { _ in }) throws -> DetectionReport {
        var outcomes: [DetectionOutcome] = []
        for (i, item) in dataset.enumerated() {
            let photo = try load(item.imageURL)
            let (input, offset) = onCanvas ? canvas(photo) : (photo, Point2(0, 0))
            let start = DispatchTime.now().uptimeNanoseconds
            let faces = detector.detect(input)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let shifted = faces.map { f -> DetectedFace in
                var f = f
                f.box = f.box.shifted(by: Point2(-offset.x, -offset.y))
                f.detectorBox = f.detectorBox.shifted(by: Point2(-offset.x, -offset.y))
                return f
            }
            outcomes.append(DetectionOutcome(name: item.name, landmarkBox: item.landmarkBox, faces: shifted, seconds: seconds))
            progress(i + 1)
        }
        return DetectionReport(outcomes: outcomes)
    }
}

extension FaceBox {
    /// The box moved by `d`.
    public func shifted(by d: Point2) -> FaceBox {
        FaceBox(left: left + d.x, top: top + d.y, right: right + d.x, bottom: bottom + d.y)
    }
}
