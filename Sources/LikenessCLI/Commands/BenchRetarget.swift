import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Imaging
import Retargeting
import Training
import Video

/// `likeness bench retarget`: the per-frame video path of `retarget` on a 512×512 clip — decode,
/// track (the 68-point model on the previous frame's box; the detector only on the first frame,
/// on loss and every `FaceTracker.verifyInterval` frames), network, One-Euro filter — timed per
/// stage and as frames per second after the first detection, each with its ratio to plain
/// `cblas_sgemm` GFLOP/s measured in the same run.
struct BenchRetarget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retarget",
        abstract: "Benchmark video retargeting per frame (decode, track, network, filter) on a 512×512 clip."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "A 512×512 video.") var video = "../shared/data/video/lp_d0.mp4"
    @Option(help: "A trained model (safetensors from train-base) instead of the shipped one.") var weights: String?
    @Flag(help: "Include the landmark-fit refinement in the per-frame path.") var refine = false

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        let model = EmbeddedHead.make()
        let base = try BaseModel(contentsOf: weights.map { URL(fileURLWithPath: $0) })
        try base.check(model)
        let retargeter = try Retargeter(model: model, network: base, frontEnd: try FaceFrontEnd.standard(), refine: refine)
        let url = URL(fileURLWithPath: video)
        // Stage by stage, on frames decoded in advance.
        var decodeSeconds = 0.0
        var frames: [VideoFrame] = []
        decodeSeconds = try BenchReference.bestSeconds(repeats: 1) {
            let reader = try VideoReader(contentsOf: url)
            frames = try reader.readAll()
        }
        guard let first = frames.first else { throw ValidationError("\(video) has no frames") }
        print("clip: \(url.lastPathComponent), \(first.image.width)×\(first.image.height), \(frames.count) frames")
        func report(_ name: String, _ seconds: Double, per items: Int) {
            let perItem = seconds / Double(max(items, 1))
            let label = name.padding(toLength: 44, withPad: " ", startingAt: 0)
            print(label + String(format: "%8.2f ms   ratio to sgemm GFLOP/s: %.4f", perItem * 1000, (1 / perItem) / gflops))
        }
        report("decode (libavcodec + RGB)", decodeSeconds, per: frames.count)
        let tracker = FaceTracker(frontEnd: retargeter.frontEnd, verifyInterval: 0)
        var landmarks: [[Point2]] = []
        _ = tracker.next(first.image)
        let trackSeconds = try BenchReference.bestSeconds(repeats: 1) {
            for f in frames.dropFirst() { if let l = tracker.next(f.image).landmarks { landmarks.append(l) } }
        }
        report("track (68 points on the previous box)", trackSeconds, per: frames.count - 1)
        let detectSeconds = try BenchReference.bestSeconds(repeats: 1) {
            for f in frames.prefix(10) { _ = retargeter.frontEnd.detector.detect(f.image) }
        }
        report("detect (BlazeFace, first frame / on loss)", detectSeconds, per: min(10, frames.count))
        let located = Array(zip(frames.dropFirst(), landmarks).prefix(30))
        let networkSeconds = try BenchReference.bestSeconds(repeats: 1) {
            for (f, l) in located { _ = try retargeter.estimate(f.image, landmarks: l) }
        }
        report(refine ? "crop + network + refine" : "crop + network", networkSeconds, per: located.count)
        var filter = OneEuroFilter()
        let channels = [Float](repeating: 0.5, count: model.expressionCount + 3 * model.joints.count + 3)
        let filterSeconds = BenchReference.bestSeconds(repeats: 1) {
            for i in 0..<1000 { _ = filter.filter(channels, at: Double(i) / 30) }
        }
        report("One-Euro filter (\(channels.count) channels)", filterSeconds, per: 1000)
        // The whole path, as `retarget` runs it, decoding included.
        retargeter.startClip()
        let reader = try VideoReader(contentsOf: url)
        var timed = 0, found = 0
        var start = DispatchTime.now().uptimeNanoseconds
        while let f = try reader.next() {
            let frame = retargeter.videoFrame(f.image, index: f.index, timestamp: f.timestamp, name: "bench")
            if f.index == 0 { start = DispatchTime.now().uptimeNanoseconds; continue }
            timed += 1
            if frame.hasFace { found += 1 }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        report("whole frame after the first detection", seconds, per: timed)
        print(String(format: "  %.1f fps after the first detection (%d frames, %d with a face; target ≥ 30)",
                     Double(timed) / seconds, timed, found))
    }
}
