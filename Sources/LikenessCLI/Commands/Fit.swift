import ArgumentParser
import FaceDetect
import FaceModel
import Foundation
import Reconstruction

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit the morphable model to photos by optimisation (the classical baseline).",
        discussion: """
        All photos are taken to show one person: one identity is fitted to all of them, pose and \
        expression per photo. Writes parameters/<photo>.json, head.obj (+ head.png albedo, head.mtl), \
        head.glb (every expression a named morph target), photo-texture.png (the photos unwrapped and blended), preview.png and summary.json (skipped photos \
        with their reasons, timings). Photos without a usable face are skipped, never fatal.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: "Photos, or folders of photos, of one person.")
    var photos: [String]

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "Jaw-line matching: silhouette (Eq. 1) or marching (FLAME-style dynamic contour).")
    var boundary: BoundaryMode = .silhouette

    @Option(help: "Side of the square texture in texels.")
    var textureSize = 1024

    @Flag(help: "Also fit every photo on its own and each half of the set; report the spread of identities.")
    var compareSeparate = false

    @Flag(help: "Draw preview.png over white instead of the photos (a preview free of the photos' rights).")
    var previewWithoutPhotos = false

    func run() throws {
        let logger = global.makeLogger("likeness.fit")
        let model = try modelOptions.load()
        var job = PersonFit(model: model, settings: FitSettings(boundary: boundary))
        job.textureSize = textureSize
        job.compareSeparate = compareSeparate
        job.previewWithoutPhotos = previewWithoutPhotos
        let urls = try PhotoIntake.photoURLs(photos)
        logger.info("\(urls.count) photos, model \(model.info.name) (\(model.vertexCount) vertices)")
        let summary = try job.run(urls, frontEnd: try FaceFrontEnd.standard(), output: URL(fileURLWithPath: output),
                                  log: { logger.info("\($0)") })
        print("fitted \(summary.fitted.count) of \(summary.photos) photos, skipped \(summary.skippedCount)")
        for s in summary.skipped { print("  skipped \(s.name): [\(s.code)] \(s.reason)") }
        print(String(format: "locating %.2f s, shared fit %.2f s (%.3f s per photo), %d iterations",
                     summary.secondsLocating, summary.secondsSharedFit,
                     summary.secondsSharedFit / Double(max(summary.fitted.count, 1)), summary.iterations))
        if let s = summary.separateSpread, let t = summary.separateSecondsPerPhoto {
            print(String(format: "per-photo identities: β spread %.3f σ, shape spread %.2f mm (%.3f s per photo)",
                         s.betaRMS, s.shapeRMSMetres * 1000, t))
        }
        if let h = summary.splitHalfSpread {
            print(String(format: "shared identities of the two halves: β spread %.3f σ, shape spread %.2f mm",
                         h.betaRMS, h.shapeRMSMetres * 1000))
        }
        if let before = summary.photometricRMSBefore, let after = summary.photometricRMSAfter {
            print(String(format: "photometric RMS %.4f (blended photo texture) → %.4f (albedo + per-photo SH light)", before, after))
        }
        print("wrote \(output)")
    }
}

extension BoundaryMode: ExpressibleByArgument {}
extension FaceDetector.Kind: ExpressibleByArgument {}
