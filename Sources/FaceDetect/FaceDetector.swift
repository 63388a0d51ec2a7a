import Foundation
import Imaging

/// A face found in a photo.
public struct DetectedFace: Sendable, Equatable {
    /// The box in dlib's HOG-detector convention, which the 68-point model expects.
    public var box: FaceBox
    /// The box as the detector gave it.
    public var detectorBox: FaceBox
    /// Raw candidates merged into this detection (cascade window hits, or BlazeFace anchors merged
    /// by the weighted NMS).
    public var neighbours: Int
    /// Ranking score: width × fraction inside the photo × centrality of `detectorBox` (see
    /// `FaceDetector.rank`).
    public var score: Float
    /// The detector's own confidence: BlazeFace's score in [0, 1]; for a cascade, 1.
    public var confidence: Float = 1
    /// BlazeFace's six keypoints in photo pixels (see `BlazeFace.Detection`); empty for a cascade.
    public var keypoints: [Point2] = []
}

/// Face detection whose boxes are mapped to dlib's HOG convention (the box the 68-point model
/// was trained on), ranked by size and centrality.
///
/// The default (`standard()`) is MediaPipe's BlazeFace short-range CNN (`BlazeFace`). The OpenCV
/// Haar cascades (Debian `opencv-data`) remain as `haar()`: `haarcascade_frontalface_default.xml`
/// had the best recall of the four frontal-face cascades; when it finds nothing,
/// `haarcascade_frontalface_alt2.xml` gets a second look. Each map was fitted on faces-300w
/// afw + helen-train against dlib's own HOG boxes (`likeness eval detect --fit-mapping` for the
/// constant maps, `Scripts/fit_blazeface_box_map.py` for BlazeFace's keypoint map).
public struct FaceDetector: Sendable {
    /// What finds the raw boxes.
    public enum Finder: Sendable {
        case cascade(CascadeDetector)
        case blazeFace(BlazeFace)
    }

    /// The detectors Likeness ships, by command-line name.
    public enum Kind: String, Sendable, CaseIterable {
        case blazeface, haar
    }

    /// One detector with the map from its boxes to dlib's convention.
    public struct Stage: Sendable {
        public var finder: Finder
        public var mapping: BoxMapping
        /// When set, faces with keypoints are mapped by it instead of `mapping`.
        public var keypointMapping: KeypointBoxMapping?
        public init(finder: Finder, mapping: BoxMapping, keypointMapping: KeypointBoxMapping? = nil) {
            self.finder = finder
            self.mapping = mapping
            self.keypointMapping = keypointMapping
        }
        public init(cascade: CascadeDetector, mapping: BoxMapping) {
            self.init(finder: .cascade(cascade), mapping: mapping)
        }
    }

    public static let defaultCascadePath = CascadeModel.haarDirectory + "/haarcascade_frontalface_default.xml"
    public static let fallbackCascadePath = CascadeModel.haarDirectory + "/haarcascade_frontalface_alt2.xml"

    /// Fitted by `likeness eval detect --fit-mapping` on faces-300w afw + helen-train (1075
    /// faces found by both detectors): `haarcascade_frontalface_default` boxes → dlib HOG boxes.
    public static let defaultMapping = BoxMapping(dx: -0.0009, dy: 0.0639, scaleWidth: 0.8858, scaleHeight: 0.8866)
    /// The same fit for `haarcascade_frontalface_alt2` (1073 faces).
    public static let fallbackMapping = BoxMapping(dx: -0.0042, dy: 0.0686, scaleWidth: 0.8975, scaleHeight: 0.8982)
    /// The same fit for BlazeFace short range: `likeness eval detect --detector blazeface
    /// --fit-mapping Tests/FaceDetectTests/Fixtures/dlib_hog_boxes_300w.json` on afw + helen-train
    /// (1147 faces found by both).
    /// The constant map, used only where no keypoints are known; `blazeFaceKeypointMapping` is
    /// the one the standard detector applies.
    public static let blazeFaceMapping = BoxMapping(dx: -0.0224, dy: -0.0478, scaleWidth: 0.9912, scaleHeight: 0.9920)

    /// BlazeFace's box and 6 keypoints → dlib HOG boxes, fitted by
    /// `Scripts/fit_blazeface_box_map.py` on the 1149 faces of faces-300w afw + helen-train that
    /// both find (residual of the centre on afw, fitted on helen-train alone: 0.033 / 0.041 box
    /// widths in x / y, against 0.108 / 0.058 for the constant map).
    public static let blazeFaceKeypointMapping = KeypointBoxMapping(coefficients: [
        [-0.2146, 0.4525, -1.4478, -0.7576, 0.6157, 2.8709, 0.7007, -2.6514, -0.3381, -0.0473, 1.2242, 0.7546, -1.1335],
        [-0.2842, -2.5930, -0.0944, 0.3305, 0.6861, 3.4211, -0.4162, -2.6635, 1.4057, 0.8433, 0.8273, -0.1694, -0.0429],
        [0.8718, 1.7983, 3.6507, -3.2976, -3.0287, -2.4901, -0.1323, 4.3758, -0.9204, -1.5818, -3.2347, 1.9071, 3.0172],
        [0.8895, 1.7330, 3.7315, -3.3569, -3.0587, -2.3646, -0.1623, 4.2834, -0.9160, -1.5959, -3.2659, 1.8741, 3.0432],
    ])

