import Foundation
import Library
import Logging

/// The daemon: watches the inbox, keeps the ledger, runs jobs and publishes versions.
///
/// Each tick: take inotify hints, collect finished jobs (publish or record the failure), rescan
/// the folders that may have changed, ask the `Reconciler` what to do and do it. All state that
/// matters is in the ledger and the Library; memory holds only hints and earlier looks, so a
/// crash at any moment is recovered at the next start (`recover`).
public final class WatchService {
    public let configuration: DaemonConfiguration
    public let layout: LibraryLayout
    let inbox: URL
    let scanner: InboxScanner
    let publisher: Publisher
    let executor: JobExecutor
    let shutdown: ShutdownSignal
    let useInotify: Bool
    /// `likeness build`: only this person folder is read.
    let onlyPerson: PersonName?
    var logger: Logger

    public private(set) var ledger: Ledger!
    var lock: LibraryLock?
    var watcher: InotifyWatcher?
    var observations = Observations()
    var activity: [PersonName: Date] = [:]
    /// The last sign of the user per person folder: an event naming an entry, or a file found
    /// changed (the event may have come before the watch was in place). It asks for failed jobs
    /// to be tried again. Not `activity`, which also has the empty-named event of every new
    /// watch, so a restart would skip the restart backoff.
    var retryAsked: [PersonName: Date] = [:]
    var scans: [PersonName: PersonScan] = [:]
    var invalidFolders: [SkippedEntry] = []
    /// The refusals last written to the ledger, per person folder (nil: the inbox root).
    var recordedRefusals: [PersonName?: [InboxRefusal]] = [:]
    var inboxStatusDirty = false
    var dirty: Set<PersonName> = []
    var statusDirty: Set<PersonName> = []
    var fullRescanNeeded = true
    var lastFullRescan = Date.distantPast
    var nextTimedReconcile = Date.distantPast
    var running: [Int64: ActiveJob] = [:]
    /// Hashes settled files off the loop (`.hash` actions go there; results are recorded each tick).
    let hasher = BackgroundHasher()
    var reported: Set<String> = []
    /// When `open` ran: jobs that failed for good before it are retried after the restart backoff.
    var openedAt = Date.distantPast

    struct ActiveJob {
        var job: RunningJob
        var record: JobRecord
        var staging: URL
        var reportPath: String
        /// The progress last recorded in the ledger.
        var progress: JobProgress?
    }

    public init(configuration: DaemonConfiguration, executor: JobExecutor, logger: Logger,
                shutdown: ShutdownSignal = ShutdownSignal(), useInotify: Bool = true, onlyPerson: PersonName? = nil) throws {
        self.configuration = try configuration.validated()
        inbox = URL(fileURLWithPath: configuration.inbox).standardizedFileURL
        layout = LibraryLayout(root: URL(fileURLWithPath: configuration.library))
        scanner = InboxScanner(root: inbox, maximumFileBytes: Int64(configuration.maxPhotoMB) << 20)
        publisher = Publisher(layout: layout)
        self.executor = executor
        self.logger = logger
        self.shutdown = shutdown
        self.useInotify = useInotify
        self.onlyPerson = onlyPerson
    }

    // MARK: Life cycle

    /// Runs until shutdown is requested, then stops cleanly.
    public func run() throws {
        try open()
        defer { close() }
        logger.info("watching", metadata: ["inbox": "\(inbox.path)", "library": "\(layout.root.path)"])
        while !shutdown.isRequested {
            step(now: Date())
            usleep(useconds_t(tick * 1_000_000))
        }
        logger.info("shutting down")
        finishForShutdown()
    }

    /// Runs until nothing is left to do (all files hashed, no job due or running) or `timeout`.
    /// Returns true if it became idle.
    @discardableResult
    public func runUntilIdle(timeout: TimeInterval) throws -> Bool {
        try open()
        defer { close() }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && !shutdown.isRequested {
            let progressed = step(now: Date())
            if !progressed && running.isEmpty && isIdle() { return true }
            usleep(useconds_t(tick * 1_000_000))
        }
        finishForShutdown()
        return false
    }

    var tick: TimeInterval { min(0.25, max(0.02, configuration.settleSeconds / 4)) }

