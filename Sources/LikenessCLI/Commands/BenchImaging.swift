import ArgumentParser
import Foundation
import Imaging
import Tensor

/// `likeness bench imaging`: decode, resize and warp throughput on a synthetic photo, each figure
/// printed with its ratio to plain `cblas_sgemm` GFLOP/s measured in the same run.
struct BenchImaging: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imaging",
        abstract: "Benchmark image decoding (JPEG, PNG), area-averaging resize and 256×256 affine crops."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Width of the synthetic photo.") var width = 4000
    @Option(help: "Height of the synthetic photo.") var height = 3000
    @Option(help: "Repetitions per measurement (the best is reported).") var repeats = 3

    func run() throws {
        let gflops = BenchReference.sgemmGFLOPS()
        print(String(format: "reference cblas_sgemm (512³): %.1f GFLOP/s", gflops))
        let photo = Self.syntheticPhoto(width: width, height: height)
        let megapixels = Double(width * height) / 1e6
        let jpeg = try JPEGEncoder.encode(photo, quality: 90)
        let png = try PNGEncoder.encode(photo)

        func report(_ name: String, _ perSecond: Double, _ unit: String) {
            let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
            print(label + String(format: "%9.1f %@   ratio to sgemm GFLOP/s: %.3f", perSecond, unit, perSecond / gflops))
        }
        report("JPEG decode (\(width)×\(height))", try megapixels / best { _ = try ImageDecoder.decode(jpeg) }, "Mpx/s")
        report("JPEG encode q90", try megapixels / best { _ = try JPEGEncoder.encode(photo, quality: 90) }, "Mpx/s")
        report("PNG decode", try megapixels / best { _ = try ImageDecoder.decode(png) }, "Mpx/s")
        report("resize area-average to 1/4", try megapixels / best { _ = photo.resized(width: width / 4, height: height / 4) }, "Mpx/s")
        let crop = AffineTransform.similarity(scale: 0.2, angle: 0.1, tx: -100, ty: -50)
        let crops = 20
        report("warpAffine 256×256 crop", try Double(crops) / best {
            for _ in 0..<crops { _ = try warpAffine(photo, matrix: crop, width: 256, height: 256) }
        }, "crops/s")
    }

    /// Best wall time in seconds over `repeats` runs.
    func best(_ body: () throws -> Void) rethrows -> Double {
        try BenchReference.bestSeconds(repeats: repeats, body)
    }

    /// Gradients plus mild texture, roughly as compressible as a photo.
    static func syntheticPhoto(width: Int, height: Int) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        image.pixels.withUnsafeMutableBufferPointer { p in
            var state: UInt32 = 12345
            for y in 0..<height {
                for x in 0..<width {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    let noise = Int(state >> 28)
                    let o = (y * width + x) * 3
                    p[o] = UInt8(truncatingIfNeeded: (x * 255 / width + noise))
                    p[o + 1] = UInt8(truncatingIfNeeded: (y * 255 / height + noise))
                    p[o + 2] = UInt8(truncatingIfNeeded: ((x + y) / 8 + noise))
                }
            }
        }
        return image
    }
}
