import Foundation
import XCTest
@testable import Tensor

/// Forward results against direct (naive) definitions.
final class ForwardValueTests: XCTestCase {
    func testMatmulMatchesNaiveProduct() {
        let a = randomTensor([3, 4], seed: 1), b = randomTensor([4, 2], seed: 2)
        let c = matmul(a, b)
        var expected: [Float] = []
        for i in 0..<3 { for j in 0..<2 { expected.append((0..<4).reduce(0) { $0 + a[i, $1] * b[$1, j] }) } }
        assertClose(c.values, expected)
    }

    /// Depthwise convolution with TensorFlow's asymmetric "SAME" padding (stride 2 on an even
    /// size: the extra row and column at the bottom and right) against the direct sum.
    func testDepthwiseConv2dMatchesDirectSum() {
        let x = randomTensor([2, 3, 6, 7], seed: 40), w = randomTensor([3, 1, 3, 3], seed: 41), b = randomTensor([3], seed: 42)
        for stride in [1, 2] {
            let pad = ConvPadding.same(height: 6, width: 7, kernel: 3, stride: stride)
            XCTAssertEqual(pad, stride == 1 ? .symmetric(1) : ConvPadding(top: 0, left: 1, bottom: 1, right: 1))
            let y = depthwiseConv2d(x, weight: w, bias: b, stride: stride, pad: pad)
            let (oh, ow) = ((6 + stride - 1) / stride, (7 + stride - 1) / stride)
            XCTAssertEqual(y.shape, [2, 3, oh, ow])
            var expected: [Float] = []
            for n in 0..<2 { for c in 0..<3 { for oy in 0..<oh { for ox in 0..<ow {
                var s = b[c]
                for i in 0..<3 { for j in 0..<3 {
                    let (yy, xx) = (oy * stride - pad.top + i, ox * stride - pad.left + j)
                    if yy >= 0 && yy < 6 && xx >= 0 && xx < 7 { s += w[c, 0, i, j] * x[n, c, yy, xx] }
                } }
                expected.append(s)
            } } } }
            assertClose(y.values, expected)
        }
    }

    /// Asymmetric padding (BlazeFace's 5×5 stride-2 stem: 1 before, 2 after) and the pointwise
    /// fast path against the direct sum.
    func testConv2dAsymmetricPaddingAndPointwise() {
        let x = randomTensor([1, 2, 6, 6], seed: 43), w = randomTensor([3, 2, 5, 5], seed: 44)
        let pad = ConvPadding.same(height: 6, width: 6, kernel: 5, stride: 2)
        XCTAssertEqual(pad, ConvPadding(top: 1, left: 1, bottom: 2, right: 2))
        let y = conv2d(x, weight: w, bias: nil, stride: 2, pad: pad)
        XCTAssertEqual(y.shape, [1, 3, 3, 3])
        var expected: [Float] = []
        for o in 0..<3 { for oy in 0..<3 { for ox in 0..<3 {
            var s: Float = 0
            for c in 0..<2 { for i in 0..<5 { for j in 0..<5 {
                let (yy, xx) = (oy * 2 - 1 + i, ox * 2 - 1 + j)
                if yy >= 0 && yy < 6 && xx >= 0 && xx < 6 { s += w[o, c, i, j] * x[0, c, yy, xx] }
            } } }
            expected.append(s)
        } } }
        assertClose(y.values, expected)
        let w1 = randomTensor([4, 2, 1, 1], seed: 45)
        let p = conv2d(x, weight: w1, bias: nil)
        var direct: [Float] = []
        for o in 0..<4 { for i in 0..<36 { direct.append(w1[o, 0, 0, 0] * x.data[i] + w1[o, 1, 0, 0] * x.data[36 + i]) } }
        assertClose(p.values, direct)
    }

    func testConv2dMatchesDirectConvolution() {
        let x = randomTensor([1, 2, 5, 5], seed: 3), w = randomTensor([3, 2, 3, 3], seed: 4), b = randomTensor([3], seed: 5)
        let y = conv2d(x, weight: w, bias: b, stride: 2, padding: 1)
        XCTAssertEqual(y.shape, [1, 3, 3, 3])
        var expected: [Float] = []
        for o in 0..<3 { for oy in 0..<3 { for ox in 0..<3 {
            var s = b[o]
            for c in 0..<2 { for i in 0..<3 { for j in 0..<3 {
                let (yy, xx) = (oy * 2 - 1 + i, ox * 2 - 1 + j)
                if yy >= 0 && yy < 5 && xx >= 0 && xx < 5 { s += w[o, c, i, j] * x[0, c, yy, xx] }
            } } }
            expected.append(s)
        } } }
        assertClose(y.values, expected)
    }

