import XCTest
@testable import Tensor

/// Finite-difference checks of every op's backward.
final class OpGradientTests: XCTestCase {
    func testMatmulAllTranspositions() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 1)
            let b = randomTensor(tb ? [5, 4] : [4, 5], seed: 2)
            assertGradients([a, b]) { matmul(a, b, transposeA: ta, transposeB: tb) }
        }
    }

    func testBatchedMatmulAndSharedRightOperand() {
        let a = randomTensor([2, 3, 4], seed: 3), b = randomTensor([2, 4, 5], seed: 4)
        assertGradients([a, b]) { matmul(a, b) }
        let c = randomTensor([2, 5, 3], seed: 35)
        assertGradients([a, c]) { matmul(a, c, transposeA: true, transposeB: true) }
        let shared = randomTensor([4, 2], seed: 5)
        assertGradients([a, shared]) { matmul(a, shared) }
    }

    func testBroadcastArithmetic() {
        let a = randomTensor([2, 3, 4], seed: 6)
        let row = randomTensor([4], seed: 7)
        let column = randomTensor([2, 1, 1], seed: 8)
        let positive = randomTensor([3, 1], seed: 9, in: 0.5...1.5)
        for op in [BinaryOperation.add, .subtract, .multiply] {
            assertGradients([a, row]) { elementwise(op, a, row) }
            assertGradients([column, a]) { elementwise(op, column, a) }
        }
        assertGradients([a, positive]) { a / positive }
        assertGradients([row, positive]) { row / positive }   // both operands broadcast: [3, 4]
        assertGradients([a]) { 2 - a * 3 + 1 }
        assertGradients([a]) { a * a }                          // one tensor used twice
        let same = randomTensor([2, 3, 4], seed: 36, in: 0.5...1.5)
        for op in [BinaryOperation.add, .subtract, .multiply, .divide] {   // the unbroadcast fast path
            assertGradients([a, same]) { elementwise(op, a, same) }
        }
    }

    func testReductions() {
        let x = randomTensor([2, 3, 4], seed: 10)
        assertGradients([x]) { sum(x) }
        assertGradients([x]) { sum(x, axes: [1]) }
        assertGradients([x]) { mean(x, axes: [0, 2], keepDims: true) }
        assertGradients([x]) { mean(x, axes: [-1]) }
    }

    func testShapeOps() {
        let x = randomTensor([2, 3, 4], seed: 11), y = randomTensor([2, 2, 4], seed: 12)
        assertGradients([x]) { x.reshaped([6, -1]) * x.reshaped([6, 4]) }
        assertGradients([x]) { permute(x, [2, 0, 1]) }
        assertGradients([x]) { transpose(x, 0, 2) }
        assertGradients([x, y]) { concat([x, y, x], axis: 1) }
        assertGradients([x]) { slice(x, axis: 2, 1..<3) }
        assertGradients([x]) { slice(x, axis: 0, 1..<2) }
    }

    func testActivations() {
        let x = randomTensor([3, 7], seed: 13, in: -3...3)
        assertGradients([x]) { gelu(x) }
        assertGradients([x]) { sigmoid(x) }
        assertGradients([x]) { tanh(x) }
        let awayFromKink = Tensor((0..<21).map { Float($0 - 10) * 0.1 + 0.05 }, shape: [3, 7], requiresGrad: true)
        assertGradients([awayFromKink]) { relu(awayFromKink) }
    }

    func testSoftmaxAndLayerNorm() {
        let x = randomTensor([4, 6], seed: 14, in: -2...2)
        assertGradients([x]) { softmax(x) }
        let gamma = randomTensor([6], seed: 15, in: 0.5...1.5), beta = randomTensor([6], seed: 16)
        assertGradients([x, gamma, beta]) { layerNorm(x, gamma: gamma, beta: beta) }
    }

    func testLinear() {
        let x = randomTensor([2, 3, 5], seed: 17), w = randomTensor([4, 5], seed: 18), b = randomTensor([4], seed: 19)
        assertGradients([x, w, b]) { linear(x, weight: w, bias: b) }
        assertGradients([x, w]) { linear(x, weight: w, bias: nil) }
    }

    func testSelfAttention() {
        let qkv = randomTensor([2, 5, 12], seed: 20, in: -1.5...1.5)
        assertGradients([qkv]) { selfAttention(qkv: qkv, heads: 2) }
    }

    func testConvolutions() {
        let x = randomTensor([2, 3, 6, 5], seed: 21), w = randomTensor([4, 3, 3, 3], seed: 22)
        let b = randomTensor([4], seed: 23)
        assertGradients([x, w, b]) { conv2d(x, weight: w, bias: b, stride: 2, padding: 1) }
        assertGradients([x, w, b]) { conv2d(x, weight: w, bias: b, stride: 1, padding: 0) }
        let w1 = randomTensor([4, 3, 1, 1], seed: 27)
        assertGradients([x, w1, b]) { conv2d(x, weight: w1, bias: b) }
        let wd = randomTensor([3, 1, 3, 3], seed: 28), bd = randomTensor([3], seed: 29)
        for stride in [1, 2] {
            let pad = ConvPadding.same(height: 6, width: 5, kernel: 3, stride: stride)
            assertGradients([x, wd, bd]) { depthwiseConv2d(x, weight: wd, bias: bd, stride: stride, pad: pad) }
        }
        let wt = randomTensor([3, 2, 2, 2], seed: 24), bt = randomTensor([2], seed: 25)
        assertGradients([x, wt, bt]) { convTranspose2d(x, weight: wt, bias: bt, stride: 2) }
        let wt3 = randomTensor([3, 2, 3, 3], seed: 26)
        assertGradients([x, wt3]) { convTranspose2d(x, weight: wt3, bias: nil, stride: 2, padding: 1) }
    }

    func testPooling() {
        // Distinct values more than 2ε apart keep the arg-max stable under the probes.
        var g = SeededGenerator(seed: 27)
        let values = (0..<96).map { Float($0) * 0.05 }.shuffled(using: &g)
        let x = Tensor(values, shape: [2, 3, 4, 4], requiresGrad: true)
        assertGradients([x]) { maxPool2d(x, kernel: 2) }
        assertGradients([x]) { avgPool2d(x, kernel: 2) }
        assertGradients([x]) { avgPool2d(x, kernel: 3, stride: 1) }
    }

    func testLosses() {
        let p = randomTensor([2, 1, 6, 6], seed: 28, in: 0...1), t = randomTensor([2, 1, 6, 6], seed: 29, in: 0...1)
        assertGradients([p, t]) { mseLoss(p, t) }
        assertGradients([p, t]) { ssimLoss(p, t) }
        let far = Tensor(t.values.enumerated().map { $0.element + ($0.offset % 2 == 0 ? 0.3 : -0.3) },
                         shape: t.shape, requiresGrad: true)
        assertGradients([p, far]) { l1Loss(p, far) }
    }

    func testTokenOps() {
        let image = randomTensor([2, 3, 8, 8], seed: 30)
        assertGradients([image]) { patchify(image, patch: 4) }
        let tokens = randomTensor([2, 4, 48], seed: 31)
        assertGradients([tokens]) { unpatchify(tokens, patch: 4, gridH: 2, gridW: 2) }
        let x = randomTensor([2, 5, 3], seed: 32), fill = randomTensor([3], seed: 33)
        let indices = [[0, 3], [4, 1]]
        assertGradients([x]) { gatherTokens(x, indices: indices) }
        let visible = randomTensor([2, 2, 3], seed: 34)
        assertGradients([visible, fill]) { scatterTokens(visible, indices: indices, tokens: 5, fill: fill) }
    }
}

