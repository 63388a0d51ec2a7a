import Foundation

/// The point groups of the iBUG 68-point scheme that the paper's Table 1 reports.
public enum LandmarkRegion: String, CaseIterable, Sendable, Codable {
    /// Jaw line, points 0–16 (the silhouette landmarks).
    case boundary
    /// Brows, nose, eyes and mouth, points 17–67.
    case inner
    /// All 68 points.
    case all

    public var indices: Range<Int> {
        switch self {
        case .boundary: return 0..<17
        case .inner: return 17..<68
        case .all: return 0..<68
        }
    }
}

/// Normalised mean error of one face, per region.
public struct NormalizedError: Sendable, Equatable, Codable {
    public var boundary: Float
    public var inner: Float
    public var all: Float

    public subscript(region: LandmarkRegion) -> Float {
        switch region {
        case .boundary: return boundary
        case .inner: return inner
        case .all: return all
        }
    }
}

public enum LandmarkMetricsError: Error, Equatable, CustomStringConvertible {
    case notSixtyEightPoints(predicted: Int, truth: Int)
    case degenerateEyes

    public var description: String {
        switch self {
        case let .notSixtyEightPoints(p, t): return "NME needs 68 points on both sides (predicted \(p), truth \(t))"
        case .degenerateEyes: return "the annotated outer eye corners (36, 45) coincide: NME is undefined"
        }
    }
}

/// Landmark error measures.
public enum LandmarkMetrics {
    /// NME of a 68-point prediction: `(1/|R|) Σ_{i∈R} ‖p_i − g_i‖ / ‖g_36 − g_45‖`, the mean
    /// point-to-point distance over region R divided by the distance between the annotated outer
    /// eye corners ("inter-ocular", as in 300-W and the paper's Table 1).
    public static func nme(predicted: [Point2], truth: [Point2]) throws -> NormalizedError {
        guard predicted.count == 68, truth.count == 68 else {
            throw LandmarkMetricsError.notSixtyEightPoints(predicted: predicted.count, truth: truth.count)
        }
        let d = (truth[36] - truth[45]).length
        guard d > 0 else { throw LandmarkMetricsError.degenerateEyes }
        func mean(_ r: LandmarkRegion) -> Float {
            var s: Float = 0
            for i in r.indices { s += (predicted[i] - truth[i]).length }
            return s / Float(r.indices.count) / d
        }
        return NormalizedError(boundary: mean(.boundary), inner: mean(.inner), all: mean(.all))
    }

    /// A yaw estimate in degrees from 68 annotated points (positive when the nose tip lies right
    /// of centre in the photo): with the jaw-line ends (points 0 and 16) and the nose tip (30),
    /// `t = (2·x₃₀ − x₀ − x₁₆) / |x₁₆ − x₀|` and `yaw = atan(t)`. On a head seen as a cylinder
    /// with the nose tip on its front and the jaw ends at its sides, the nose projects to `R·sin θ`
    /// and the jaw ends to `±R·cos θ`, so `t = tan θ`. A proxy for binning errors by pose, not a
    /// pose estimate (300-W puts hidden jaw points on the visible contour, which compresses
    /// large angles).
    public static func yaw(_ truth: [Point2]) -> Float {
        guard truth.count == 68 else { return 0 }
        let span = abs(truth[16].x - truth[0].x)
        guard span > 0 else { return 90 }
        return atan((2 * truth[30].x - truth[0].x - truth[16].x) / span) * 180 / .pi
    }

    /// Mean of `values`; 0 when empty.
    public static func mean(_ values: [Float]) -> Float {
        values.isEmpty ? 0 : values.reduce(0, +) / Float(values.count)
    }

    /// Median of `values` (mean of the middle two for an even count); 0 when empty.
    public static func median(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Fraction of faces whose error exceeds `threshold` (a missing face, `.infinity`, fails).
    public static func failureRate(_ errors: [Float], threshold: Float = 0.08) -> Float {
        errors.isEmpty ? 0 : Float(errors.filter { !($0 <= threshold) }.count) / Float(errors.count)
    }

    /// Area under the cumulative error distribution `F(e) = #{i : e_i ≤ e} / n` on [0, τ],
    /// divided by τ (so 1 is perfect): `AUC@τ = (1/τ) ∫₀^τ F(e) de = (1/n) Σ_i max(0, 1 − e_i/τ)`.
    public static func auc(_ errors: [Float], threshold: Float = 0.08) -> Float {
        guard !errors.isEmpty else { return 0 }
        var s: Float = 0
        for e in errors where e < threshold { s += 1 - e / threshold }
        return s / Float(errors.count)
    }

    /// The cumulative error distribution sampled at `steps + 1` evenly spaced errors in [0, τ]:
    /// pairs (e, F(e)).
    public static func cumulativeDistribution(_ errors: [Float], threshold: Float = 0.08, steps: Int = 160) -> [(error: Float, fraction: Float)] {
        let n = Float(max(errors.count, 1))
        let sorted = errors.sorted()
        var out: [(Float, Float)] = []
        var k = 0
        for i in 0...steps {
            let e = threshold * Float(i) / Float(steps)
            while k < sorted.count && sorted[k] <= e { k += 1 }
            out.append((e, Float(k) / n))
        }
        return out
    }
}
