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

/// Face detection with an OpenCV cascade (Debian `opencv-data`) whose boxes are mapped to dlib's
/// HOG convention.
///
/// The default cascade and map were chosen by measurement on 300-W (see `Scripts/eval_detect`):
/// `haarcascade_frontalface_default.xml` had the best recall; the map was fitted on
/// faces-300w afw + helen-train against dlib's own HOG boxes.
public struct FaceDetector: Sendable {
    public static let defaultCascadePath = CascadeModel.haarDirectory + "/haarcascade_frontalface_default.xml"

    /// Fitted by `likeness eval detect --fit-mapping` on faces-300w afw + helen-train (1075
    /// faces found by both detectors): our Haar boxes → dlib HOG boxes.
    public static let defaultMapping = BoxMapping(dx: -0.0009, dy: 0.0639, scaleWidth: 0.8858, scaleHeight: 0.8866)

    public var cascade: CascadeDetector
    public var mapping: BoxMapping
    /// Photos whose longer side exceeds this are searched at this size (area-averaged): a face
    /// that fills less than `minFaceSize / maxSearchSide` of a photo is not the subject, and a
    /// 12-Mpixel scan would take seconds. Boxes are scaled back to the photo.
    public var maxSearchSide = 800

    public init(cascade: CascadeModel, mapping: BoxMapping, minFaceSize: Float = 48) {
        self.cascade = CascadeDetector(model: cascade)
        self.cascade.minFaceSize = minFaceSize
        self.mapping = mapping
    }

    /// The default cascade from `opencv-data` with the fitted map.
    public static func standard() throws -> FaceDetector {
        FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: defaultCascadePath)), mapping: defaultMapping)
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
        let faces = cascade.detect(gray: search).map { d -> DetectedFace in
            // Search pixel centres map back as x = (x_s + ½)·scale − ½.
            let box = scale == 1 ? d.box : FaceBox(left: (d.box.left + 0.5) * scale - 0.5, top: (d.box.top + 0.5) * scale - 0.5,
                                                   right: (d.box.right + 0.5) * scale - 0.5, bottom: (d.box.bottom + 0.5) * scale - 0.5)
            return DetectedFace(box: mapping.apply(box), detectorBox: box, neighbours: d.neighbours, score: 0)
        }
        return FaceDetector.rank(faces, imageWidth: gray.width, imageHeight: gray.height)
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
