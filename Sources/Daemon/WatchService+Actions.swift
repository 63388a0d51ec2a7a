import Foundation
import Library
import Logging

extension WatchService {
    /// Carries out the reconciler's actions.
    func apply(_ actions: [Action], now: Date) throws {
        for action in actions {
            switch action {
            case let .hash(person, file):
                try hash(person, file, now: now)
            case let .forget(person, name):
                try ledger.forgetFile(person: person, name: name)
                statusDirty.insert(person)
                logger.info("photo left the inbox", metadata: ["person": "\(person)", "file": "\(name)"])
            case let .enqueue(person, inputs):
                let job = try ledger.enqueueJob(person: person, inputs: inputs, now: now)
                statusDirty.insert(person)
                logger.info("job queued", metadata: ["person": "\(person)", "job": "\(job.id)", "photos": "\(inputs.count)"])
            case let .supersede(jobID):
                try ledger.supersedeJob(jobID, now: now)
                logger.info("job superseded", metadata: ["job": "\(jobID)"])
            case let .pointLatest(person, version):
                try ledger.setLatest(person, version)
                try publisher.switchLatest(person, to: version)
                statusDirty.insert(person)
                logger.info("latest points back at an existing version", metadata: ["person": "\(person)", "version": "\(version)"])
            case let .start(jobID):
                if !shutdown.isRequested { try start(jobID, now: now) }
            case let .retry(jobID, at):
                try ledger.retryJob(jobID, at: at, now: now)
                if let job = try ledger.job(jobID) { statusDirty.insert(job.person) }
                logger.notice("failed job queued again", metadata: ["job": "\(jobID)", "inSeconds": "\(Int(max(0, at.timeIntervalSince(now))))"])
            }
        }
    }

    /// Hands a settled file to the background hasher (`recordHashes` records the result).
    func hash(_ person: PersonName, _ file: ScannedFile, now: Date) throws {
        if hasher.submit(person, file) {
            logger.debug("hashing a photo", metadata: ["person": "\(person)", "file": "\(file.name)", "bytes": "\(file.signature.size)"])
        }
    }

    /// A `.hash` of a file the hasher already has (same signature): nothing to do this tick.
    func isBeingHashed(_ action: Action) -> Bool {
        if case let .hash(person, file) = action { return hasher.isHashing(person, file) }
        return false
    }

    /// Records the files the background hasher finished; one that changed meanwhile (or could not
    /// be read) is left for the next look. Returns true if any was recorded.
    func recordHashes(now: Date) throws -> Bool {
        var any = false
        for result in hasher.drain() {
            let (person, file) = (result.person, result.file)
            switch result.sha256 {
            case let .failure(error):
                logger.warning("cannot read a photo; will look again", metadata: ["person": "\(person)", "file": "\(file.name)", "error": "\(error)"])
            case let .success(sha256):
                guard FileSignature.of(file.path) == file.signature, scans[person]?.files.contains(file) ?? false else { continue }
                try ledger.recordFile(FileRecord(person: person, name: file.name, signature: file.signature, sha256: sha256), now: now)
                statusDirty.insert(person)
                retryAsked[person] = now
                any = true
                logger.debug("photo hashed", metadata: ["person": "\(person)", "file": "\(file.name)", "sha256": "\(sha256)"])
            }
        }
        return any
    }

    /// Starts a queued job in a fresh staging folder.
    func start(_ jobID: Int64, now: Date) throws {
        guard let job = try ledger.job(jobID), job.state == .queued else { return }
        let scan = scans[job.person]
        let files = try ledger.files(of: job.person)
        var photos: [StagePhoto] = []
        for hash in job.inputs {
            guard let file = files.first(where: { $0.sha256 == hash }),
                  let path = scan?.files.first(where: { $0.name == file.name })?.path else {
                try ledger.supersedeJob(jobID, now: now)
                return
            }
            photos.append(StagePhoto(name: file.name, path: path, sha256: hash, signature: file.signature))
        }
        let staging = try publisher.makeStagingDirectory(for: job.person, jobID: jobID)
        let reportPath = staging.path + ".report.json"
        let spec = JobSpec(jobID: jobID, person: job.person, photos: photos, buildDirectory: staging.path,
                           resultPath: reportPath, memoryLimitBytes: UInt64(configuration.jobMemoryLimitMB) << 20,
                           parentPID: getpid(), identityThreshold: configuration.identityThreshold)
        try ledger.startJob(jobID, now: now)
        try ledger.setProgress(jobID, nil)
        do {
            let running = try executor.start(spec)
            self.running[jobID] = ActiveJob(job: running, record: job, staging: staging, reportPath: reportPath)
        } catch {
            try ledger.failJob(jobID, error: "cannot start the job: \(error)", retryAt: retryTime(after: job.attempts + 1, now: now), now: now)
            _ = try? publisher.removeStaging(staging)
            throw error
        }
        statusDirty.insert(job.person)
        logger.info("job started", metadata: ["person": "\(job.person)", "job": "\(jobID)", "photos": "\(photos.count)",
                                              "attempt": "\(job.attempts + 1)"])
    }

