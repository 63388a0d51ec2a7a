import Foundation
import Library

/// Brings the ledger and the Library's folders back in agreement after damage from outside (a
/// deleted or altered version folder, a broken `latest`): the daemon at every start (sizes only),
/// `likeness verify --repair` thoroughly (every file hashed).
///
/// A version the ledger lists whose folder is gone or does not match its manifest is taken out
/// of use (`Ledger.markVersionLost`: never reused, its number never given again, shown in
/// status); `latest` falls back to the newest intact version, on disk too; with `requeue`, its
/// photos are queued to be built again (the daemon's reconciler does the same by itself, since
/// no version holds them any more). What cannot be fixed is reported: a damaged folder stays in
/// place for the user to inspect, stray files in a bundle are listed.
public struct LibraryRepair {
    public let layout: LibraryLayout
    public let ledger: Ledger

    public init(layout: LibraryLayout, ledger: Ledger) {
        self.layout = layout
        self.ledger = ledger
    }

    public struct Report: Equatable, Sendable {
        /// What was repaired, one line each.
        public var fixed: [String] = []
        /// What is left for the user, one line each.
        public var left: [String] = []
    }

    public func run(thorough: Bool, requeue: Bool, now: Date) throws -> Report {
        var report = Report()
        let verifier = BundleVerifier(layout: layout)
        let publisher = Publisher(layout: layout)
        for version in try ledger.versions() {
            let name = "\(version.person.value)/\(LibraryLayout.versionName(version.number))"
            let problems = verifier.verify(version.person, version.number, thorough: thorough)
            report.left += problems.filter { !$0.makesTheVersionUnusable }.map { "\(name): \($0.description)" }
            let damage = problems.filter(\.makesTheVersionUnusable)
            guard let first = damage.first else { continue }
            let folder = layout.versionDirectory(version.person, version.number)
            let gone = !FileManager.default.fileExists(atPath: folder.path)
            let reason = gone ? "the folder is gone" : "damaged: \(first.problem) (\(first.path))"
                + (damage.count > 1 ? " and \(damage.count - 1) more problems" : "")
            let photos = try ledger.markVersionLost(version.person, version.number, reason: reason, now: now)
            report.fixed.append("\(name): \(reason); taken out of use")
            if !gone { report.left.append("\(name): the damaged folder \(folder.path) is left in place; remove it when done with it") }
            if requeue && !photos.isEmpty {
                let key = PhotoSet.key(photos)
                if try !ledger.jobs(in: [.queued, .running]).contains(where: { $0.person == version.person && $0.inputKey == key }) {
                    let job = try ledger.enqueueJob(person: version.person, inputs: photos, now: now)
                    report.fixed.append("\(name): job \(job.id) queued to build its \(photos.count) photos again (the watcher runs it)")
                }
            }
        }
        let latest = try ledger.latest()
        for person in Set(layout.persons() + Array(latest.keys)).sorted() {
            let onDisk = layout.latestOnDisk(person)
            if let version = latest[person] {
                guard onDisk != version else { continue }
                try publisher.switchLatest(person, to: version)
                report.fixed.append("\(person.value)/latest: points at \(LibraryLayout.versionName(version)) again")
            } else if onDisk != nil || (try? FileManager.default.destinationOfSymbolicLink(atPath: layout.latestLink(person).path)) != nil {
                try publisher.removeLatest(person)
                report.fixed.append("\(person.value)/latest: removed, no intact version is left")
            }
        }
        return report
    }
}