    /// Tried in order; the first stage that finds any face gives the result.
    public var stages: [Stage]
    /// For cascades: photos whose longer side exceeds this are searched at this size
    /// (area-averaged): a face that fills less than `minFaceSize / maxSearchSide` of a photo is
    /// not the subject, and a 12-Mpixel scan would take seconds. Boxes are scaled back to the
    /// photo. (BlazeFace always sees the photo at 128×128.)
    public var maxSearchSide = 800

    public init(stages: [Stage]) { self.stages = stages }

    /// One cascade, searched down to `minFaceSize` pixels.
    public init(cascade: CascadeModel, mapping: BoxMapping, minFaceSize: Float = 48) {
        var detector = CascadeDetector(model: cascade)
        detector.minFaceSize = minFaceSize
        self.init(stages: [Stage(cascade: detector, mapping: mapping)])
    }

    /// The default detector: BlazeFace short range with its fitted map.
    public static func standard() throws -> FaceDetector {
        FaceDetector(stages: [Stage(finder: .blazeFace(try BlazeFace()), mapping: blazeFaceMapping,
                                    keypointMapping: blazeFaceKeypointMapping)])
    }

    /// The Haar default cascade with the alt2 fallback, from `opencv-data`, with their fitted maps.
    public static func haar() throws -> FaceDetector {
        let primary = FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: defaultCascadePath)), mapping: defaultMapping)
        let fallback = FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: fallbackCascadePath)), mapping: fallbackMapping)
        return FaceDetector(stages: primary.stages + fallback.stages)
    }

    /// The detector of a kind.
    public static func make(_ kind: Kind) throws -> FaceDetector {
        switch kind {
        case .blazeface: return try standard()
        case .haar: return try haar()
        }
    }

    /// The same detector with every map the identity (raw detector boxes go to the 68-point model).
    public func withoutBoxMapping() -> FaceDetector {
        var d = self
        for i in d.stages.indices { d.stages[i].mapping = .identity; d.stages[i].keypointMapping = nil }
        return d
    }

    /// All faces in the photo (any channel count), ranked best first.
    public func detect(_ image: Image) -> [DetectedFace] {
        detect(image, gray: image.faceDetectGray())
    }

    /// All faces in the photo, ranked best first; `gray` is `image.faceDetectGray()` (the
    /// cascades read it, BlazeFace reads the colour photo).
    public func detect(_ image: Image, gray: Image) -> [DetectedFace] {
        for stage in stages {
            let faces = find(stage.finder, image: image, gray: gray).map { f -> DetectedFace in
                var f = f
                if let k = stage.keypointMapping, !f.keypoints.isEmpty {
                    f.box = k.apply(f.detectorBox, keypoints: f.keypoints)
                } else {
                    f.box = stage.mapping.apply(f.detectorBox)
                }
                return f
            }
            if !faces.isEmpty { return FaceDetector.rank(faces, imageWidth: gray.width, imageHeight: gray.height) }
        }
        return []
    }

    /// Raw detections (unmapped, unranked) in photo coordinates.
    private func find(_ finder: Finder, image: Image, gray: Image) -> [DetectedFace] {
        switch finder {
        case let .blazeFace(net):
            return net.detect(image).map { d in
                DetectedFace(box: d.box, detectorBox: d.box, neighbours: d.merged, score: 0, confidence: d.score, keypoints: d.keypoints)
            }
        case let .cascade(cascade):
            let longer = max(gray.width, gray.height)
            var search = gray, scale: Float = 1
            if longer > maxSearchSide {
                scale = Float(longer) / Float(maxSearchSide)
                search = gray.resized(width: max(1, Int((Float(gray.width) / scale).rounded())),
                                      height: max(1, Int((Float(gray.height) / scale).rounded())))
            }
            return cascade.detect(gray: search).map { d in
                // Search pixel centres map back as x = (x_s + ½)·scale − ½.
                let box = scale == 1 ? d.box : FaceBox(left: (d.box.left + 0.5) * scale - 0.5, top: (d.box.top + 0.5) * scale - 0.5,
                                                       right: (d.box.right + 0.5) * scale - 0.5, bottom: (d.box.bottom + 0.5) * scale - 0.5)
                return DetectedFace(box: box, detectorBox: box, neighbours: d.neighbours, score: 0)
            }
        }
    }

    /// Orders faces by `score = w · v · (1 − d/r)` on the detector's own boxes (what it saw of
    /// each face, before the map to dlib's box), where `w` is the box width, `v` the fraction of
    /// the box inside the photo, `d` the distance of the box centre from the photo centre and `r`
    /// half the photo's diagonal: size first, a face cut by the border counts for what is
    /// visible, and centrality is linear (a face at a corner counts nothing). A photo of a person
    /// is framed on them: on faces-300w (crops centred on the annotated face) every second face
    /// is a bystander at the edge, cut by the border, and scores at most 0.40 of the subject
    /// (`likeness eval frontend`), while two people side by side near the centre stay comparable.
    public static func rank(_ faces: [DetectedFace], imageWidth: Int, imageHeight: Int) -> [DetectedFace] {
        let centre = Point2(Float(imageWidth - 1) / 2, Float(imageHeight - 1) / 2)
        let r = max(1, Point2(Float(imageWidth), Float(imageHeight)).length / 2)
        let photo = FaceBox(x: 0, y: 0, width: Float(imageWidth), height: Float(imageHeight))
        return faces.map { f in
            var f = f
            let d = (f.detectorBox.center - centre).length
            f.score = f.detectorBox.width * f.detectorBox.fractionInside(photo) * (1 - min(1, d / r))
            return f
        }.sorted { $0.score > $1.score }
    }
}