    func retryTime(after attempt: Int, now: Date) -> Date? {
        attempt < configuration.maxAttempts ? now.addingTimeInterval(configuration.retryDelay(afterAttempt: attempt)) : nil
    }

    /// Publishes or records every job that has ended. Returns true if any had.
    func collectFinishedJobs(now: Date) throws -> Bool {
        var any = false
        for (id, active) in running {
            guard let outcome = active.job.poll() else { continue }
            running[id] = nil
            any = true
            try finish(active, outcome, now: now)
        }
        return any
    }

    /// Records and logs what each running job last reported of its progress, when it changed;
    /// the log gets a line when the stage changes and at every tenth of the job.
    func collectProgress() {
        for (id, active) in running {
            guard let progress = active.job.progress(), progress != active.progress else { continue }
            do { try ledger.setProgress(id, progress) } catch {
                logger.warning("cannot record a job's progress", metadata: ["job": "\(id)", "error": "\(error)"])
                continue
            }
            running[id]?.progress = progress
            statusDirty.insert(active.record.person)
            if active.progress?.stage != progress.stage || (active.progress?.percent ?? 0) / 10 != progress.percent / 10 {
                logger.info("job progress", metadata: ["job": "\(id)", "person": "\(active.record.person)",
                                                       "stage": "\(progress.stage.rawValue)", "percent": "\(progress.percent)",
                                                       "step": "\(progress.step.map { "\($0)/\(progress.total ?? 0)" } ?? "-")"])
            }
        }
    }

    func finish(_ active: ActiveJob, _ outcome: JobOutcome, now: Date) throws {
        let job = active.record
        unlink(JobSpec.progressPath(inBuild: active.staging.path))
        defer {
            _ = try? publisher.removeStaging(active.staging)
            statusDirty.insert(job.person)
        }
        var failure: String?
        switch outcome {
        case let .failed(message): failure = message
        case let .finished(output):
            if let problem = inconsistency(of: output, for: job) {
                failure = problem
            } else {
                // A publishing error (disk full, …) is a failed attempt, retried like any other.
                do { try publishOrRecord(output, job: job, staging: active.staging, now: now) } catch {
                    failure = "publishing failed: \(error)"
                }
            }
        }
        if let failure {
            let attempt = (try ledger.job(job.id)?.attempts) ?? job.attempts + 1
            let retryAt = retryTime(after: attempt, now: now)
            try ledger.failJob(job.id, error: failure, retryAt: retryAt, now: now)
            if let retryAt {
                logger.warning("job failed; will retry", metadata: ["job": "\(job.id)", "person": "\(job.person)", "error": "\(failure)",
                                                                   "retryIn": "\(Int(retryAt.timeIntervalSince(now)))s"])
            } else {
                logger.error("job failed for good", metadata: ["job": "\(job.id)", "person": "\(job.person)", "error": "\(failure)"])
            }
        }
    }

    /// The stage must account for every input exactly once.
    func inconsistency(of output: StageOutput, for job: JobRecord) -> String? {
        let inputs = Set(job.inputs)
        let accepted = Set(output.accepted), rejected = Set(output.rejected.map(\.sha256))
        guard accepted.isDisjoint(with: rejected), accepted.union(rejected) == inputs,
              output.accepted.count == accepted.count, output.rejected.count == rejected.count else {
            return "the stage \(output.stage) did not account for every photo exactly once"
        }
        return nil
    }