    /// Takes the Library lock, opens the ledger, recovers from any crash and starts watching.
    public func open() throws {
        try checkFolders()
        try Durable.makeDirectory(layout.root)
        lock = try LibraryLock(url: layout.lockURL)
        ledger = try Ledger(url: layout.ledgerURL)
        openedAt = Date()
        try recover(now: openedAt)
        if useInotify {
            watcher = try InotifyWatcher(root: inbox)
        }
        fullRescanNeeded = true
    }

    /// Releases the watcher, ledger and lock.
    public func close() {
        hasher.cancelAll()
        watcher = nil
        ledger = nil
        lock = nil
    }

    /// The inbox must exist; the Library must not lie inside it or contain it.
    func checkFolders() throws {
        try WatchService.checkFolders(inbox: inbox, library: layout.root, onlyPerson: onlyPerson)
    }

    /// The folders' rules, for the command line to check before anything starts: the inbox (for
    /// `likeness build`, the person folder: the only one read) must be a folder, and the Library
    /// must neither lie inside it nor contain it. Errors name the setting (`inbox`, `library`).
    public static func checkFolders(inbox: URL, library: URL, onlyPerson: PersonName? = nil) throws {
        let watched = onlyPerson.map { inbox.appendingPathComponent($0.value) } ?? inbox
        let key = onlyPerson == nil ? "inbox" : "folder"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: watched.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConfigurationError(key: key, message: "\(watched.path) does not exist or is not a folder")
        }
        let realWatched = InboxScanner.realPath(watched.path) ?? watched.path
        let realLibrary = InboxScanner.realPath(library.path) ?? library.standardizedFileURL.path
        if realLibrary == realWatched || realLibrary.hasPrefix(realWatched + "/") || realWatched.hasPrefix(realLibrary + "/") {
            let what = onlyPerson == nil ? "the inbox" : "the person folder"
            throw ConfigurationError(key: "library", message: "\(realLibrary) and \(what) \(realWatched) must not contain each other")
        }
    }

    /// Start-up recovery: remove staging leftovers, adopt versions published just before a crash,
    /// requeue interrupted jobs, take versions that are gone or damaged on disk out of use
    /// (`LibraryRepair`), make every `latest` link match the ledger, refresh status files.
    func recover(now: Date) throws {
        let leftovers = try publisher.removeStagingLeftovers()
        for url in leftovers.removed {
            logger.notice("removed staging leftover", metadata: ["path": "\(url.path)"])
        }
        for url in leftovers.kept {
            logger.warning("a staging folder is still claimed by a running job; left for the next start", metadata: ["path": "\(url.path)"])
        }
        let known = Set(try ledger.versions().map { "\($0.person.value)/\($0.number)" }
            + ledger.lostVersions().map { "\($0.person.value)/\($0.version)" })
        for person in layout.persons() {
            for version in layout.versionsOnDisk(person) where !known.contains("\(person.value)/\(version)") {
                try adopt(person, version, now: now)
            }
        }
        let requeued = try ledger.requeueAllInterrupted(now: now)
        if requeued > 0 { logger.notice("requeued interrupted jobs", metadata: ["count": "\(requeued)"]) }
        // Versions deleted or damaged while the daemon was down: out of use, photos built again.
        let repair = try LibraryRepair(layout: layout, ledger: ledger).run(thorough: false, requeue: false, now: now)
        for line in repair.fixed { logger.error("Library repaired at start-up", metadata: ["what": "\(line)"]) }
        for line in repair.left { logger.warning("Library problem left for the user", metadata: ["what": "\(line)"]) }
        for person in layout.persons() { statusDirty.insert(person) }
        // What was refused before, so refusals fixed while the daemon was down are cleared.
        for person in try ledger.personsWithRefusals() where onlyPerson == nil || onlyPerson == person {
            recordedRefusals[person] = try ledger.refusals(of: person)
        }
        if onlyPerson == nil { recordedRefusals[nil] = try ledger.refusals(of: nil) }
        writeStatusFiles(now: now)
    }

    /// Records a version that reached the disk but not the ledger (crash between the two).
    func adopt(_ person: PersonName, _ version: Int, now: Date) throws {
        let problems = BundleVerifier(layout: layout).verify(person, version)
        let manifestURL = layout.versionDirectory(person, version).appendingPathComponent(BundleManifest.fileName)
        guard problems.isEmpty, let data = FileManager.default.contents(atPath: manifestURL.path),
              let manifest = try? BundleManifest.decode(data) else {
            logger.error("a version on disk does not match its manifest; left untouched",
                         metadata: ["person": "\(person)", "version": "\(version)", "problems": "\(problems)"])
            return
        }
        try ledger.recordPublication(manifest, now: now)
        logger.notice("adopted version published before a crash", metadata: ["person": "\(person)", "version": "\(version)"])
    }

    // MARK: One tick

    /// One round of the loop. Returns true if it changed anything. The ledger is read and the
    /// reconciler asked only when something may have changed: an event, a folder still settling,
    /// a finished job, a due job, or at least once a second (retry and force-after times).
    @discardableResult
    public func step(now: Date) -> Bool {
        var progressed = false
        do {
            takeEvents(now: now)
            progressed = try collectFinishedJobs(now: now)
            progressed = try recordHashes(now: now) || progressed
            collectProgress()
            let due = progressed || !dirty.isEmpty || fullRescanNeeded || now >= nextTimedReconcile
            rescan(now: now)
            guard due else { return false }
            nextTimedReconcile = now.addingTimeInterval(min(1, configuration.settleSeconds))
            var snapshot = try readSnapshot()
            var tried: [Action] = []
            for _ in 0..<8 {
                // A hash that changed nothing (file unreadable or still changing) waits for the next tick.
                let actions = Reconciler.reconcile(scan: currentScan(), observations: observations, activity: activity,
                                                   ledger: snapshot, settings: ReconcilerSettings(configuration),
                                                   now: now, retryRequests: retryRequests(), startedAt: openedAt)
                    .filter { !tried.contains($0) && !isBeingHashed($0) }
                guard !actions.isEmpty else { break }
                tried += actions
                try apply(actions, now: now)
                snapshot = try readSnapshot()
                progressed = true
                if actions.allSatisfy({ if case .start = $0 { return true }; return false }) { break }
            }
            keepUnsettledDirty(snapshot, now: now)
            writeStatusFiles(now: now)
        } catch {
            logger.error("step failed; will retry", metadata: ["error": "\(error)"])
        }
        return progressed
    }

    /// The ledger as the reconciler sees it: all of it, or one person's part for `likeness build`.
    func readSnapshot() throws -> LedgerSnapshot {
        let snapshot = try ledger.snapshot()
        return onlyPerson.map { snapshot.restricted(to: $0) } ?? snapshot
    }

    /// What asks for a failed job to be tried again: an event in the person's folder, or, for
    /// `likeness build`, the build itself.
    func retryRequests() -> [PersonName: Date] {
        guard let onlyPerson else { return retryAsked }
        return [onlyPerson: openedAt]
    }

    func currentScan() -> InboxScan {
        var scan = InboxScan()
        scan.persons = scans
        scan.invalidFolders = invalidFolders
        return scan
    }

    /// Turns inotify events into dirty folders and activity times.
    func takeEvents(now: Date) {
        guard let watcher else { return }
        handle(watcher.drain(), now: now)
    }

    func handle(_ events: [WatchEvent], now: Date) {
        for event in events {
            logger.trace("inotify event", metadata: ["directory": "\(event.directory)", "name": "\(event.name)", "mask": "\(event.mask)"])
            if event.isOverflow {
                logger.warning("inotify queue overflow: rescanning everything")
                fullRescanNeeded = true
                continue
            }
            if event.directory == inbox.path {
                guard !event.name.isEmpty, !event.name.hasPrefix(".") else { continue }
                let path = inbox.appendingPathComponent(event.name).path
                if event.disappeared { watcher?.unwatch(path) }
                if event.appeared && event.isDirectory { watcher?.watch(path) }
                if let person = try? PersonName(event.name) {
                    dirty.insert(person)
                    activity[person] = now
                    retryAsked[person] = now
                }
                // Maybe a symlinked folder, or a file loose in the inbox (refused, and shown as such).
                if !event.isDirectory && (event.appeared || event.disappeared) { fullRescanNeeded = true }
            } else {
                guard let person = try? PersonName(URL(fileURLWithPath: event.directory).lastPathComponent) else { continue }
                if !event.name.isEmpty && InboxScanner.isIgnored(event.name) { continue }
                dirty.insert(person)
                activity[person] = now
                if !event.name.isEmpty { retryAsked[person] = now }
            }
        }
    }

    /// Rescans the dirty folders, or everything after an overflow / start-up / the rescan interval.
    func rescan(now: Date) {
        if fullRescanNeeded || now.timeIntervalSince(lastFullRescan) >= configuration.rescanIntervalSeconds {
            var scan = InboxScan()
            if let onlyPerson {
                // `likeness build` reads its one folder, not the folders beside it.
                if case .person = scanner.classifyFolder(onlyPerson.value) { scan.persons[onlyPerson] = scanner.scanPerson(onlyPerson) }
            } else {
                scan = scanner.scanAll()
            }
            for person in scans.keys where scan.persons[person] == nil { observations.forget(person) }
            for (_, personScan) in scan.persons { observations.record(personScan, now: now) }
            scans = scan.persons
            invalidFolders = scan.invalidFolders
            for person in scans.keys { watcher?.watch(inbox.appendingPathComponent(person.value).path) }
            fullRescanNeeded = false
            lastFullRescan = now
            dirty = []
            recordRefusals()
            return
        }
        for person in dirty {
            if case .person = scanner.classifyFolder(person.value), onlyPerson == nil || onlyPerson == person {
                let personScan = scanner.scanPerson(person)
                observations.record(personScan, now: now)
                scans[person] = personScan
                watcher?.watch(inbox.appendingPathComponent(person.value).path)
            } else {
                scans[person] = nil
                observations.forget(person)
            }
        }
        dirty = []
        recordRefusals()
    }

    /// Folders with files not yet hashed, or with a due job, are looked at again next tick (the second look).
    func keepUnsettledDirty(_ snapshot: LedgerSnapshot, now: Date) {
        for (person, scan) in scans {
            let known = snapshot.files[person, default: [:]]
            if scan.files.count != known.count || scan.files.contains(where: { known[$0.name]?.signature != $0.signature }) {
                dirty.insert(person)
            }
        }
        for job in snapshot.openJobs where job.state == .queued && job.nextAttemptAt <= now { dirty.insert(job.person) }
    }

    /// Logs new refusals once and records every change in the ledger and the status files, so
    /// `likeness status` shows each refused entry with its reason and what to do.
    func recordRefusals() {
        var current: [PersonName?: [InboxRefusal]] = [:]
        if onlyPerson == nil { current[nil] = invalidFolders.map { $0.refusal() } }
        for person in Set(scans.keys).union(recordedRefusals.keys.compactMap { $0 }) {
            current[person] = scans[person]?.skipped.map { $0.refusal(in: person) } ?? []
        }
        for (scope, refusals) in current where recordedRefusals[scope] ?? [] != refusals {
            for refusal in refusals where !reported.contains(refusal.entry) {
                reported.insert(refusal.entry)
                logger.warning("inbox entry not read", metadata: ["entry": "\(refusal.entry)", "reason": "\(refusal.reason)",
                                                                 "advice": "\(refusal.advice)"])
            }
            do {
                try ledger.replaceRefusals(of: scope, with: refusals)
                recordedRefusals[scope] = refusals.isEmpty ? nil : refusals
                if let scope { statusDirty.insert(scope) } else { inboxStatusDirty = true }
            } catch {
                logger.warning("cannot record refused inbox entries", metadata: ["error": "\(error)"])
            }
        }
    }

    /// True when every scanned file is in the ledger and no job is queued or running.
    func isIdle() -> Bool {
        guard let jobs = try? ledger.jobs(in: [.queued, .running]), let files = try? ledger.files() else { return false }
        let known = Set(files.map { "\($0.person.value)/\($0.name)/\($0.signature.size)/\($0.signature.modifiedNanoseconds)" })
        let allKnown = scans.values.allSatisfy { scan in
            scan.files.allSatisfy { known.contains("\(scan.person.value)/\($0.name)/\($0.signature.size)/\($0.signature.modifiedNanoseconds)") }
        }
        // A queued job waiting for a retry later than now does not count as pending work here.
        return allKnown && hasher.pendingCount == 0 && jobs.allSatisfy { $0.state == .queued && $0.nextAttemptAt > Date() }
    }
}

/// One daemon per Library: an exclusive `flock` on `<Library>/.lock` (released by the kernel even
/// when the process is killed).
public final class LibraryLock {
    let descriptor: Int32

    public init(url: URL) throws {
        descriptor = Glibc.open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError.io(operation: "open", path: url.path, code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(descriptor)
            throw ConfigurationError(message: "another likeness process is using the Library (\(url.deletingLastPathComponent().path))")
        }
    }

    deinit { Glibc.close(descriptor) }
}
