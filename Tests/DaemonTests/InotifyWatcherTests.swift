import Foundation
import XCTest
@testable import Daemon

/// The inotify hub with a person folder that is a symlink to another one: one watch for the
/// folder, its events queued for both paths, and the alias's watch handed over when a path goes.
final class InotifyWatcherTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try Fixture.folder("inotify") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testSymlinkedPersonFolderIsWatchedOnceAndItsEventsReachBothNames() throws {
        let bob = root.appendingPathComponent("bob"), bobby = root.appendingPathComponent("bobby")
        try FileManager.default.createDirectory(at: bob, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bobby, withDestinationURL: bob)
        let watcher = try InotifyWatcher(root: root)
        watcher.watch(bob.path)
        watcher.watch(bobby.path)
        XCTAssertEqual(Set(try events(watcher, count: 2).map(\.directory)), [bob.path, bobby.path], "a first look for each name")

        try Data("x".utf8).write(to: bob.appendingPathComponent("a.jpg"))
        let written = try events(watcher) { $0.contains { $0.name == "a.jpg" && $0.directory == bobby.path } }
        XCTAssertTrue(written.contains { $0.name == "a.jpg" && $0.directory == bob.path }, "\(written)")

        // bob's path goes away (as when its folder is renamed): bobby keeps the folder's watch.
        watcher.unwatch(bob.path)
        usleep(1_500_000) // the reader thread carries out requests between its 1 s waits
        _ = watcher.drain()
        try Data("y".utf8).write(to: bob.appendingPathComponent("b.jpg"))
        let after = try events(watcher) { $0.contains { $0.name == "b.jpg" } }
        XCTAssertTrue(after.contains { $0.name == "b.jpg" && $0.directory == bobby.path }, "\(after)")
        XCTAssertFalse(after.contains { $0.name == "b.jpg" && $0.directory == bob.path }, "\(after)")
    }

    /// Drains until `done` holds for what arrived (or 5 s pass).
    func events(_ watcher: InotifyWatcher, _ done: ([WatchEvent]) -> Bool) throws -> [WatchEvent] {
        var seen: [WatchEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && !done(seen) {
            seen += watcher.drain()
            usleep(20_000)
        }
        return seen
    }

    func events(_ watcher: InotifyWatcher, count: Int) throws -> [WatchEvent] {
        try events(watcher) { $0.count >= count }
    }
}
