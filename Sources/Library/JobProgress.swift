import Foundation

/// How far a running job is: its stage, the step within the stage when the stage counts steps,
/// and the whole job's percentage. The job reports it to the daemon through a file beside its
/// report (`JobSpec.progressPath`); the daemon logs it and keeps it in the ledger, from where
/// `status.json` and `likeness status` show it.
public struct JobProgress: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The production stage's stages, in order.
    public enum Stage: String, Codable, CaseIterable, Sendable {
        case detection, baseModel = "base-model", adaptation, reconstruction, texture, export, details

        /// The share of the job's percentage this stage spans (its usual share of the time).
        var span: ClosedRange<Int> {
            switch self {
            case .detection: return 0...10
            case .baseModel: return 10...15
            case .adaptation: return 15...60
            case .reconstruction: return 60...75
            case .texture: return 75...88
            case .export: return 88...92
            case .details: return 92...100
            }
        }
    }

    public var stage: Stage
    public var step: Int?
    public var total: Int?
    /// 0…100 over the whole job.
    public var percent: Int

    /// At `step` of `total` within `stage` (both nil: the stage has begun).
    public init(_ stage: Stage, step: Int? = nil, of total: Int? = nil) {
        self.stage = stage
        self.step = step
        self.total = total
        let fraction = step.flatMap { s in total.map { t in t > 0 ? Double(min(max(s, 0), t)) / Double(t) : 0 } } ?? 0
        let span = stage.span
        percent = span.lowerBound + Int((Double(span.upperBound - span.lowerBound) * fraction).rounded(.down))
    }

    /// "adaptation 40/200, 24 %".
    public var description: String {
        let count = step.flatMap { s in total.map { " \(s)/\($0)" } } ?? ""
        return "\(stage.rawValue)\(count), \(percent) %"
    }
}
