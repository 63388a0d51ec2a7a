import Foundation

/// The durable ledger (SQLite, WAL journal, synchronous=FULL) at `<Library>/.ledger.sqlite`:
/// inbox files by name and signature, photos by content hash with their state, jobs with their
/// state and attempts, published versions and each person's `latest`. Every change is one
/// transaction, so a crash leaves the ledger as it was before or after a step, never between.
public final class Ledger {
    public let database: SQLiteDatabase

    public init(url: URL, readOnly: Bool = false) throws {
        database = try SQLiteDatabase(path: url.path, readOnly: readOnly)
        if !readOnly {
            try database.execute("PRAGMA journal_mode=WAL")
            try database.execute("PRAGMA synchronous=FULL")
            try database.execute(Ledger.schema)
            try addMissingColumns()
        }
    }

    /// Columns added after the first release, for ledgers made before them.
    func addMissingColumns() throws {
        let columns = Set(try database.query("PRAGMA table_info(jobs)").compactMap { $0[1].string })
        if !columns.contains("rounds") {
            try database.execute("ALTER TABLE jobs ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0")
        }
        if !columns.contains("progress") {
            try database.execute("ALTER TABLE jobs ADD COLUMN progress TEXT")
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS files(
            person TEXT NOT NULL, name TEXT NOT NULL, sha256 TEXT NOT NULL,
            size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
            PRIMARY KEY(person, name));
        CREATE TABLE IF NOT EXISTS photos(
            person TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL,
            reason_kind TEXT, reason_detail TEXT, version INTEGER, first_seen REAL NOT NULL,
            PRIMARY KEY(person, sha256));
        CREATE TABLE IF NOT EXISTS jobs(
            id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT NOT NULL, inputs TEXT NOT NULL,
            input_key TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            interruptions INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, error TEXT,
            version INTEGER, created_at REAL NOT NULL, updated_at REAL NOT NULL,
            rounds INTEGER NOT NULL DEFAULT 0, progress TEXT);
        CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state);
        CREATE TABLE IF NOT EXISTS versions(
            person TEXT NOT NULL, number INTEGER NOT NULL, accepted_key TEXT NOT NULL,
            job_id INTEGER NOT NULL, published_at REAL NOT NULL, PRIMARY KEY(person, number));
        CREATE TABLE IF NOT EXISTS persons(person TEXT PRIMARY KEY, latest INTEGER);
        CREATE TABLE IF NOT EXISTS lost_versions(
            person TEXT NOT NULL, number INTEGER NOT NULL, accepted_key TEXT NOT NULL, job_id INTEGER NOT NULL,
            published_at REAL NOT NULL, reason TEXT NOT NULL, noticed_at REAL NOT NULL, PRIMARY KEY(person, number));
        CREATE TABLE IF NOT EXISTS refusals(
            person TEXT NOT NULL, entry TEXT NOT NULL, reason TEXT NOT NULL, advice TEXT NOT NULL,
            PRIMARY KEY(person, entry));
        """

    // MARK: Files and photos

    /// Records a hashed inbox file, and its photo (state `new`) if the content is new for this person.
    public func recordFile(_ file: FileRecord, now: Date) throws {
        try database.transaction {
            try database.query("""
                INSERT INTO files(person, name, sha256, size, mtime_ns, inode) VALUES(?,?,?,?,?,?)
                ON CONFLICT(person, name) DO UPDATE SET sha256=excluded.sha256, size=excluded.size,
                mtime_ns=excluded.mtime_ns, inode=excluded.inode
                """, [.text(file.person.value), .text(file.name), .text(file.sha256), .integer(file.signature.size),
                      .integer(file.signature.modifiedNanoseconds), .integer(Int64(bitPattern: file.signature.inode))])
            try database.query("INSERT OR IGNORE INTO photos(person, sha256, state, first_seen) VALUES(?,?,?,?)",
                               [.text(file.person.value), .text(file.sha256), .text(PhotoState.new.rawValue),
                                .real(now.timeIntervalSince1970)])
        }
    }

    /// Forgets a file that left the inbox (its photo stays in the history).
    public func forgetFile(person: PersonName, name: String) throws {
        try database.query("DELETE FROM files WHERE person=? AND name=?", [.text(person.value), .text(name)])
    }

    public func photos(of person: PersonName? = nil) throws -> [PhotoRecord] {
        let rows = try person.map {
            try database.query("SELECT person, sha256, state, reason_kind, reason_detail, version, first_seen FROM photos WHERE person=? ORDER BY sha256", [.text($0.value)])
        } ?? database.query("SELECT person, sha256, state, reason_kind, reason_detail, version, first_seen FROM photos ORDER BY person, sha256")
        return try rows.map { row in
            let rejection = row[3].string.flatMap(RejectionKind.init(rawValue:)).map { Rejection($0, row[4].string ?? "") }
            return PhotoRecord(person: try PersonName(row[0].string ?? ""), sha256: row[1].string ?? "",
                               state: PhotoState(rawValue: row[2].string ?? "") ?? .new, rejection: rejection,
                               version: row[5].int.map(Int.init), firstSeen: Date(timeIntervalSince1970: row[6].double ?? 0))
        }
    }

    public func files(of person: PersonName? = nil) throws -> [FileRecord] {
        let sql = "SELECT person, name, sha256, size, mtime_ns, inode FROM files"
        let rows = try person.map { try database.query(sql + " WHERE person=? ORDER BY name", [.text($0.value)]) }
            ?? database.query(sql + " ORDER BY person, name")
        return try rows.map { row in
            FileRecord(person: try PersonName(row[0].string ?? ""), name: row[1].string ?? "",
                       signature: FileSignature(size: row[3].int ?? 0, modifiedNanoseconds: row[4].int ?? 0,
                                                inode: UInt64(bitPattern: row[5].int ?? 0)),
                       sha256: row[2].string ?? "")
        }
    }

    // MARK: Refusals

    /// Replaces the refused entries of one person folder (`person`), or of the inbox root (nil).
    public func replaceRefusals(of person: PersonName?, with refusals: [InboxRefusal]) throws {
        let scope = person?.value ?? ""
        try database.transaction {
            try database.query("DELETE FROM refusals WHERE person=?", [.text(scope)])
            for refusal in refusals {
                try database.query("INSERT OR REPLACE INTO refusals(person, entry, reason, advice) VALUES(?,?,?,?)",
                                   [.text(scope), .text(refusal.entry), .text(refusal.reason), .text(refusal.advice)])
            }
        }
    }

    /// The refused entries of one person folder, or of the inbox root (nil), by entry. Empty for a
    /// ledger made before refusals were recorded and opened read-only.
    public func refusals(of person: PersonName?) throws -> [InboxRefusal] {
        guard try hasRefusalsTable() else { return [] }
        return try database.query("SELECT entry, reason, advice FROM refusals WHERE person=? ORDER BY entry", [.text(person?.value ?? "")])
            .map { InboxRefusal(entry: $0[0].string ?? "", reason: $0[1].string ?? "", advice: $0[2].string ?? "") }
    }

    private func hasRefusalsTable() throws -> Bool {
        try !database.query("SELECT name FROM sqlite_master WHERE type='table' AND name='refusals'").isEmpty
    }

    /// Persons with refused entries in their folder.
    public func personsWithRefusals() throws -> [PersonName] {
        guard try hasRefusalsTable() else { return [] }
        return try database.query("SELECT DISTINCT person FROM refusals WHERE person<>''").compactMap { try? PersonName($0[0].string ?? "") }
    }

    // MARK: Jobs

    /// Queues a build of `inputs` for a person; queued jobs of that person not yet started are superseded.
    @discardableResult
    public func enqueueJob(person: PersonName, inputs: [String], now: Date) throws -> JobRecord {
        let sorted = Array(Set(inputs)).sorted()
        let id: Int64 = try database.transaction {
            try database.query("UPDATE jobs SET state=?, updated_at=? WHERE person=? AND state=?",
                               [.text(JobState.superseded.rawValue), .real(now.timeIntervalSince1970),
                                .text(person.value), .text(JobState.queued.rawValue)])
            try database.query("""
                INSERT INTO jobs(person, inputs, input_key, state, next_attempt_at, created_at, updated_at)
                VALUES(?,?,?,?,?,?,?)
                """, [.text(person.value), .text(sorted.joined(separator: ",")), .text(PhotoSet.key(sorted)),
                      .text(JobState.queued.rawValue), .real(now.timeIntervalSince1970),
                      .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
            return database.lastInsertRowID
        }
        return try job(id)!
    }

    public func job(_ id: Int64) throws -> JobRecord? {
        try jobs(where: "id=?", [.integer(id)]).first
    }

    /// Jobs in any of the given states, oldest first.
    public func jobs(in states: [JobState]) throws -> [JobRecord] {
        let marks = states.map { _ in "?" }.joined(separator: ",")
        return try jobs(where: "state IN (\(marks))", states.map { .text($0.rawValue) })
    }

    /// Marks a job running and counts the attempt.
    public func startJob(_ id: Int64, now: Date) throws {
        try database.query("UPDATE jobs SET state=?, attempts=attempts+1, updated_at=? WHERE id=?",
                           [.text(JobState.running.rawValue), .real(now.timeIntervalSince1970), .integer(id)])
    }

    /// What a running job last reported of its progress (nil: nothing yet, or cleared).
    public func setProgress(_ id: Int64, _ progress: JobProgress?) throws {
        let text = try progress.map { SQLValue.text(String(decoding: try JSONEncoder().encode($0), as: UTF8.self)) } ?? .null
        try database.query("UPDATE jobs SET progress=? WHERE id=?", [text, .integer(id)])
    }

    /// The progress a job reported, nil when none (or the ledger predates progress).
    public func progress(of id: Int64) throws -> JobProgress? {
        let columns = Set(try database.query("PRAGMA table_info(jobs)").compactMap { $0[1].string })
        guard columns.contains("progress") else { return nil }
        return try database.query("SELECT progress FROM jobs WHERE id=?", [.integer(id)]).first?[0].string
            .flatMap { try? JSONDecoder().decode(JobProgress.self, from: Data($0.utf8)) }
    }

    /// Records a failed attempt: back to the queue at `retryAt`, or `failed` for good when nil.
    public func failJob(_ id: Int64, error: String, retryAt: Date?, now: Date) throws {
        let state: JobState = retryAt == nil ? .failed : .queued
        try database.query("UPDATE jobs SET state=?, error=?, next_attempt_at=?, updated_at=? WHERE id=?",
                           [.text(state.rawValue), .text(error), .real((retryAt ?? now).timeIntervalSince1970),
                            .real(now.timeIntervalSince1970), .integer(id)])
    }

    /// Gives a job that failed for good a new round of attempts from `at` (the error stays until
    /// the next attempt ends, so `status` can still say what went wrong). Does nothing to a job
    /// that is not failed.
    public func retryJob(_ id: Int64, at: Date, now: Date) throws {
        try database.query("""
            UPDATE jobs SET state=?, attempts=0, rounds=rounds+1, next_attempt_at=?, updated_at=? WHERE id=? AND state=?
            """, [.text(JobState.queued.rawValue), .real(at.timeIntervalSince1970), .real(now.timeIntervalSince1970),
                  .integer(id), .text(JobState.failed.rawValue)])
    }

    /// `likeness retry`: every job of `person` that failed for good is queued again, due now.
    /// Returns the jobs queued again.
    public func retryFailedJobs(of person: PersonName, now: Date) throws -> [JobRecord] {
        let failed = try jobs(in: [.failed]).filter { $0.person == person }
        for job in failed { try retryJob(job.id, at: now, now: now) }
        return try failed.compactMap { try self.job($0.id) }
    }

    /// Puts a job that was stopped from outside (daemon shutdown or crash) back in the queue
    /// without counting the attempt against it.
    public func requeueInterrupted(_ id: Int64, now: Date) throws {
        try database.query("""
            UPDATE jobs SET state=?, attempts=MAX(attempts-1, 0), interruptions=interruptions+1, updated_at=?
            WHERE id=? AND state=?
            """, [.text(JobState.queued.rawValue), .real(now.timeIntervalSince1970), .integer(id), .text(JobState.running.rawValue)])
    }

    /// At start-up: every job left `running` by a crash goes back to the queue.
    public func requeueAllInterrupted(now: Date) throws -> Int {
        let running = try jobs(in: [.running])
        for job in running { try requeueInterrupted(job.id, now: now) }
        return running.count
    }

    /// A job whose photos were all rejected: it succeeded without a version.
    public func recordNoUsablePhotos(jobID: Int64, person: PersonName, rejected: [RejectedPhoto], now: Date) throws {
        try database.transaction {
            try markRejected(person: person, rejected)
            try database.query("UPDATE jobs SET state=?, error=?, updated_at=? WHERE id=?",
                               [.text(JobState.succeeded.rawValue), .text("no usable photo: nothing published"),
                                .real(now.timeIntervalSince1970), .integer(jobID)])
            try supersedeFailedJobs(of: person, before: jobID, now: now)
        }
    }

    /// A queued (or failed) job that no longer matches its person's photos.
    public func supersedeJob(_ id: Int64, now: Date) throws {
        try database.query("UPDATE jobs SET state=?, updated_at=? WHERE id=? AND state IN (?,?)",
                           [.text(JobState.superseded.rawValue), .real(now.timeIntervalSince1970), .integer(id),
                            .text(JobState.queued.rawValue), .text(JobState.failed.rawValue)])
    }

    /// Once a job of `person` succeeded, its older jobs that failed for good are history: they
    /// would otherwise still show as failed next to the newer version.
    private func supersedeFailedJobs(of person: PersonName, before jobID: Int64, now: Date) throws {
        try database.query("UPDATE jobs SET state=?, updated_at=? WHERE person=? AND state=? AND id<?",
                           [.text(JobState.superseded.rawValue), .real(now.timeIntervalSince1970), .text(person.value),
                            .text(JobState.failed.rawValue), .integer(jobID)])
    }

    /// A job whose accepted photos are exactly an existing version's: nothing new is published;
    /// the job succeeds with that version, its photos are ingested/rejected and `latest` points there.
    public func recordReuse(jobID: Int64, person: PersonName, version: Int, accepted: [String],
                            rejected: [RejectedPhoto], now: Date) throws {
        try database.transaction {
            for hash in accepted {
                try database.query("UPDATE photos SET state=?, version=?, reason_kind=NULL, reason_detail=NULL WHERE person=? AND sha256=?",
                                   [.text(PhotoState.ingested.rawValue), .integer(Int64(version)), .text(person.value), .text(hash)])
            }
            try markRejected(person: person, rejected)
            try database.query("UPDATE jobs SET state=?, version=?, error=NULL, updated_at=? WHERE id=?",
                               [.text(JobState.succeeded.rawValue), .integer(Int64(version)),
                                .real(now.timeIntervalSince1970), .integer(jobID)])
            try supersedeFailedJobs(of: person, before: jobID, now: now)
            try setLatestInTransaction(person, version)
        }
    }

    // MARK: Versions

    /// Records a published version (from its manifest) in one transaction: the version, its job
    /// succeeded, accepted photos ingested and used in it, rejected photos with their reasons, and
    /// the person's `latest`. Idempotent, so a version found on disk after a crash can be adopted.
    public func recordPublication(_ manifest: BundleManifest, now: Date) throws {
        let person = try PersonName(manifest.person)
        try database.transaction {
            try database.query("INSERT OR IGNORE INTO versions(person, number, accepted_key, job_id, published_at) VALUES(?,?,?,?,?)",
                               [.text(person.value), .integer(Int64(manifest.version)), .text(manifest.acceptedKey),
                                .integer(manifest.jobID), .real(now.timeIntervalSince1970)])
            try database.query("UPDATE jobs SET state=?, version=?, error=NULL, updated_at=? WHERE id=?",
                               [.text(JobState.succeeded.rawValue), .integer(Int64(manifest.version)),
                                .real(now.timeIntervalSince1970), .integer(manifest.jobID)])
            for hash in manifest.accepted {
                try database.query("""
                    INSERT INTO photos(person, sha256, state, version, first_seen) VALUES(?,?,?,?,?)
                    ON CONFLICT(person, sha256) DO UPDATE SET state=excluded.state, version=excluded.version,
                    reason_kind=NULL, reason_detail=NULL
                    """, [.text(person.value), .text(hash), .text(PhotoState.ingested.rawValue),
                          .integer(Int64(manifest.version)), .real(now.timeIntervalSince1970)])
            }
            try markRejected(person: person, manifest.rejected)
            try supersedeFailedJobs(of: person, before: manifest.jobID, now: now)
            try setLatestInTransaction(person, manifest.version)
        }
    }

    public func setLatest(_ person: PersonName, _ version: Int) throws {
        try database.transaction { try setLatestInTransaction(person, version) }
    }

    public func versions(of person: PersonName? = nil) throws -> [VersionRecord] {
        let sql = "SELECT person, number, accepted_key, job_id, published_at FROM versions"
        let rows = try person.map { try database.query(sql + " WHERE person=? ORDER BY number", [.text($0.value)]) }
            ?? database.query(sql + " ORDER BY person, number")
        return try rows.map { row in
            VersionRecord(person: try PersonName(row[0].string ?? ""), number: Int(row[1].int ?? 0),
                          acceptedKey: row[2].string ?? "", jobID: row[3].int ?? 0,
                          publishedAt: Date(timeIntervalSince1970: row[4].double ?? 0))
        }
    }

    /// Takes a published version that is gone or damaged on disk out of use, in one transaction:
    /// it moves to `lost_versions` (so its number is never given again and status can show it),
    /// and `latest` falls back to the newest version left (none: no latest). Returns the photos
    /// it was built from, to build them again.
    @discardableResult
    public func markVersionLost(_ person: PersonName, _ number: Int, reason: String, now: Date) throws -> [String] {
        try database.transaction {
            try database.query("""
                INSERT OR IGNORE INTO lost_versions(person, number, accepted_key, job_id, published_at, reason, noticed_at)
                SELECT person, number, accepted_key, job_id, published_at, ?, ? FROM versions WHERE person=? AND number=?
                """, [.text(reason), .real(now.timeIntervalSince1970), .text(person.value), .integer(Int64(number))])
            try database.query("DELETE FROM versions WHERE person=? AND number=?", [.text(person.value), .integer(Int64(number))])
            let newest = try database.query("SELECT MAX(number) FROM versions WHERE person=?", [.text(person.value)]).first?.first?.int
            try database.query("UPDATE persons SET latest=? WHERE person=? AND latest=?",
                               [newest.map { .integer($0) } ?? .null, .text(person.value), .integer(Int64(number))])
            return try database.query("SELECT sha256 FROM photos WHERE person=? AND version=? AND state=? ORDER BY sha256",
                                      [.text(person.value), .integer(Int64(number)), .text(PhotoState.ingested.rawValue)])
                .compactMap { $0.first?.string }
        }
    }

    /// Versions taken out of use because the disk lost or damaged them.
    public func lostVersions(of person: PersonName? = nil) throws -> [LostVersion] {
        let sql = "SELECT person, number, reason, noticed_at FROM lost_versions"
        let rows = try person.map { try database.query(sql + " WHERE person=? ORDER BY number", [.text($0.value)]) }
            ?? database.query(sql + " ORDER BY person, number")
        return try rows.map { row in
            LostVersion(person: try PersonName(row[0].string ?? ""), version: Int(row[1].int ?? 0), reason: row[2].string ?? "",
                        noticedAt: Date(timeIntervalSince1970: row[3].double ?? 0))
        }
    }

    /// The highest version number the person ever had, lost ones included (the next is above it).
    public func highestVersionNumber(of person: PersonName) throws -> Int {
        let published = try versions(of: person).map(\.number).max() ?? 0
        return max(published, try lostVersions(of: person).map(\.version).max() ?? 0)
    }

    public func latest() throws -> [PersonName: Int] {
        var result: [PersonName: Int] = [:]
        for row in try database.query("SELECT person, latest FROM persons WHERE latest IS NOT NULL") {
            if let person = try? PersonName(row[0].string ?? ""), let number = row[1].int { result[person] = Int(number) }
        }
        return result
    }

    /// The whole state the reconciler works from.
    public func snapshot() throws -> LedgerSnapshot {
        var snapshot = LedgerSnapshot()
        for file in try files() { snapshot.files[file.person, default: [:]][file.name] = file }
        for photo in try photos() { snapshot.photos[photo.person, default: [:]][photo.sha256] = photo }
        snapshot.openJobs = try jobs(in: [.queued, .running, .failed])
        for version in try versions() { snapshot.versions[version.person, default: []].append(version) }
        snapshot.latest = try latest()
        return snapshot
    }

    /// SQLite's `PRAGMA integrity_check` ("ok" when sound).
    public func integrityCheck() throws -> String {
        try database.query("PRAGMA integrity_check").compactMap { $0.first?.string }.joined(separator: "; ")
    }

    // MARK: Helpers

    private func markRejected(person: PersonName, _ rejected: [RejectedPhoto]) throws {
        for photo in rejected {
            try database.query("""
                INSERT INTO photos(person, sha256, state, reason_kind, reason_detail, first_seen) VALUES(?,?,?,?,?,?)
                ON CONFLICT(person, sha256) DO UPDATE SET state=excluded.state, reason_kind=excluded.reason_kind,
                reason_detail=excluded.reason_detail
                """, [.text(person.value), .text(photo.sha256), .text(PhotoState.rejected.rawValue),
                      .text(photo.reason.kind.rawValue), .text(photo.reason.detail), .real(Date().timeIntervalSince1970)])
        }
    }

    private func setLatestInTransaction(_ person: PersonName, _ version: Int) throws {
        try database.query("INSERT INTO persons(person, latest) VALUES(?,?) ON CONFLICT(person) DO UPDATE SET latest=excluded.latest",
                           [.text(person.value), .integer(Int64(version))])
    }

    private func jobs(where condition: String, _ parameters: [SQLValue]) throws -> [JobRecord] {
        let rows = try database.query("""
            SELECT id, person, inputs, input_key, state, attempts, next_attempt_at, error, version, created_at, updated_at, rounds
            FROM jobs WHERE \(condition) ORDER BY id
            """, parameters)
        return try rows.map { row in
            let inputs = (row[2].string ?? "").split(separator: ",").map(String.init)
            return JobRecord(id: row[0].int ?? 0, person: try PersonName(row[1].string ?? ""), inputs: inputs,
                             inputKey: row[3].string ?? "", state: JobState(rawValue: row[4].string ?? "") ?? .failed,
                             attempts: Int(row[5].int ?? 0), nextAttemptAt: Date(timeIntervalSince1970: row[6].double ?? 0),
                             error: row[7].string, version: row[8].int.map(Int.init),
                             createdAt: Date(timeIntervalSince1970: row[9].double ?? 0),
                             updatedAt: Date(timeIntervalSince1970: row[10].double ?? 0), rounds: Int(row[11].int ?? 0))
        }
    }
}
