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
    /// Give a job that failed for good a new round of attempts, due at `at`.
    case retry(jobID: Int64, at: Date)
}

/// The timing rules the reconciler applies.
public struct ReconcilerSettings: Equatable, Sendable {
    public var settle: TimeInterval
    public var forceAfter: TimeInterval
    public var maxConcurrentJobs: Int
    /// A job that failed for good before the daemon started is tried again at restart, this long
    /// after its failure (base · 2^rounds, capped): a job that kills its process every time, as an
    /// out-of-memory kill would, does not spin a daemon that restarts in a loop.
    public var restartBackoff: RetryBackoff

    public init(settle: TimeInterval = 2, forceAfter: TimeInterval = 60, maxConcurrentJobs: Int = 1,
                restartBackoff: RetryBackoff = DaemonConfiguration().retryBackoff) {
        self.settle = settle
        self.forceAfter = forceAfter
        self.maxConcurrentJobs = maxConcurrentJobs
        self.restartBackoff = restartBackoff
    }

    public init(_ configuration: DaemonConfiguration) {
        self.init(settle: configuration.settleSeconds, forceAfter: configuration.forceAfterSeconds,
                  maxConcurrentJobs: configuration.maxConcurrentJobs, restartBackoff: configuration.retryBackoff)
    }
}

/// Exponential backoff: the wait before try n (1-based) is base · 2^(n-1), at most `max`.
public struct RetryBackoff: Equatable, Sendable {
    public var base: TimeInterval
    public var max: TimeInterval

    public init(base: TimeInterval, max: TimeInterval) {
        self.base = base
        self.max = max
    }

    public func delay(beforeTry n: Int) -> TimeInterval {
        Swift.min(max, base * pow(2, Double(Swift.max(0, n - 1))))
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
///   oldest first, at most `maxConcurrentJobs` at once and one per person;
/// * a job that failed for good is superseded once its set is no longer wanted; if it is, it gets
///   a new round of attempts when something asked after it failed (`retryRequests`: an event in
///   the person's folder, `likeness build`), at once, or when it failed before this daemon
///   started (`startedAt`), after the restart backoff.
public enum Reconciler {
    public static func reconcile(scan: InboxScan, observations: Observations, activity: [PersonName: Date],
                                 ledger: LedgerSnapshot, settings: ReconcilerSettings, now: Date,
                                 retryRequests: [PersonName: Date] = [:], startedAt: Date = .distantPast) -> [Action] {
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
        actions += failedJobActions(ledger: ledger, wanted: wanted, settings: settings, now: now,
                                    retryRequests: retryRequests, startedAt: startedAt)
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

extension Reconciler {
    /// Jobs that failed for good: superseded when no longer wanted, else retried when asked or
    /// after a restart (see `reconcile`).
    static func failedJobActions(ledger: LedgerSnapshot, wanted: [PersonName: String], settings: ReconcilerSettings,
                                 now: Date, retryRequests: [PersonName: Date], startedAt: Date) -> [Action] {
        ledger.openJobs.filter { $0.state == .failed }.compactMap { job -> Action? in
            guard let wantedKey = wanted[job.person] else { return nil }  // person not settled yet
            if wantedKey != job.inputKey { return .supersede(jobID: job.id) }
            if let asked = retryRequests[job.person], asked > job.updatedAt { return .retry(jobID: job.id, at: now) }
            guard startedAt > job.updatedAt else { return nil }
            let due = job.updatedAt.addingTimeInterval(settings.restartBackoff.delay(beforeTry: job.rounds + 1))
            return .retry(jobID: job.id, at: max(now, due))
        }
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
