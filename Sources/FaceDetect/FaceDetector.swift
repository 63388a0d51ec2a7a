import Foundation
import Imaging

/// A face found in a photo.
public struct DetectedFace: Sendable, Equatable {
    /// The box in dlib's HOG-detector convention, which the 68-point model expects.
    public var box: FaceBox
    /// The box as the cascade gave it.
    public var detectorBox: FaceBox
    /// Raw window hits merged into this detection (a confidence).
    public var neighbours: Int
    /// Ranking score: box width × centrality (see `FaceDetector.rank`).
    public var score: Float
}

/// Face detection with OpenCV cascades (Debian `opencv-data`) whose boxes are mapped to dlib's
/// HOG convention.
///
/// The cascades and maps were chosen by measurement on 300-W (see `Scripts/eval_detect`):
/// `haarcascade_frontalface_default.xml` had the best recall of the four frontal-face cascades;
/// when it finds nothing, `haarcascade_frontalface_alt2.xml` gets a second look (it finds about
/// half of the faces the first misses, at no cost on photos where the first finds one). Each map
/// was fitted on faces-300w afw + helen-train against dlib's own HOG boxes.
public struct FaceDetector: Sendable {
    /// One cascade with the map from its boxes to dlib's convention.
    public struct Stage: Sendable {
        public var cascade: CascadeDetector
        public var mapping: BoxMapping
        public init(cascade: CascadeDetector, mapping: BoxMapping) {
            self.cascade = cascade
            self.mapping = mapping
        }
    }

    public static let defaultCascadePath = CascadeModel.haarDirectory + "/haarcascade_frontalface_default.xml"
    public static let fallbackCascadePath = CascadeModel.haarDirectory + "/haarcascade_frontalface_alt2.xml"

    /// Fitted by `likeness eval detect --fit-mapping` on faces-300w afw + helen-train (1075
    /// faces found by both detectors): `haarcascade_frontalface_default` boxes → dlib HOG boxes.
    public static let defaultMapping = BoxMapping(dx: -0.0009, dy: 0.0639, scaleWidth: 0.8858, scaleHeight: 0.8866)
    /// The same fit for `haarcascade_frontalface_alt2` (1073 faces).
    public static let fallbackMapping = BoxMapping(dx: -0.0042, dy: 0.0686, scaleWidth: 0.8975, scaleHeight: 0.8982)

    /// Tried in order; the first stage that finds any face gives the result.
    public var stages: [Stage]
    /// Photos whose longer side exceeds this are searched at this size (area-averaged): a face
    /// that fills less than `minFaceSize / maxSearchSide` of a photo is not the subject, and a
    /// 12-Mpixel scan would take seconds. Boxes are scaled back to the photo.
    public var maxSearchSide = 800

    public init(stages: [Stage]) { self.stages = stages }

    /// One cascade, searched down to `minFaceSize` pixels.
    public init(cascade: CascadeModel, mapping: BoxMapping, minFaceSize: Float = 48) {
        var detector = CascadeDetector(model: cascade)
        detector.minFaceSize = minFaceSize
        self.init(stages: [Stage(cascade: detector, mapping: mapping)])
    }

    /// The default cascade with the alt2 fallback, from `opencv-data`, with their fitted maps.
    public static func standard() throws -> FaceDetector {
        let primary = FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: defaultCascadePath)), mapping: defaultMapping)
        let fallback = FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: fallbackCascadePath)), mapping: fallbackMapping)
        return FaceDetector(stages: primary.stages + fallback.stages)
    }

    /// The same detector with every map the identity (raw cascade boxes go to the 68-point model).
    public func withoutBoxMapping() -> FaceDetector {
        var d = self
        for i in d.stages.indices { d.stages[i].mapping = .identity }
        return d
    }

    /// All faces in the photo (any channel count), ranked best first.
    public func detect(_ image: Image) -> [DetectedFace] {
        detect(gray: image.faceDetectGray())
    }

    /// All faces in a one-channel image, ranked best first.
    public func detect(gray: Image) -> [DetectedFace] {
        let longer = max(gray.width, gray.height)
        var search = gray, scale: Float = 1
        if longer > maxSearchSide {
            scale = Float(longer) / Float(maxSearchSide)
            search = gray.resized(width: max(1, Int((Float(gray.width) / scale).rounded())),
                                  height: max(1, Int((Float(gray.height) / scale).rounded())))
        }
        for stage in stages {
            let faces = stage.cascade.detect(gray: search).map { d -> DetectedFace in
                // Search pixel centres map back as x = (x_s + ½)·scale − ½.
                let box = scale == 1 ? d.box : FaceBox(left: (d.box.left + 0.5) * scale - 0.5, top: (d.box.top + 0.5) * scale - 0.5,
                                                       right: (d.box.right + 0.5) * scale - 0.5, bottom: (d.box.bottom + 0.5) * scale - 0.5)
                return DetectedFace(box: stage.mapping.apply(box), detectorBox: box, neighbours: d.neighbours, score: 0)
            }
            if !faces.isEmpty { return FaceDetector.rank(faces, imageWidth: gray.width, imageHeight: gray.height) }
        }
        return []
    }

    /// Orders faces by `score = w · (1 − ½·d/r)`, where `w` is the box width, `d` the distance of
    /// the box centre from the photo centre and `r` half the photo's diagonal: size first, and a
    /// face at a corner counts half as much as the same face at the centre.
    public static func rank(_ faces: [DetectedFace], imageWidth: Int, imageHeight: Int) -> [DetectedFace] {
        let centre = Point2(Float(imageWidth - 1) / 2, Float(imageHeight - 1) / 2)
        let r = max(1, Point2(Float(imageWidth), Float(imageHeight)).length / 2)
        return faces.map { f in
            var f = f
            let d = (f.box.center - centre).length
            f.score = f.box.width * (1 - 0.5 * min(1, d / r))
            return f
        }.sorted { $0.score > $1.score }
    }
}