extension OpGradientTests {
    func testUnaryFunctionsAndRowGather() {
        let x = randomTensor([3, 5], seed: 40, in: 0.3...2)
        for f in [UnaryFunction.exp, .log, .sqrt, .square] { assertGradients([x]) { apply(f, x) } }
        let signed = Tensor((0..<10).map { Float($0 - 5) * 0.2 + 0.1 }, shape: [10], requiresGrad: true)
        assertGradients([signed]) { abs(signed) }
        let rows = randomTensor([4, 2, 3], seed: 41)
        assertGradients([rows]) { gatherRows(rows, [3, 0, 3]) }
        XCTAssertEqual(gatherRows(rows, [2]).values, slice(rows, axis: 0, 2..<3).values)
    }
}

extension OpGradientTests {
    func testBroadcastTo() {
        let x = randomTensor([3, 1], seed: 42)
        assertGradients([x]) { broadcast(x, to: [2, 3, 4]) }
        XCTAssertEqual(broadcast(Tensor([1, 2], shape: [2, 1]), to: [2, 3]).values, [1, 1, 1, 2, 2, 2])
    }
}

/// The ops dlib's face-recognition ResNet adds: zero-extended residual sums, the folded affine,
/// strided 3×3 max pooling.
final class ResidualOpTests: XCTestCase {
    func testZeroExtendedAddValuesAndGradients() {
        let a = Tensor((0..<(1 * 2 * 2 * 2)).map(Float.init), shape: [1, 2, 2, 2])
        let b = Tensor([10, 20, 30, 40, 50, 60, 70, 80, 90], shape: [1, 1, 3, 3])
        let y = addZeroExtended(a, b)
        XCTAssertEqual(y.shape, [1, 2, 3, 3])
        XCTAssertEqual(y.values, [10, 21, 30, 42, 53, 60, 70, 80, 90,
                                  4, 5, 0, 6, 7, 0, 0, 0, 0])
        let p = randomTensor([2, 3, 3, 3], seed: 41), q = randomTensor([2, 5, 4, 4], seed: 42)
        assertGradients([p, q]) { addZeroExtended(p, q) }
        assertGradients([q, p]) { addZeroExtended(q, p) }
        let same = randomTensor([2, 3, 3, 3], seed: 43)
        assertGradients([p, same]) { addZeroExtended(p, same) }
    }