    func testConvTransposeScattersEachInputPixel() {
        let x = randomTensor([1, 2, 2, 3], seed: 6), w = randomTensor([2, 3, 2, 2], seed: 7)
        let y = convTranspose2d(x, weight: w, bias: nil, stride: 2)
        XCTAssertEqual(y.shape, [1, 3, 4, 6])
        var expected = [Float](repeating: 0, count: 3 * 4 * 6)
        for c in 0..<2 { for iy in 0..<2 { for ix in 0..<3 { for o in 0..<3 { for i in 0..<2 { for j in 0..<2 {
            expected[(o * 4 + iy * 2 + i) * 6 + ix * 2 + j] += x[0, c, iy, ix] * w[c, o, i, j]
        } } } } } }
        assertClose(y.values, expected)
    }

    func testAttentionMatchesPerHeadDefinition() {
        let (t, heads, d) = (4, 2, 6)
        let qkv = randomTensor([1, t, 3 * d], seed: 8)
        let out = selfAttention(qkv: qkv, heads: heads)
        let hd = d / heads
        for h in 0..<heads { for i in 0..<t {
            let scores = (0..<t).map { j in
                (0..<hd).reduce(Float(0)) { $0 + qkv[0, i, h * hd + $1] * qkv[0, j, d + h * hd + $1] } / Float(hd).squareRoot()
            }
            let e = scores.map { Foundation.exp($0 - scores.max()!) }
            let p = e.map { $0 / e.reduce(0, +) }
            for c in 0..<hd {
                let expected = (0..<t).reduce(Float(0)) { $0 + p[$1] * qkv[0, $1, 2 * d + h * hd + c] }
                XCTAssertEqual(out[0, i, h * hd + c], expected, accuracy: 1e-5)
            }
        } }
    }

    func testFastExpAccuracy() {
        var worst: Float = 0
        for i in -8700...8800 {
            let x = Float(i) * 0.01
            worst = max(worst, abs(fastExp(x) - Foundation.exp(x)) / Foundation.exp(x))
        }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(fastTanh(0.5), Foundation.tanh(Float(0.5)), accuracy: 1e-6)
    }

    func testGeluIsCloseToErfForm() {
        let x = Tensor((0..<81).map { Float($0 - 40) * 0.1 }, shape: [81])
        let y = gelu(x)
        for i in 0..<81 {
            let v = Double(x.data[i])
            XCTAssertEqual(Double(y.data[i]), 0.5 * v * (1 + erf(v / 2.0.squareRoot())), accuracy: 1e-3)
        }
    }

    func testLayerNormStandardisesRows() {
        let x = randomTensor([3, 16], seed: 9, in: -4...9)
        let y = layerNorm(x, gamma: Tensor(repeating: 1, shape: [16]), beta: Tensor(zeros: [16]))
        for r in 0..<3 {
            let row = (0..<16).map { y[r, $0] }
            let m = row.reduce(0, +) / 16
            XCTAssertEqual(m, 0, accuracy: 1e-5)
            XCTAssertEqual(row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 16, 1, accuracy: 1e-3)
        }
    }

    func testLossValues() {
        let p = Tensor([1, 2, 3, 4], shape: [4]), t = Tensor([0, 2, 5, 4], shape: [4])
        XCTAssertEqual(l1Loss(p, t).item, 0.75, accuracy: 1e-6)
        XCTAssertEqual(mseLoss(p, t).item, 1.25, accuracy: 1e-6)
        let image = randomTensor([1, 2, 8, 8], seed: 10, in: 0...1)
        XCTAssertEqual(ssimLoss(image, image).item, 0, accuracy: 1e-5)
        XCTAssertGreaterThan(ssimLoss(image, 1 - image).item, 0.5)
    }

    func testSumAndMeanOverAxes() {
        let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        XCTAssertEqual(sum(x, axes: [0]).values, [3, 5, 7])
        XCTAssertEqual(mean(x, axes: [1]).values, [1, 4])
        XCTAssertEqual(sum(x).item, 15)
        XCTAssertEqual(mean(x, axes: [1], keepDims: true).shape, [2, 1])
    }

    func testPatchifyRoundTrip() {
        let x = randomTensor([2, 3, 8, 12], seed: 11)
        let p = patchify(x, patch: 4)
        XCTAssertEqual(p.shape, [2, 6, 48])
        XCTAssertEqual(p[0, 1, 0], x[0, 0, 0, 4])   // patch 1 is the second in row-major grid order
        XCTAssertEqual(unpatchify(p, patch: 4, gridH: 2, gridW: 3).values, x.values)
    }
}
