import XCTest
import Tensor
@testable import Networks

/// The parallel paths (split GEMMs, parallel heads and rows) give the single-threaded results.
/// Sizes are chosen above the thresholds at which work is shared (65 tokens × batch 4).
final class ThreadingTests: XCTestCase {
    private var saved = (Compute.threads, Compute.strategy)
    override func tearDown() { Compute.setThreads(saved.0, strategy: saved.1) }

    func testForwardAndGradientsMatchAcrossThreadingStrategies() throws {
        var g = SeededGenerator(seed: 1)
        let config = ViTConfiguration(imageSize: 128, patchSize: 16, dim: 64, depth: 2, heads: 2)
        let vit = VisionTransformer(config, using: &g)
        for batch in [1, 4] {   // batch 1: attention also splits heads into query-row blocks
            try compareStrategies(vit, images: randomImages([batch, 3, 128, 128], seed: 2))
        }
    }

    private func compareStrategies(_ vit: VisionTransformer, images: Tensor) throws {
        func run() throws -> ([Float], [Float]) {
            vit.zeroGrad()
            let out = try vit.forward(images)
            mean(out * out).backward()
            return (out.values, vit.parameters.flatMap(\.gradValues))
        }
        Compute.setThreads(1)
        let (out1, grad1) = try run()
        for strategy in Compute.Strategy.allCases {
            Compute.setThreads(2, strategy: strategy)
            let (out2, grad2) = try run()
            let outErr = zip(out1, out2).map { abs($0 - $1) }.max()!
            let gradErr = zip(grad1, grad2).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(outErr, 1e-4, "\(strategy)")
            XCTAssertLessThan(gradErr, 1e-5, "\(strategy)")
        }
    }
}