    func testFoldedAffineEqualsConvolutionThenChannelAffine() {
        let x = randomTensor([2, 3, 9, 9], seed: 44), w = randomTensor([4, 3, 3, 3], seed: 45), b = randomTensor([4], seed: 46)
        let scale: [Float] = [0.5, -1.25, 2, 0.75], shift: [Float] = [0.1, -0.2, 0.3, 1.5]
        let reference = conv2d(x, weight: w, bias: b, stride: 2, padding: 1) * Tensor(scale, shape: [1, 4, 1, 1])
            + Tensor(shift, shape: [1, 4, 1, 1])
        let (fw, fb) = foldChannelAffine(weight: w, bias: b, scale: scale, shift: shift)
        let folded = conv2d(x, weight: fw, bias: fb, stride: 2, padding: 1)
        XCTAssertEqual(folded.shape, reference.shape)
        for (u, v) in zip(folded.values, reference.values) { XCTAssertEqual(u, v, accuracy: 1e-5) }
        let (zw, zb) = foldChannelAffine(weight: w, bias: nil, scale: scale, shift: shift)
        XCTAssertEqual(zb.values, shift)
        XCTAssertEqual(zw.values[0], 0.5 * w.values[0])
    }

    func testStridedMaxPoolOverlappingWindows() {
        let x = Tensor((0..<25).map { Float(($0 * 7) % 25) }, shape: [1, 1, 5, 5])
        let y = maxPool2d(x, kernel: 3, stride: 2)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        // Windows rows/cols {0,1,2} and {2,3,4}.
        func window(_ r: Int, _ c: Int) -> Float {
            var m = -Float.infinity
            for i in 0..<3 { for j in 0..<3 { m = max(m, x.values[(r + i) * 5 + c + j]) } }
            return m
        }
        XCTAssertEqual(y.values, [window(0, 0), window(0, 2), window(2, 0), window(2, 2)])
        let z = randomTensor([2, 3, 7, 7], seed: 47)
        assertGradients([z]) { maxPool2d(z, kernel: 3, stride: 2) }
    }
}
