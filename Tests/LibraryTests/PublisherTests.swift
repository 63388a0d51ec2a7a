import Foundation
import XCTest
@testable import Library

final class PublisherTests: XCTestCase {
    var root: URL!
    var layout: LibraryLayout!
    var publisher: Publisher!
    let alice = try! PersonName("alice")

    override func setUpWithError() throws {
        root = try makeTemporaryFolder("library")
        layout = LibraryLayout(root: root)
        publisher = Publisher(layout: layout)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func stage(_ files: [String: String], job: Int64 = 1) throws -> URL {
        let staging = try publisher.makeStagingDirectory(for: alice, jobID: job)
        for (path, text) in files {
            let url = staging.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return staging
    }

    func testPublishWritesManifestAndNeverOverwrites() throws {
        let staging = try stage(["head.glb": "glb", "maps/albedo.png": "png"])
        XCTAssertTrue(staging.lastPathComponent.hasPrefix(".tmp-"))
        let manifest = try publisher.publish(staging: staging, draft: draft(alice, job: 1, accepted: [hash("A")]))
        try publisher.switchLatest(alice, to: manifest.version)
        XCTAssertEqual(manifest.version, 1)
        XCTAssertEqual(manifest.files.map(\.path), ["head.glb", "maps/albedo.png"])
        XCTAssertEqual(manifest.files.first?.sha256, SHA256.hex("glb"))
        XCTAssertEqual(manifest.models.first?.licence, "MIT")
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path))
        let folder = layout.versionDirectory(alice, 1)
        XCTAssertEqual(folder.lastPathComponent, "v0001")
        let onDisk = try BundleManifest.decode(try Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        XCTAssertEqual(onDisk, manifest)
        XCTAssertEqual(layout.latestOnDisk(alice), 1)

        // A second publication takes the next number; an existing folder is never replaced.
        let second = try publisher.publish(staging: try stage(["head.glb": "glb2"], job: 2),
                                           draft: draft(alice, job: 2, accepted: [hash("A"), hash("B")]))
        XCTAssertEqual(second.version, 2)
        try FileManager.default.createDirectory(at: layout.versionDirectory(alice, 3), withIntermediateDirectories: true)
        let third = try stage(["x": "y"], job: 3)
        XCTAssertThrowsError(try Durable.renameNoReplace(third, to: layout.versionDirectory(alice, 3))) { error in
            XCTAssertEqual(error as? FileSystemError, .alreadyExists(path: layout.versionDirectory(alice, 3).path))
        }
        XCTAssertEqual(try publisher.publish(staging: third, draft: draft(alice, job: 3, accepted: [hash("C")])).version, 4)
        XCTAssertEqual(try String(contentsOf: layout.versionDirectory(alice, 1).appendingPathComponent("head.glb")), "glb")
    }

    func testVerifierCatchesTamperingAndTornBundles() throws {
        let manifest = try publisher.publish(staging: try stage(["head.glb": "glb", "a.txt": "a"]),
                                             draft: draft(alice, job: 1, accepted: [hash("A")]))
        try publisher.switchLatest(alice, to: manifest.version)
        let verifier = BundleVerifier(layout: layout)
        XCTAssertEqual(verifier.verifyAll().versions, 1)
        XCTAssertEqual(verifier.verifyAll().problems, [])
        let folder = layout.versionDirectory(alice, 1)
        try Data("GLB".utf8).write(to: folder.appendingPathComponent("head.glb"))  // same size, other bytes
        try Data("extra".utf8).write(to: folder.appendingPathComponent("extra.bin"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("a.txt"))
        let problems = verifier.verifyAll().problems.map(\.problem).sorted()
        XCTAssertEqual(problems, ["listed in the manifest but missing", "not listed in the manifest", "sha256 differs from the manifest"])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("manifest.json"))
        XCTAssertEqual(verifier.verify(alice, 1).map(\.problem), ["no manifest.json"])
    }

    func testStagingLeftoversAreRemoved() throws {
        let staging = try stage(["half.glb": "half"])
        try Data("r".utf8).write(to: URL(fileURLWithPath: staging.path + ".report.json"))
        let removed = try publisher.removeStagingLeftovers().removed
        XCTAssertEqual(removed.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path))
        XCTAssertThrowsError(try Durable.removeTree(URL(fileURLWithPath: "/tmp"), inside: root))
    }

    func testLatestSwitchIsAtomicSymlink() throws {
        for job in Int64(1)...2 {
            let manifest = try publisher.publish(staging: try stage(["f": "\(job)"], job: job),
                                                 draft: draft(alice, job: job, accepted: [hash("\(job)")]))
            try publisher.switchLatest(alice, to: manifest.version)
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: layout.latestLink(alice).path), "v0002")
        try publisher.switchLatest(alice, to: 1)
        XCTAssertEqual(layout.latestOnDisk(alice), 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: layout.personDirectory(alice).path).sorted()
        XCTAssertEqual(names, ["latest", "v0001", "v0002"])
    }
}
