import XCTest
@testable import Tensor

final class AutogradTests: XCTestCase {
    /// The checker itself must reject a wrong backward (here: the derivative of x² given as x).
    func testGradientCheckRejectsAWrongBackward() {
        let x = randomTensor([5], seed: 1, in: 0.5...1)
        let result = GradientCheck().run([x]) {
            let out = Tensor(uninitialized: x.shape)
            for i in 0..<x.count { out.data[i] = x.data[i] * x.data[i] }
            return out.recording([x]) { out in
                for i in 0..<x.count { x.gradBuffer()[i] += out.grad![i] * x.data[i] }
            }
        }
        XCTAssertEqual(result.mismatches.count, 5)
    }

    func testGradientsAccumulateAcrossPasses() {
        let x = Tensor([1, 2, 3], shape: [3], requiresGrad: true)
        sum(x * x).backward()
        XCTAssertEqual(x.gradValues, [2, 4, 6])
        sum(x * x).backward()
        XCTAssertEqual(x.gradValues, [4, 8, 12])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testSeededBackwardAndIntermediateRelease() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = x * 3
        let z = y * y
        z.backward(seed: Tensor([1, 10], shape: [2]))
        XCTAssertEqual(x.gradValues, [18, 360])
        XCTAssertNil(y.grad, "intermediate gradients are released")
    }

    func testNoRecordingInInferenceAndForFrozenInputs() {
        let w = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = Autograd.withoutRecording { w * 2 }
        XCTAssertFalse(y.requiresGrad)
        let frozen = Tensor([1, 2], shape: [2])
        XCTAssertFalse((frozen * frozen).requiresGrad)
        XCTAssertTrue(Autograd.isRecording)
    }

    func testFrozenOperandGetsNoGradient() {
        let x = randomTensor([3, 4], seed: 2), w = randomTensor([2, 4], seed: 3)
        w.requiresGrad = false
        sum(linear(x, weight: w, bias: nil)).backward()
        XCTAssertNil(w.grad)
        XCTAssertNotNil(x.grad)
    }

    func testPoolAccountingReturnsToBaseline() {
        let before = BufferPool.liveBytes
        do {
            let x = randomTensor([64, 64], seed: 4)
            sum(gelu(matmul(x, x))).backward()
        }
        XCTAssertEqual(BufferPool.liveBytes, before)
    }
}
