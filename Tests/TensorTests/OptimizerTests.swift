import Foundation
import XCTest
@testable import Tensor

final class OptimizerTests: XCTestCase {
    /// First Adam step moves every coordinate by lr·sign(g) (m̂ = g, v̂ = g²); the second follows the
    /// moment recursions, computed here by hand.
    func testAdamMatchesHandComputedSteps() {
        let p = Tensor([1, -2], shape: [2], requiresGrad: true)
        let adam = Adam(parameters: [p], learningRate: 0.1)
        p.gradBuffer()[0] = 0.5; p.gradBuffer()[1] = -3
        adam.step()
        XCTAssertEqual(p.data[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(p.data[1], -1.9, accuracy: 1e-6)
        adam.zeroGrad()
        p.gradBuffer()[0] = 1; p.gradBuffer()[1] = 0
        adam.step()
        let m = 0.9 * 0.1 * 0.5 + 0.1 * 1.0, v = 0.999 * 0.001 * 0.25 + 0.001 * 1.0
        let update = (m / (1 - 0.81)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        XCTAssertEqual(Double(p.data[0]), 0.9 - 0.1 * update, accuracy: 1e-5)
    }

    func testAdamWDecaysDecoupledAndAdamCouples() {
        let a = Tensor([2], shape: [1], requiresGrad: true), b = Tensor([2], shape: [1], requiresGrad: true)
        let adamW = Adam.adamW(parameters: [a], learningRate: 0.1, weightDecay: 0.5)
        let adam = Adam(parameters: [b], learningRate: 0.1, weightDecay: 0.5)
        a.gradBuffer()[0] = 1; b.gradBuffer()[0] = 1
        adamW.step(); adam.step()
        XCTAssertEqual(a.data[0], 2 - 0.1 * (1 + 0.5 * 2), accuracy: 1e-6)
        XCTAssertEqual(b.data[0], 2 - 0.1, accuracy: 1e-6)   // normalised step of g + λθ > 0
    }

    func testFrozenParametersAreUntouched() {
        let p = Tensor([1, 2], shape: [2], requiresGrad: true), q = Tensor([3, 4], shape: [2], requiresGrad: true)
        let adam = Adam(parameters: [p, q], learningRate: 0.1)
        sum(p * q).backward()
        q.requiresGrad = false
        adam.step()
        XCTAssertEqual(q.values, [3, 4])
        XCTAssertNotEqual(p.values, [1, 2])
    }

    func testGlobalNormClipping() {
        let p = Tensor([0, 0], shape: [2], requiresGrad: true), q = Tensor([0], shape: [1], requiresGrad: true)
        p.gradBuffer()[0] = 3; p.gradBuffer()[1] = 0; q.gradBuffer()[0] = 4
        XCTAssertEqual(clipGradientNorm([p, q], maxNorm: 1), 5, accuracy: 1e-6)
        assertClose(p.gradValues + q.gradValues, [0.6, 0, 0.8])
        XCTAssertEqual(clipGradientNorm([p, q], maxNorm: 10), 1, accuracy: 1e-6)
        assertClose(p.gradValues + q.gradValues, [0.6, 0, 0.8])
    }

    func testWarmupCosineSchedule() {
        let s = WarmupCosineSchedule(baseRate: 1, warmupSteps: 4, totalSteps: 14, minimumRate: 0.1)
        XCTAssertEqual(s.rate(at: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 9), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 14), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 100), 0.1, accuracy: 1e-6)
    }

    /// Two half-batches accumulated give the gradient of the whole batch (sum-reduced loss).
    func testGradientAccumulationEqualsFullBatch() {
        let w = randomTensor([3, 4], seed: 1), x = randomTensor([6, 4], seed: 2)
        x.requiresGrad = false
        sum(gelu(linear(x, weight: w, bias: nil))).backward()
        let full = w.gradValues
        w.zeroGrad()
        for half in [0..<3, 3..<6] { sum(gelu(linear(slice(x, axis: 0, half), weight: w, bias: nil))).backward() }
        assertClose(w.gradValues, full, tolerance: 1e-5)
    }
}
