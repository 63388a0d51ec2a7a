import XCTest
import Tensor
@testable import Networks

/// A small ViT for tests: 16×16 images, 4×4 patches (16 patches, 17 tokens).
func tinyConfiguration(channels: Int = 3, depth: Int = 2) -> ViTConfiguration {
    ViTConfiguration(imageSize: 16, patchSize: 4, inChannels: channels, dim: 16, depth: depth, heads: 2, mlpRatio: 2)
}

func randomImages(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, in: 0...1, using: &g)
}

/// Gradient check of a module's output with respect to its input and every parameter (a few
/// sampled entries each, to keep the test short).
func assertModuleGradients(_ module: Module, input: Tensor? = nil, samples: Int = 3,
                           file: StaticString = #filePath, line: UInt = #line, _ f: () -> Tensor) {
    var check = GradientCheck()
    check.samplesPerInput = samples
    let inputs = (input.map { [$0] } ?? []) + module.parameters
    let result = check.run(inputs, f)
    XCTAssertGreaterThan(result.compared, inputs.count - 1, file: file, line: line)
    let names = (input == nil ? [] : ["input"]) + module.namedParameters.map(\.name)
    XCTAssertTrue(result.mismatches.isEmpty,
                  "mismatches: \(result.mismatches.prefix(5).map { "\(names[$0.input]): \($0)" })", file: file, line: line)
}

/// Bit patterns of every parameter, by name.
func parameterBits(_ module: Module) -> [String: [UInt32]] {
    Dictionary(uniqueKeysWithValues: module.namedParameters.map { ($0.name, $0.tensor.values.map(\.bitPattern)) })
}

/// Gives the token-like parameters (class and mask tokens, positional embeddings, detail latent)
/// the spread of a trained model. At initialisation (std 0.02) the class-token row is nearly
/// constant, its LayerNorm divides by a tiny deviation, and the curvature makes ε-probes inexact.
func spreadTokenParameters(_ module: Module, using g: inout SeededGenerator) {
    for (name, t) in module.namedParameters where name.hasSuffix("token") || name.hasSuffix("embed") || name.hasSuffix("latent") {
        for i in 0..<t.count { t.data[i] = Float.random(in: -1...1, using: &g) }
    }
}
