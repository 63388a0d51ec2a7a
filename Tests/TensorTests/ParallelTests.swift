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
