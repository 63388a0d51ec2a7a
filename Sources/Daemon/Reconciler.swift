import Foundation
import Library

/// What the daemon should do next. The reconciler only decides; `WatchService` carries out.
public enum Action: Equatable, Sendable {
    /// Hash a settled file and record it (and its photo) in the ledger.
    case hash(PersonName, ScannedFile)
    /// A file the ledger knows left the inbox.
    case forget(PersonName, name: String)
    /// The person's photo set differs from every published version: queue one build of it.
    case enqueue(PersonName, inputs: [String])
    /// A queued job no longer matches the person's photos.
    case supersede(jobID: Int64)
    /// The person's photo set is exactly an older version's: point `latest` back at it.
    case pointLatest(PersonName, version: Int)
    /// Start a queued job.
    case start(jobID: Int64)
}

/// The timing rules the reconciler applies.
public struct ReconcilerSettings: Equatable, Sendable {
    public var settle: TimeInterval
    public var forceAfter: TimeInterval
    public var maxConcurrentJobs: Int

    public init(settle: TimeInterval = 2, forceAfter: TimeInterval = 60, maxConcurrentJobs: Int = 1) {
        self.settle = settle
        self.forceAfter = forceAfter
        self.maxConcurrentJobs = maxConcurrentJobs
    }

    public init(_ configuration: DaemonConfiguration) {
        self.init(settle: configuration.settleSeconds, forceAfter: configuration.forceAfterSeconds,
                  maxConcurrentJobs: configuration.maxConcurrentJobs)
    }
}

/// The daemon's core, a pure function `(scan, observations, folder activity, ledger, now) → [Action]`:
///
/// * a file is **ready** when it looked the same (size, mtime, inode) in two looks at least
///   `settle` apart and its folder has had no event for `settle` — or, if the folder never goes
///   quiet, once it has been stable for `forceAfter`;
/// * a ready file whose signature the ledger does not have is hashed; ledger files no longer in
///   the folder are forgotten;
/// * a person is **settled** when none of its files awaits hashing; only then are jobs decided:
///   the wanted set is every present photo not rejected before; if it is empty or equals the
///   latest version nothing happens, if it equals an older version `latest` goes back to it, if a
///   job for it exists (queued, running, or failed for good) nothing happens, else one job is
///   queued — so 30 photos copied at once give one job;
/// * queued jobs whose set is no longer wanted are superseded; due jobs of settled persons start,
///   oldest first, at most `maxConcurrentJobs` at once and one per person.
public enum Reconciler {
    public static func reconcile(scan: InboxScan, observations: Observations, activity: [PersonName: Date],
                                 ledger: LedgerSnapshot, settings: ReconcilerSettings, now: Date) -> [Action] {
        var actions: [Action] = []
        var wanted: [PersonName: String] = [:]
        for person in ledger.files.keys where scan.persons[person] == nil {
            actions += ledger.files[person, default: [:]].keys.sorted().map { Action.forget(person, name: $0) }
        }
        // A person folder that is gone wants nothing: its queued jobs are superseded.
        for job in ledger.openJobs where scan.persons[job.person] == nil && ledger.files[job.person, default: [:]].isEmpty {
            wanted[job.person] = ""
        }
        for person in scan.persons.keys.sorted() {
            let personScan = scan.persons[person]!
            let fileActions = fileActions(personScan, observations: observations, lastActivity: activity[person],
                                          known: ledger.files[person, default: [:]], settings: settings, now: now)
            actions += fileActions.actions
            guard fileActions.settled, fileActions.actions.isEmpty else { continue }
            let decision = buildDecision(person, present: ledger.files[person, default: [:]], ledger: ledger)
            wanted[person] = decision.wantedKey
            actions += decision.actions
        }
        actions += jobActions(ledger: ledger, wanted: wanted, settings: settings, now: now)
        return actions
    }

    /// Hash/forget actions for one folder, and whether every file in it is accounted for.
    static func fileActions(_ scan: PersonScan, observations: Observations, lastActivity: Date?,
                            known: [String: FileRecord], settings: ReconcilerSettings,
                            now: Date) -> (actions: [Action], settled: Bool) {
        var actions: [Action] = []
        var settled = true
        let quiet = lastActivity.map { now.timeIntervalSince($0) >= settings.settle } ?? true
        for file in scan.files {
            if known[file.name]?.signature == file.signature { continue }
            guard let seen = observations[FileKey(person: scan.person, name: file.name)], seen.signature == file.signature else {
                settled = false
                continue
            }
            let stableFor = now.timeIntervalSince(seen.stableSince)
            if stableFor >= settings.settle && (quiet || stableFor >= settings.forceAfter) {
                actions.append(.hash(scan.person, file))
            } else {
                settled = false
            }
        }
        let present = Set(scan.files.map(\.name))
        actions += known.keys.sorted().filter { !present.contains($0) }.map { Action.forget(scan.person, name: $0) }
        return (actions, settled)
    }

    /// What a settled person needs: nothing, a `latest` switch, or one new job.
    static func buildDecision(_ person: PersonName, present: [String: FileRecord],
                              ledger: LedgerSnapshot) -> (wantedKey: String, actions: [Action]) {
        let photos = ledger.photos[person, default: [:]]
        let inputs = Set(present.values.map(\.sha256)).filter { photos[$0]?.state != .rejected }.sorted()
        guard !inputs.isEmpty else { return ("", []) }  // nothing usable: no job, stale ones superseded
        let key = PhotoSet.key(inputs)
        let versions = ledger.versions[person, default: []]
        let latest = ledger.latest[person]
        if let match = versions.last(where: { $0.acceptedKey == key }) {
            return (key, match.number == latest ? [] : [.pointLatest(person, version: match.number)])
        }
        let hasJob = ledger.openJobs.contains { $0.person == person && $0.inputKey == key }
        return (key, hasJob ? [] : [.enqueue(person, inputs: inputs)])
    }

    /// Supersede stale queued jobs; start due ones within the concurrency limit.
    static func jobActions(ledger: LedgerSnapshot, wanted: [PersonName: String], settings: ReconcilerSettings,
                           now: Date) -> [Action] {
        var actions: [Action] = []
        var busyPersons = Set(ledger.openJobs.filter { $0.state == .running }.map(\.person))
        var running = busyPersons.count
        for job in ledger.openJobs where job.state == .queued {
            guard let wantedKey = wanted[job.person] else { continue }
            if wantedKey != job.inputKey {
                actions.append(.supersede(jobID: job.id))
            } else if job.nextAttemptAt <= now, running < settings.maxConcurrentJobs, !busyPersons.contains(job.person) {
                actions.append(.start(jobID: job.id))
                busyPersons.insert(job.person)
                running += 1
            }
        }
        return actions
    }
}

extension LedgerSnapshot {
    /// The part of the ledger about one person (for `likeness build`, which reads one folder).
    public func restricted(to person: PersonName) -> LedgerSnapshot {
        var copy = LedgerSnapshot()
        copy.files[person] = files[person]
        copy.photos[person] = photos[person]
        copy.openJobs = openJobs.filter { $0.person == person }
        copy.versions[person] = versions[person]
        copy.latest[person] = latest[person]
        return copy
    }
}
