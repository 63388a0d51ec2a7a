import XCTest
@testable import Tensor

/// A random tensor with entries uniform in `range` that requires gradients.
func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, in: range, using: &g, requiresGrad: true)
}

/// Asserts that reverse-mode gradients of `f` match central finite differences for every input.
func assertGradients(_ inputs: [Tensor], check: GradientCheck = GradientCheck(),
                     file: StaticString = #filePath, line: UInt = #line, _ f: () -> Tensor) {
    let result = check.run(inputs, f)
    XCTAssertGreaterThan(result.compared, 0, "nothing compared", file: file, line: line)
    XCTAssertTrue(result.mismatches.isEmpty,
                  "gradient mismatches: \(result.mismatches.prefix(5).map(\.description))", file: file, line: line)
}

/// Asserts two float arrays agree elementwise within `tolerance`.
func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "max difference \(worst)", file: file, line: line)
}
