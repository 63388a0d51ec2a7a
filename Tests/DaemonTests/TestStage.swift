import Foundation
import XCTest
@testable import Daemon
@testable import Library

/// A test-only stage (daemon mechanics, not face work): a "photo" is a file starting with
/// `PHOTO`; `BOMB` files are rejected as too large, anything else as not an image. It writes the
/// accepted hashes and a derived binary, taking `delay` seconds per photo so jobs can be
/// interrupted, and reports its progress as reconstruction step k of n before photo k;
/// `failures` makes the first attempts fail.
final class TestStage: BundleStage, @unchecked Sendable {
    let name = "test-stage-1"
    let delay: TimeInterval
    private let lock = NSLock()
    private var failuresLeft: Int
    private(set) var builds = 0

    init(delay: TimeInterval = 0, failures: Int = 0) {
        self.delay = delay
        failuresLeft = failures
    }

    func build(_ request: StageRequest) throws -> StageOutput {
        let fail: Bool = lock.withLock {
            builds += 1
            if failuresLeft > 0 { failuresLeft -= 1; return true }
            return false
        }
        if fail { throw JobFailure("test stage failure") }
        var done = 0
        let screened = try screenPhotos(request.photos) { photo -> Data in
            request.reportProgress(JobProgress(.reconstruction, step: done, of: request.photos.count))
            done += 1
            let data = try Data(contentsOf: URL(fileURLWithPath: photo.path))
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            if data.starts(with: Data("BOMB".utf8)) { throw Rejection(.tooLarge, "declares 100000×100000 pixels") }
            guard data.starts(with: Data("PHOTO".utf8)) else { throw Rejection(.notAnImage, "not a test photo") }
            return data
        }
        let accepted = screened.accepted.map(\.0.sha256).sorted()
        if !accepted.isEmpty {
            try Data(accepted.joined(separator: "\n").utf8).write(to: request.buildDirectory.appendingPathComponent("photos.txt"))
            let blob = Data(screened.accepted.flatMap { $0.1.prefix(64) })
            try FileManager.default.createDirectory(at: request.buildDirectory.appendingPathComponent("mesh"), withIntermediateDirectories: true)
            try blob.write(to: request.buildDirectory.appendingPathComponent("mesh/head.bin"))
        }
        return StageOutput(stage: name, accepted: accepted, rejected: screened.rejected,
                           models: [ModelRecord(role: "face-model", id: "test-model", licence: "CC0")],
                           statistics: ["photos": Double(accepted.count)])
    }
}

/// Test fixtures for inbox folders.
enum Fixture {
    static func folder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.resolvingSymlinksInPath()
    }

    static func photo(_ seed: String) -> Data { Data("PHOTO \(seed) \(String(repeating: "x", count: 200))".utf8) }

    /// Writes a file the way a copy does: a hidden partial name, then a rename into place.
    static func copyIn(_ data: Data, to url: URL) throws {
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part")
        try data.write(to: partial)
        try FileManager.default.moveItem(at: partial, to: url)
    }

    /// Bytes and modification time of every file under `root`, to prove the inbox is untouched.
    static func fingerprint(_ root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let path = enumerator?.nextObject() as? String {
            let url = root.appendingPathComponent(path)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            let mtime = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            if (info.st_mode & S_IFMT) == S_IFREG {
                result[path] = SHA256.hex(try Data(contentsOf: url)) + " " + mtime
            } else {
                result[path] = "mode \(info.st_mode & S_IFMT) " + mtime
            }
        }
        return result
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func wait(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }
}

/// A test with a fresh `root` holding `Inbox/<person>/` folders (removed afterwards) and a
/// `Library` beside the inbox, for the daemon's tests.
class InboxTestCase: XCTestCase {
    var root: URL!
    var inbox: URL { root.appendingPathComponent("Inbox") }
    var library: URL { root.appendingPathComponent("Library") }
    var layout: LibraryLayout { LibraryLayout(root: library) }
    /// The person folders made in the inbox before each test.
    var personFolders: [String] { ["alice"] }

    override func setUpWithError() throws {
        root = try Fixture.folder(String(describing: type(of: self)))
        for name in personFolders {
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent(name), withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// The daemon's settings for tests: this inbox and Library, a 0.1 s settle time.
    func quickConfiguration() -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        configuration.inbox = inbox.path
        configuration.library = library.path
        configuration.settleSeconds = 0.1
        configuration.forceAfterSeconds = 1
        return configuration
    }
}
