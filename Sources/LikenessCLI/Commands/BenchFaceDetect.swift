import ArgumentParser
import FaceDetect
import Foundation
import Imaging

/// `likeness bench facedetect`: model loading, detection per 640×480 photo, 68 landmarks per face
/// and the 256×256 crop + skin mask, each with its ratio to plain `cblas_sgemm` GFLOP/s measured in
/// the same run.
struct BenchFaceDetect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facedetect",
        abstract: "Benchmark face detection (640×480), dlib's 68-point cascade and the alignment crop."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A folder of annotated photos (image + .pts) to time on.")
    var photos = "../shared/data/faces-300w/afw"

    @Option(help: "How many photos to use.") var count = 20
    @Option(help: "Repetitions per measurement (the best is reported).") var repeats = 3

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        func report(_ name: String, _ perSecond: Double, _ unit: String) {
            let label = name.padding(toLength: 40, withPad: " ", startingAt: 0)
            print(label + String(format: "%9.1f %@ (%.2f ms)   ratio to sgemm GFLOP/s: %.3f",
                                 perSecond, unit, 1000 / perSecond, perSecond / gflops))
        }
        let items = Array(try AnnotatedFolder.read(URL(fileURLWithPath: photos)).prefix(count))
        guard !items.isEmpty else { throw ValidationError("no annotated photos in \(photos)") }
        let canvases = try items.map { DetectionEvaluation.canvas(try ImageDecoder.decode(contentsOf: $0.imageURL)).image }
        let grays = canvases.map { $0.faceDetectGray() }

        var predictor: ShapePredictor?
        report("load dlib 68-point model (99.7 MB)", 1 / (try best { predictor = try ShapePredictor() }), "loads/s")
        let detector = try FaceDetector.standard()
        let photos = Array(zip(canvases, grays))
        report("detect 640×480 (BlazeFace + map)", Double(photos.count) / best { for (c, g) in photos { _ = detector.detect(c, gray: g) } }, "photos/s")
        let haar = try FaceDetector.haar()
        report("detect 640×480 (Haar + map)", Double(photos.count) / best { for (c, g) in photos { _ = haar.detect(c, gray: g) } }, "photos/s")

        let boxes = photos.map { detector.detect($0, gray: $1).first?.box ?? FaceBox(x: 200, y: 120, width: 240, height: 240) }
        let sp = predictor!
        report("68 landmarks per face", Double(grays.count) / best { for (g, b) in zip(grays, boxes) { _ = sp.predict(gray: g, box: b) } }, "faces/s")

        let aligner = FaceAligner(meanShape: sp.meanShape)
        let landmarks = zip(grays, boxes).map { sp.predict(gray: $0, box: $1) }
        report("256×256 crop + skin mask per face", Double(grays.count) / (try best {
            for (photo, points) in zip(canvases, landmarks) {
                let crop = try aligner.crop(photo, landmarks: points)
                _ = try SkinMask().mask(landmarks: crop.landmarks!, width: aligner.size, height: aligner.size)
            }
        }), "faces/s")
    }

    /// Best wall time in seconds over `repeats` runs.
    func best(_ body: () throws -> Void) rethrows -> Double {
        try BenchReference.bestSeconds(repeats: repeats, body)
    }
}
