import Foundation
import XCTest
import Tensor
@testable import Networks

/// The ViT against an independent NumPy implementation (Scripts/make_vit_reference.py): weights
/// under timm names loaded through `Checkpoint`, forward output compared elementwise.
final class ReferenceTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vit_reference.safetensors")

    func testViTForwardMatchesNumPyReference() throws {
        let file = try SafeTensorsFile.read(contentsOf: Self.fixture)
        var g = SeededGenerator(seed: 1)
        let vit = VisionTransformer(tinyConfiguration(), using: &g)
        try Checkpoint.load(into: vit, from: file, selection: { $0 != "input" && $0 != "expected_output" })
        let input = try XCTUnwrap(file["input"]), expected = try XCTUnwrap(file["expected_output"])
        let output = try vit.forward(Tensor(try input.floats(), shape: input.shape))
        XCTAssertEqual(output.shape, expected.shape)
        let worst = zip(output.values, try expected.floats()).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 2e-4)
    }

    /// The patch embedding (patchify + one GEMM) is the stride-p convolution it stands for.
    func testPatchEmbedEqualsStridedConvolution() {
        var g = SeededGenerator(seed: 2)
        let embed = PatchEmbed(patchSize: 4, inChannels: 3, dim: 5, using: &g)
        let images = randomImages([2, 3, 8, 12], seed: 3)
        let conv = conv2d(images, weight: embed.proj.weight, bias: embed.proj.bias, stride: 4)   // [2, 5, 2, 3]
        let tokens = permute(conv.reshaped([2, 5, 6]), [0, 2, 1])
        assertCloseValues(embed(images).values, tokens.values, tolerance: 1e-5)
    }
}

private func assertCloseValues(_ a: [Float], _ b: [Float], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 0, tolerance, file: file, line: line)
}
