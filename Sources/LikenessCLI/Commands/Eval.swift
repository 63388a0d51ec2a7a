import ArgumentParser
import FaceDetect
import Foundation
import Imaging
import Reconstruction
import FaceModel
import Training

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate Likeness against annotated data.",
        subcommands: [EvalLandmarks.self, EvalDetect.self, EvalFrontEnd.self, EvalTransfer.self, EvalIdentity.self, EvalRetarget.self, EvalDetails.self, EvalAlbedo.self]
    )
}

/// Where the landmarks evaluated come from. Only the detector exists so far; the fitted model, the
/// base network and person-specific networks plug in as further `LandmarkSource`s.
enum LandmarkSourceKind: String, ExpressibleByArgument, CaseIterable {
    case detector, fit, base, person
}

struct EvalLandmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landmarks",
        abstract: "68-point landmark NME (boundary/inner/all) on a folder of images with .pts files.",
        discussion: """
            NME is normalised by the outer-eye-corner distance (points 36 and 45). Mean and median are \
            over the photos where the source found the face; the failure rate (NME > 0.08) and \
            AUC@0.08 count a missed face as a failure. Writes landmarks-<source>.csv (per image) and \
            ced-<source>.png (cumulative error distribution) to --output.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A folder of images with 300-W .pts files beside them.")
    var folder: String

    @Option(help: "Where the landmarks come from: \(LandmarkSourceKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var source: LandmarkSourceKind = .detector

    @Option(help: "Folder for the CSV and the CED plot.")
    var output = "."

    @Flag(help: "Feed the detector's boxes to the 68-point model unmapped (to measure the box mapping).")
    var noBoxMapping = false

    @Option(help: "The face detector: \(FaceDetector.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var detector: FaceDetector.Kind = .blazeface

    @Option(help: "With --source fit: jaw-line matching, silhouette (Eq. 1) or marching (the ablation).")
    var boundary: BoundaryMode = .silhouette

    @OptionGroup var fitModel: ModelOptions

    @Flag(help: "With --source base: refine the base model's estimate by the classical landmark fit.")
    var refine = false

    @Option(help: "With --source base: a trained model (safetensors from train-base) instead of the shipped one.")
    var weights: String?
    @Option(help: "JSON of reference (dlib HOG) boxes: also report the NME over the photos where a reference box has IoU ≥ 0.5 with the landmark box (the same faces as that detector).")
    var referenceBoxes: String?

    func run() throws {
        let dataset = try AnnotatedFolder.read(URL(fileURLWithPath: folder))
        guard !dataset.isEmpty else { throw ValidationError("no image with a .pts file in \(folder)") }
        let landmarkSource = try makeSource()
        var progress = Progress("landmarks", total: dataset.count)
        let report = try LandmarkEvaluation.run(dataset, source: landmarkSource, load: { try ImageDecoder.decode(contentsOf: $0) },
                                                progress: { progress.update($0) })
        print(report.table(), terminator: "")
        print(report.yawTable(), terminator: "")
        if let referenceBoxes {
            let references = try EvalDetect.referenceBoxes(referenceBoxes)
            let names = Set(dataset.filter { item in
                (references[item.name] ?? []).contains { $0.iou(item.landmarkBox) >= DetectionReport.iouThreshold }
            }.map(\.name))
            print("on the \(names.count) faces the reference detector finds:")
            print(report.restricted(to: names).table(), terminator: "")
        }
        let found = report.outcomes.filter { $0.error != nil }
        let perFace = found.isEmpty ? 0 : found.map(\.seconds).reduce(0, +) / Double(found.count)
        print(String(format: "time per photo (detection + landmarks): %.1f ms", perFace * 1000))
        let out = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let csvURL = out.appendingPathComponent("landmarks-\(landmarkSource.name).csv")
        try report.csv().write(to: csvURL, atomically: true, encoding: .utf8)
        let title = "CED \(URL(fileURLWithPath: folder).lastPathComponent) (\(landmarkSource.name))"
        let plot = CEDPlot.render([
            .init(label: "ALL", color: (0, 0, 0), errors: report.errors(.all)),
            .init(label: "BOUNDARY 0-16", color: (200, 30, 30), errors: report.errors(.boundary)),
            .init(label: "INNER 17-67", color: (30, 60, 200), errors: report.errors(.inner)),
        ], title: title)
        let pngURL = out.appendingPathComponent("ced-\(landmarkSource.name).png")
        try PNGEncoder.encode(plot).write(to: pngURL)
        print("wrote \(csvURL.path) and \(pngURL.path)")
    }

    private func makeSource() throws -> LandmarkSource {
        switch source {
        case .detector:
            var faces = try FaceDetector.make(detector)
            if noBoxMapping { faces = faces.withoutBoxMapping() }
            let src = DetectorLandmarkSource(detector: faces, predictor: try ShapePredictor())
            return noBoxMapping ? ClosureLandmarkSource(name: "detector-unmapped", src.landmarks(for:)) : src
        case .fit:
            let detections = DetectorLandmarkSource(detector: try FaceDetector.make(detector), predictor: try ShapePredictor())
            return FittedLandmarkSource(detections: detections,
                                        fitter: try LandmarkFitter(model: fitModel.load(), settings: FitSettings(boundary: boundary)))
        case .base:
            let detections = DetectorLandmarkSource(detector: try FaceDetector.make(detector), predictor: try ShapePredictor())
            let model = EmbeddedHead.make()
            let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
            try base.check(model)
            return BaseLandmarkSource(detections: detections, model: base, projection: try LandmarkProjection(model: model),
                                      aligner: FaceAligner(meanShape: detections.predictor.meanShape),
                                      refiner: refine ? try LandmarkFitter(model: model, settings: FitSettings(boundary: boundary)) : nil)
        case .person:
            throw NotYetAvailable(command: "eval landmarks --source person", providedBy: "person-specific transfer")
        }
    }
}

/// `likeness eval detect`: detection recall and time on annotated folders, and the fit of the box
/// map from the cascade's boxes to dlib's HOG convention.
struct EvalDetect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Face-detection recall (IoU ≥ 0.5 with the landmark box) and time per 640×480 photo.",
        discussion: """
            Each photo is placed at the centre of a 640×480 gray canvas (when it fits) so the time is \
            that of a 640×480 photo. With --fit-mapping, fits the map from the cascade's boxes to the \
            reference boxes in the given JSON ({"<path>/<name>.jpg": [[left, top, right, bottom], ...]}, \
            as Scripts/make_dlib_reference.py writes for dlib's HOG detector).
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Folders of images with 300-W .pts files.")
    var folders: [String]

    @Option(help: "One OpenCV cascade XML to evaluate alone (instead of --detector).")
    var cascade: String?

    @Option(help: "The face detector: \(FaceDetector.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (haar: default cascade + alt2 fallback).")
    var detector: FaceDetector.Kind = .blazeface

    @Option(help: "JSON of reference (dlib HOG) boxes to fit the box mapping of --cascade or --detector blazeface to.")
    var fitMapping: String?

    @Flag(help: "Run on the photos as they are instead of on a 640×480 canvas.")
    var noCanvas = false

    func run() throws {
        if fitMapping != nil && cascade == nil && detector == .haar {
            throw ValidationError("--fit-mapping needs --cascade or --detector blazeface: a map is fitted per detector")
        }
        let faces = try cascade.map {
            FaceDetector(cascade: try CascadeModel(contentsOf: URL(fileURLWithPath: $0)), mapping: FaceDetector.defaultMapping)
        } ?? FaceDetector.make(detector)
        var outcomes: [DetectionOutcome] = []
        print("detector: " + (cascade.map { URL(fileURLWithPath: $0).lastPathComponent + " (recall(mapped) uses the default cascade's map)" }
            ?? (detector == .haar ? "haar (haarcascade_frontalface_default, alt2 when it finds nothing)" : "blazeface (MediaPipe short range)")))
        print("set            photos  recall(raw)  recall(mapped)  ms/photo(mean)  ms/photo(median)")
        for folder in folders {
            let dataset = try AnnotatedFolder.read(URL(fileURLWithPath: folder))
            var progress = Progress(URL(fileURLWithPath: folder).lastPathComponent, total: dataset.count)
            let report = try DetectionEvaluation.run(dataset, detector: faces, onCanvas: !noCanvas,
                                                     load: { try ImageDecoder.decode(contentsOf: $0) },
                                                     progress: { progress.update($0) })
            outcomes += report.outcomes
            let name = URL(fileURLWithPath: folder).lastPathComponent.padding(toLength: 14, withPad: " ", startingAt: 0)
            print(name + String(format: " %6d  %11.3f  %14.3f  %14.1f  %16.1f", report.outcomes.count, Double(report.recallRaw),
                                Double(report.recallMapped), report.meanSeconds * 1000, report.medianSeconds * 1000))
        }
        if let fitMapping {
            let fit = DetectionReport(outcomes: outcomes).fitMapping(references: try Self.referenceBoxes(fitMapping))
            let m = fit.mapping
            print(String(format: "fitted mapping on %d faces: dx %.4f dy %.4f scaleWidth %.4f scaleHeight %.4f",
                         fit.pairs, Double(m.dx), Double(m.dy), Double(m.scaleWidth), Double(m.scaleHeight)))
        }
    }

    /// Reference boxes keyed by image name without extension.
    static func referenceBoxes(_ path: String) throws -> [String: [FaceBox]] {
        let raw = try JSONDecoder().decode([String: [[Float]]].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        var out: [String: [FaceBox]] = [:]
        for (key, boxes) in raw {
            out[URL(fileURLWithPath: key).deletingPathExtension().lastPathComponent] = boxes.compactMap { b in
                b.count == 4 ? FaceBox(left: b[0], top: b[1], right: b[2], bottom: b[3]) : nil
            }
        }
        return out
    }
}