    /// A finished job: publish a new version, reuse an identical one, or record that nothing was usable.
    func publishOrRecord(_ output: StageOutput, job: JobRecord, staging: URL, now: Date) throws {
        if output.accepted.isEmpty {
            try ledger.recordNoUsablePhotos(jobID: job.id, person: job.person, rejected: output.rejected, now: now)
            logger.warning("no usable photo: nothing published", metadata: ["person": "\(job.person)", "job": "\(job.id)",
                                                                           "rejected": "\(output.rejected.count)"])
            return
        }
        let key = PhotoSet.key(output.accepted)
        if let existing = try ledger.versions(of: job.person).last(where: { $0.acceptedKey == key }) {
            try ledger.recordReuse(jobID: job.id, person: job.person, version: existing.number, accepted: output.accepted,
                                   rejected: output.rejected, now: now)
            try publisher.switchLatest(job.person, to: existing.number)
            logger.info("same photos as an existing version: nothing new published",
                        metadata: ["person": "\(job.person)", "version": "\(existing.number)"])
            return
        }
        let draft = BundleDraft(person: job.person, jobID: job.id, inputs: job.inputs, accepted: output.accepted,
                                rejected: output.rejected, stage: output.stage, models: output.models,
                                statistics: output.statistics)
        let highest = try ledger.highestVersionNumber(of: job.person)
        let manifest = try publisher.publish(staging: staging, draft: draft, atLeast: highest + 1, now: now)
        try ledger.recordPublication(manifest, now: now)
        try publisher.switchLatest(job.person, to: manifest.version)
        logger.notice("published", metadata: ["person": "\(job.person)", "version": "\(LibraryLayout.versionName(manifest.version))",
                                              "photos": "\(manifest.accepted.count)", "rejected": "\(manifest.rejected.count)",
                                              "files": "\(manifest.files.count)"])
    }

    /// On shutdown: wait for running jobs within the grace period, saying what for, then abandon
    /// the rest cleanly (child stopped, staging removed, job back in the queue without counting
    /// the attempt). A second SIGINT/SIGTERM abandons them at once: nothing is published.
    func finishForShutdown() {
        let grace = configuration.shutdownGraceSeconds
        let deadline = Date().addingTimeInterval(grace)
        var nextNotice = Date()
        while !running.isEmpty && Date() < deadline && !shutdown.isAbandonRequested {
            if Date() >= nextNotice {
                let left = Int(deadline.timeIntervalSinceNow.rounded(.up)), one = running.count == 1
                let text = "waiting up to \(left) s for \(one ? "the running job" : "\(running.count) running jobs") to finish "
                    + "(Ctrl-C again abandons \(one ? "it" : "them"); \(one ? "it runs" : "they run") again at the next start)"
                logger.notice("\(text)", metadata: ["jobs": "\(runningJobsDescription())"])
                nextNotice = Date().addingTimeInterval(5)
            }
            _ = try? collectFinishedJobs(now: Date())
            collectProgress()
            if !running.isEmpty { usleep(50_000) }
        }
        if !running.isEmpty {
            logger.notice(shutdown.isAbandonRequested ? "abandoning at the second signal" : "the grace period of \(Int(grace)) s is over",
                          metadata: ["jobs": "\(runningJobsDescription())"])
        }
        for (id, active) in running {
            active.job.cancel()
            try? ledger.requeueInterrupted(id, now: Date())
            try? ledger.setProgress(id, nil)
            _ = try? publisher.removeStaging(active.staging)
            statusDirty.insert(active.record.person)
            logger.notice("job abandoned at shutdown; it will run again", metadata: ["job": "\(id)", "person": "\(active.record.person)"])
        }
        running = [:]
        writeStatusFiles(now: Date())
    }

    /// "job 3 (alice): adaptation 40/200, 24 %" for each running job.
    func runningJobsDescription() -> String {
        running.sorted { $0.key < $1.key }.map { id, active in
            "job \(id) (\(active.record.person))" + (active.progress.map { ": \($0)" } ?? ": starting")
        }.joined(separator: "; ")
    }

    /// Rewrites `status.json` of every person whose state changed, and the inbox root's
    /// `inbox-status.json` when its refusals changed.
    func writeStatusFiles(now: Date) {
        if inboxStatusDirty {
            do {
                try InboxStatus(refused: try ledger.refusals(of: nil), updatedAt: Publisher.timestamp(now)).write(to: layout)
                inboxStatusDirty = false
            } catch {
                logger.warning("cannot write \(InboxStatus.fileName)", metadata: ["error": "\(error)"])
            }
        }
        for person in statusDirty {
            do { try PersonStatus.build(person, ledger: ledger, now: now).write(to: layout) } catch {
                logger.warning("cannot write status.json", metadata: ["person": "\(person)", "error": "\(error)"])
            }
        }
        statusDirty = []
    }
}
