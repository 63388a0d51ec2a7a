import Foundation
import XCTest
@testable import FaceDetect
import Imaging

final class LandmarkMetricsTests: XCTestCase {
    /// 68 points on a grid with the outer eye corners 100 px apart.
    static func truth() -> [Point2] {
        var p = (0..<68).map { Point2(Float($0 % 10) * 10, Float($0 / 10) * 10) }
        p[36] = Point2(0, 50)
        p[45] = Point2(100, 50)
        return p
    }

    func testNMEOfAKnownOffset() throws {
        let t = Self.truth()
        var p = t
        for i in 0..<17 { p[i].x += 3 }          // boundary off by 3 px
        for i in 17..<68 { p[i].y += 4 }         // inner off by 4 px
        let e = try LandmarkMetrics.nme(predicted: p, truth: t)
        XCTAssertEqual(e.boundary, 0.03, accuracy: 1e-6)
        XCTAssertEqual(e.inner, 0.04, accuracy: 1e-6)
        XCTAssertEqual(e.all, (17 * 0.03 + 51 * 0.04) / 68, accuracy: 1e-6)
        XCTAssertThrowsError(try LandmarkMetrics.nme(predicted: Array(p.prefix(5)), truth: t))
        var flat = t
        flat[45] = flat[36]
        XCTAssertThrowsError(try LandmarkMetrics.nme(predicted: p, truth: flat)) { error in
            XCTAssertEqual(error as? LandmarkMetricsError, .degenerateEyes)
        }
    }

    func testSummaries() {
        let errors: [Float] = [0.02, 0.04, 0.06, 0.10, .infinity]
        XCTAssertEqual(LandmarkMetrics.median([0.3, 0.1, 0.2]), 0.2)
        XCTAssertEqual(LandmarkMetrics.median([0.4, 0.1, 0.2, 0.3]), 0.25, accuracy: 1e-7)
        XCTAssertEqual(LandmarkMetrics.failureRate(errors, threshold: 0.08), 0.4, accuracy: 1e-7)
        // AUC@0.08 = (1/n) Σ max(0, 1 − e/0.08) = (0.75 + 0.5 + 0.25) / 5.
        XCTAssertEqual(LandmarkMetrics.auc(errors, threshold: 0.08), 0.3, accuracy: 1e-6)
        // The sampled CED integrates to the same AUC (trapezoids on a fine grid).
        let cdf = LandmarkMetrics.cumulativeDistribution(errors, threshold: 0.08, steps: 8000)
        var area: Float = 0
        for i in 1..<cdf.count { area += (cdf[i].fraction + cdf[i - 1].fraction) / 2 * (cdf[i].error - cdf[i - 1].error) }
        XCTAssertEqual(area / 0.08, 0.3, accuracy: 1e-3)
        XCTAssertEqual(cdf.last!.fraction, 0.6, accuracy: 1e-7)
    }

    /// The evaluation with a pluggable source: a source that returns the truth shifted by 2 px
    /// scores 0.02 everywhere, and a source that finds nothing counts as a failure.
    func testEvaluationWithAClosureSource() throws {
        let t = Self.truth()
        let items = (0..<4).map { AnnotatedImage(imageURL: URL(fileURLWithPath: "/virtual/\($0).png"), landmarks: t) }
        let source = ClosureLandmarkSource(name: "shifted") { q in
            q.name == "3" ? nil : (0..<68).map { t[$0] + Point2(2, 0) }
        }
        let report = try LandmarkEvaluation.run(items, source: source, load: { _ in Image(width: 4, height: 4, channels: 1) })
        let s = report.summary(.all)
        XCTAssertEqual(s.mean, 0.02, accuracy: 1e-6)
        XCTAssertEqual(s.median, 0.02, accuracy: 1e-6)
        XCTAssertEqual(s.failureRate, 0.25, accuracy: 1e-6)
        XCTAssertEqual(s.auc, 0.75 * 0.75, accuracy: 1e-6)
        XCTAssertEqual(s.evaluated, 3)
        XCTAssertEqual(s.total, 4)
        let csv = report.csv().split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertTrue(csv[4].hasPrefix("3,0,,,,"))
        let plot = CEDPlot.render([.init(label: "ALL", color: (0, 0, 0), errors: report.errors(.all))], title: "TEST")
        XCTAssertEqual(plot.width * plot.height * plot.channels, plot.pixels.count)
        XCTAssertTrue(plot.pixels.contains(0))
        XCTAssertNoThrow(try PNGEncoder.encode(plot))
    }
}