/// `likeness eval frontend`: what the front end makes of every photo of some folders (accepted, or
/// the rejection code), to check that single-face photos are not rejected as "several faces".
struct EvalFrontEnd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend",
        abstract: "Front-end outcome (accepted or rejection code) per photo of folders, mirrored too with --mirror.",
        discussion: "Prints one line per folder and the reason for every several-faces rejection (with the boxes)."
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Folders of photos.")
    var folders: [String]

    @Flag(help: "Also run every photo mirrored left↔right.")
    var mirror = false

    @Option(help: "The face detector: \(FaceDetector.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var detector: FaceDetector.Kind = .blazeface

    func run() throws {
        let frontEnd = FaceFrontEnd(detector: try FaceDetector.make(detector), predictor: try ShapePredictor())
        let codes = ["no-face", "several-faces", "face-too-small", "face-cut-by-border"]
        print("set             photos  accepted  " + codes.joined(separator: "  "))
        var several: [String] = []
        for folder in folders {
            let url = URL(fileURLWithPath: folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
                PhotoIntake.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".")
            }.sorted()
            var tally: [String: Int] = [:], runs = 0
            var progress = Progress(url.lastPathComponent, total: names.count)
            for (i, name) in names.enumerated() {
                let photo = try ImageDecoder.decode(contentsOf: url.appendingPathComponent(name))
                for (variant, image) in [("", photo)] + (mirror ? [(" (mirrored)", photo.oriented(.upMirrored))] : []) {
                    runs += 1
                    do {
                        _ = try frontEnd.locate(in: image)
                        tally["accepted", default: 0] += 1
                    } catch let rejection as FaceRejection {
                        tally[rejection.code, default: 0] += 1
                        if case .severalFaces = rejection { several.append("\(url.lastPathComponent)/\(name)\(variant): \(rejection)") }
                    }
                }
                progress.update(i + 1)
            }
            let label = url.lastPathComponent.padding(toLength: 14, withPad: " ", startingAt: 0)
            print(label + String(format: " %7d  %8d", runs, tally["accepted", default: 0])
                  + codes.map { String(format: "  %\($0.count)d", tally[$0, default: 0]) }.joined())
        }
        for line in several { print("several-faces: " + line) }
    }
}
