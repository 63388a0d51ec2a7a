import Foundation
import Imaging

/// What a landmark source is given for one annotated photo.
public struct LandmarkQuery {
    public let name: String
    public let image: Image
    /// The box around the annotated landmarks. A source may use it only to choose among several
    /// faces (the 300-W protocol), never as its face box.
    public let referenceBox: FaceBox
}

/// Anything that puts 68 landmarks on a photo: the detector + dlib model now; the fitted model,
/// the base network and a person-specific network later. `nil` means no face was found.
public protocol LandmarkSource {
    var name: String { get }
    func landmarks(for query: LandmarkQuery) throws -> [Point2]?
}

/// A landmark source from a closure.
public struct ClosureLandmarkSource: LandmarkSource {
    public let name: String
    let body: (LandmarkQuery) throws -> [Point2]?
    public init(name: String, _ body: @escaping (LandmarkQuery) throws -> [Point2]?) {
        self.name = name
        self.body = body
    }
    public func landmarks(for query: LandmarkQuery) throws -> [Point2]? { try body(query) }
}

/// The detector + dlib 68-point model: of the detections, the one whose cascade box best overlaps
/// the reference box (IoU ≥ 0.3) is landmarked in its mapped box.
public struct DetectorLandmarkSource: LandmarkSource {
    public let name = "detector"
    public let detector: FaceDetector
    public let predictor: ShapePredictor
    public static let minimumIoU: Float = 0.3

    public init(detector: FaceDetector, predictor: ShapePredictor) {
        self.detector = detector
        self.predictor = predictor
    }

    public func landmarks(for query: LandmarkQuery) throws -> [Point2]? {
        let gray = query.image.faceDetectGray()
        let faces = detector.detect(query.image, gray: gray)
        guard let best = faces.max(by: { $0.detectorBox.iou(query.referenceBox) < $1.detectorBox.iou(query.referenceBox) }),
              best.detectorBox.iou(query.referenceBox) >= Self.minimumIoU else { return nil }
        return predictor.predict(gray: gray, box: best.box)
    }
}

/// One photo's result.
public struct LandmarkOutcome: Sendable {
    public var name: String
    /// nil when the source found no face.
    public var error: NormalizedError?
    public var seconds: Double
    /// The annotation's yaw proxy in degrees (`LandmarkMetrics.yaw`).
    public var yaw: Float

    public init(name: String, error: NormalizedError?, seconds: Double, yaw: Float = 0) {
        self.name = name; self.error = error; self.seconds = seconds; self.yaw = yaw
    }
}

/// Mean, median, failure rate and AUC of one region's NME.
public struct RegionSummary: Sendable, Equatable {
    public var mean: Float
    public var median: Float
    public var failureRate: Float
    public var auc: Float
    /// Photos where the source found a face (mean and median are over these).
    public var evaluated: Int
    /// All photos (failure rate and AUC count a missing face as a failure).
    public var total: Int
}

/// Landmark NME over an annotated set (the paper's Table 1 columns).
public struct LandmarkReport: Sendable {
    public var source: String
    public var outcomes: [LandmarkOutcome]
    public static let failureThreshold: Float = 0.08

    public init(source: String, outcomes: [LandmarkOutcome]) {
        self.source = source
        self.outcomes = outcomes
    }

    /// Per-photo errors of a region, `.infinity` for a photo without a face.
    public func errors(_ region: LandmarkRegion) -> [Float] {
        outcomes.map { $0.error?[region] ?? .infinity }
    }

    public func summary(_ region: LandmarkRegion) -> RegionSummary {
        let all = errors(region), found = all.filter { $0.isFinite }
        return RegionSummary(mean: LandmarkMetrics.mean(found), median: LandmarkMetrics.median(found),
                             failureRate: LandmarkMetrics.failureRate(all, threshold: Self.failureThreshold),
                             auc: LandmarkMetrics.auc(all, threshold: Self.failureThreshold),
                             evaluated: found.count, total: all.count)
    }

    /// One line per photo: `name,found,nme_boundary,nme_inner,nme_all,seconds`.
    public func csv() -> String {
        var out = "name,found,nme_boundary,nme_inner,nme_all,seconds\n"
        for o in outcomes {
            let e = o.error
            let f = { (v: Float?) in v.map { String(format: "%.6f", Double($0)) } ?? "" }
            out += "\(o.name),\(e != nil ? 1 : 0),\(f(e?.boundary)),\(f(e?.inner)),\(f(e?.all)),\(String(format: "%.6f", o.seconds))\n"
        }
        return out
    }

    /// The same report over the photos named in `names` only.
    public func restricted(to names: Set<String>) -> LandmarkReport {
        LandmarkReport(source: source, outcomes: outcomes.filter { names.contains($0.name) })
    }

    /// Bins of |yaw| (degrees, `LandmarkMetrics.yaw`) for `yawTable`.
    public static let yawBins: [ClosedRange<Float>] = [0...15, 15...30, 30...45, 45...60, 60...90]

    /// All-points NME per bin of |yaw|: faces found / in the bin, mean, median, failure rate.
    public func yawTable() -> String {
        var out = "|yaw| (deg)  faces     mean(all)  median(all)  fail@0.08\n"
        for (i, bin) in Self.yawBins.enumerated() {
            let inBin = outcomes.filter { bin.contains(abs($0.yaw)) && (i == 0 || abs($0.yaw) > bin.lowerBound) }
            let s = LandmarkReport(source: source, outcomes: inBin).summary(.all)
            let label = "\(Int(bin.lowerBound))–\(Int(bin.upperBound))".padding(toLength: 11, withPad: " ", startingAt: 0)
            out += label + String(format: "  %3d/%-3d  %9.4f  %11.4f  %9.3f\n", s.evaluated, s.total, Double(s.mean),
                                  Double(s.median), Double(s.failureRate))
        }
        return out
    }

    /// A plain-text table of the three regions.
    public func table() -> String {
        var out = "source: \(source)\nregion     mean     median   fail@0.08  AUC@0.08  faces\n"
        for r in LandmarkRegion.allCases {
            let s = summary(r)
            out += r.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            out += String(format: " %8.4f %8.4f %9.3f %9.3f  %d/%d\n",
                          Double(s.mean), Double(s.median), Double(s.failureRate), Double(s.auc), s.evaluated, s.total)
        }
        return out
    }
}

public enum LandmarkEvaluation {
    /// Runs `source` on every photo and scores it against the annotation.
    public static func run(_ dataset: [AnnotatedImage], source: LandmarkSource, load: (URL) throws -> Image,
                           progress: (Int) -> Void = { _ in }) throws -> LandmarkReport {
        var outcomes: [LandmarkOutcome] = []
        for (i, item) in dataset.enumerated() {
            let image = try load(item.imageURL)
            let start = DispatchTime.now().uptimeNanoseconds
            let points = try source.landmarks(for: LandmarkQuery(name: item.name, image: image, referenceBox: item.landmarkBox))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let error = try points.map { try LandmarkMetrics.nme(predicted: $0, truth: item.landmarks) }
            outcomes.append(LandmarkOutcome(name: item.name, error: error, seconds: seconds, yaw: LandmarkMetrics.yaw(item.landmarks)))
            progress(i + 1)
        }
        return LandmarkReport(source: source.name, outcomes: outcomes)
    }
}
