import XCTest
@testable import Tensor

final class ParallelTests: XCTestCase {
    private var saved = (Compute.threads, Compute.strategy)
    override func tearDown() { Compute.setThreads(saved.0, strategy: saved.1) }

    /// Row- and column-split GEMMs (engine strategy) equal the single-threaded product, for every
    /// transposition and for both the tall (row split) and wide (column split) cases.
    func testSplitGEMMMatchesSerialProduct() {
        for (m, n) in [(300, 120), (90, 400)] {
            let k = 64
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = randomTensor(ta ? [k, m] : [m, k], seed: 1), b = randomTensor(tb ? [n, k] : [k, n], seed: 2)
                Compute.setThreads(1)
                let serial = matmul(a, b, transposeA: ta, transposeB: tb).values
                Compute.setThreads(2, strategy: .engine)
                XCTAssertTrue(Compute.splitsGEMM && m * n * k >= 1 << 20)
                assertClose(matmul(a, b, transposeA: ta, transposeB: tb).values, serial, tolerance: 1e-4)
            }
        }
    }
}

/// The one thread budget and the per-thread recording switch.
final class ThreadBudgetTests: XCTestCase {
    func testNestedLoopsNeverExceedTheBudget() {
        let saved = Compute.threads
        defer { Compute.setThreads(saved) }
        Compute.setThreads(2)
        let active = Counter(), peak = Counter()
        Compute.concurrentPerform(iterations: 8) { _ in
            Compute.concurrentPerform(iterations: 8) { _ in
                let now = active.add(1)
                peak.max(now)
                usleep(2_000)
                _ = active.add(-1)
            }
        }
        XCTAssertLessThanOrEqual(peak.value, 2, "nested loops ran \(peak.value) workers on a budget of 2")
        XCTAssertGreaterThanOrEqual(peak.value, 1)
    }

    func testEveryIterationRunsOnce() {
        var seen = [Int](repeating: 0, count: 37)
        seen.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Compute.concurrentPerform(iterations: 37) { i in base[i] += 1 }
        }
        XCTAssertEqual(seen, [Int](repeating: 1, count: 37))
    }

    func testRecordingIsPerThreadAndWorkersInheritIt() {
        let w = Tensor([1, 2], shape: [2], requiresGrad: true)
        let otherThreadOff = expectation(description: "other thread ran without recording")
        let mainRecorded = Counter()
        let inside = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Autograd.withoutRecording {
                inside.signal()
                done.wait()
                XCTAssertFalse(Autograd.isRecording)
                otherThreadOff.fulfill()
            }
        }
        inside.wait()
        // While the other thread is inside `withoutRecording`, this one still records.
        if (w * 2).requiresGrad { _ = mainRecorded.add(1) }
        done.signal()
        wait(for: [otherThreadOff], timeout: 5)
        XCTAssertEqual(mainRecorded.value, 1)
        let saved = Compute.threads
        defer { Compute.setThreads(saved) }
        Compute.setThreads(2)
        let recordedInWorkers = Counter()
        Autograd.withoutRecording {
            Compute.concurrentPerform(iterations: 4) { _ in if Autograd.isRecording { _ = recordedInWorkers.add(1) } }
        }
        XCTAssertEqual(recordedInWorkers.value, 0, "workers of a loop started without recording must not record")
    }
}

/// A locked integer for the tests above.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0, highest = 0
    @discardableResult func add(_ d: Int) -> Int { lock.lock(); defer { lock.unlock() }; current += d; return current }
    func max(_ v: Int) { lock.lock(); highest = Swift.max(highest, v); lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return Swift.max(highest, current) }
}

final class BLASCoreTests: XCTestCase {
    /// OpenBLAS's fallback to pre-AVX2 kernels is corrected from the CPU's flags, and only that.
    func testBLASCoreCorrectionOnlyReplacesAFallback() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"]
        XCTAssertEqual(BLASCore.correction(core: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.correction(core: "Prescott", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLASCore.correction(core: "Prescott", cpuFlags: ["sse3"]), "an old CPU keeps the old kernels")
        XCTAssertNil(BLASCore.correction(core: "Haswell", cpuFlags: avx512), "a real detection stands")
        XCTAssertNil(BLASCore.correction(core: "Zen", cpuFlags: avx512))
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
