import ArgumentParser
import COpenBLAS
import Dispatch
import FaceModel
import Foundation
import Render

/// `likeness bench render`: forward (rasterise + shade) and backward pass of the differentiable
/// renderer on the embedded head (or the procedural head), next to plain cblas_sgemm GFLOP/s
/// measured in the same run.
struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Time the renderer's forward and backward passes (targets: ≤ 3 ms forward, ≤ 2× that backward)."
    )

    @Option(help: "Render width and height in pixels.") var size = 256
    @Option(help: "Timed iterations per measurement (the median is reported).") var iterations = 200
    @Flag(help: "Use the procedural head (96×72: 6 818 vertices) instead of the embedded head.")
    var procedural = false
    @Flag(help: "Also perturb the shading with a displacement map.") var displacement = false
    @Option(help: "Fraction of the frame the face's landmarks fill (default 0.55, an aligned face crop; the procedural head: the whole head, default 0.8).")
    var fill: Float?

    func run() throws {
        guard size > 0, iterations > 0 else { throw ValidationError("size and iterations must be positive") }
        // The embedded head framed like an aligned face crop: its 68 landmarks fill `fill` of the frame.
        let model = EmbeddedHead.make()
        let mesh = procedural ? ProceduralHead.mesh() : try RenderMesh(model: model)
        let framed = procedural || model.landmarks.isEmpty ? mesh.positions : mesh.surfacePoints(model.landmarks)
        let renderer = try Renderer(width: size, height: size)
        let camera = OrthoCamera.framing(positions: framed, width: size, height: size,
                                         fill: fill ?? (procedural ? 0.8 : 0.55))
        var scene = RenderScene(camera: camera, albedo: ProceduralHead.checkerAlbedo(size: 256))
        if displacement {
            scene.displacement = try TextureMap(width: 256, height: 256, channels: 1,
                                                data: (0..<(256 * 256)).map { 0.005 * sin(Float($0 % 256) * 0.3) })
        }
        let first = try renderer.render(mesh: mesh, scene: scene)
        let target = try TextureMap(width: size, height: size, fill: [0.5, 0.4, 0.3])
        let (_, dImage) = try PhotometricLoss.evaluate(rendered: first.image, target: target, mask: first.mask)

        let gflops = BenchReference.sgemmGFLOPS()
        let forward = try measure(iterations) { _ = try renderer.render(mesh: mesh, scene: scene) }
        let rasterOnly = try measure(iterations) {
            _ = Rasterizer.rasterize(mesh: mesh, camera: camera, width: size, height: size)
        }
        let backward = try measure(iterations) {
            _ = try renderer.backward(mesh: mesh, scene: scene, output: first, imageGradient: dImage)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("render bench: \(mesh.vertexCount) vertices, \(mesh.triangleCount) triangles, \(size)×\(size), "
              + "\(first.rasterization.coveredPixels.count) covered pixels, \(cores) cores"
              + (displacement ? ", displacement map" : ""))
        print(String(format: "sgemm reference:   %.1f GFLOP/s (512×512×512, cblas_sgemm)", gflops))
        report("forward", forward, target: 3.0, gflops: gflops)
        report("backward", backward, target: 2 * forward.wall, gflops: gflops)
        print(String(format: "  of which rasterisation %.3f ms (cpu %.3f ms/call)", rasterOnly.wall, rasterOnly.cpu))
        print(String(format: "backward / forward: %.2f wall, %.2f cpu", backward.wall / forward.wall,
                     backward.cpu / forward.cpu))
    }

    /// ms × GFLOP/s = how many MFLOP of sgemm the machine does in the same time.
    private func report(_ name: String, _ timing: Timing, target: Double, gflops: Double) {
        let line = String(format: "%7.3f ms  (= %.1f MFLOP of sgemm time; target ≤ %.2f ms)  cpu %.3f ms/call",
                          timing.wall, timing.wall * gflops, target, timing.cpu)
        print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + line)
    }

    /// Median wall-clock ms and mean process CPU ms (all threads) per call. On a shared machine
    /// the CPU figure is the steadier one: on 2 idle cores wall ≈ cpu / 2 for the parallel parts.
    struct Timing { var wall: Double, cpu: Double }

    private func measure(_ n: Int, _ body: () throws -> Void) throws -> Timing {
        for _ in 0..<min(10, n) { try body() }
        var times: [Double] = []
        let cpuStart = processCPUMilliseconds()
        for _ in 0..<n {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let cpu = (processCPUMilliseconds() - cpuStart) / Double(n)
        return Timing(wall: times.sorted()[n / 2], cpu: cpu)
    }

    private func processCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1e3 + Double(ts.tv_nsec) / 1e6
    }
}
