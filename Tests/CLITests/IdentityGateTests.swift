import Daemon
import Foundation
import Library
import Logging
import XCTest
@testable import LikenessCLI

/// The identity gate in the production stage and through `likeness build`/`status`: a stranger
/// among a person's photos is rejected as different-person and the bundle is published without
/// them; a folder of strangers publishes nothing and says why. Needs ../shared and the
/// face-recognition model (Scripts/setup).
final class IdentityGateTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: FaceRecognitionModelPath.path) else {
            throw XCTSkip("\(FaceRecognitionModelPath.path) is absent: run Scripts/setup")
        }
        root = try DaemonCLISupport.temporaryFolder("identity")
    }
    override func tearDownWithError() throws { if let root { try? FileManager.default.removeItem(at: root) } }

    static let bush = ["George_W_Bush_0001.jpg", "George_W_Bush_0002.jpg", "George_W_Bush_0003.jpg"]
        .map { "data/people/george-w-bush/" + $0 }
    /// Three afw faces of different people, pairwise 0.82–0.95 apart (two other afw strangers are
    /// 0.566 apart: at dlib's 0.6 about 3 stranger pairs in 100 look alike, see the closing note).
    static let strangers = ["1051618982_1.jpg", "1139324862_1.jpg", "14424972_1.jpg"].map { "data/faces-300w/afw/" + $0 }

    /// Copies shared photos into `Inbox/<person>/` under the given names.
    func inbox(_ person: String, _ photos: [(String, String)]) throws -> URL {
        let folder = root.appendingPathComponent("Inbox/\(person)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (relative, name) in photos {
            try FileManager.default.copyItem(at: try DaemonCLISupport.sharedPhoto(relative), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    func testStrangerIsRejectedAndTheBundlePublishedWithoutThem() throws {
        let photos = Self.bush.enumerated().map { ($1, "bush\($0 + 1).jpg") } + [(Self.strangers[0], "stranger.jpg")]
        let folder = try inbox("george", photos)
        let before = try DaemonCLISupport.fingerprint(folder)
        let library = root.appendingPathComponent("Library")
        let build = try LikenessBinary.run(["build", folder.path, "--library", library.path])
        XCTAssertEqual(build.status, 0, build.stderr + build.stdout)
        XCTAssertEqual(try DaemonCLISupport.fingerprint(folder), before, "the inbox is untouched")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: library.appendingPathComponent("george/latest/manifest.json"))) as! [String: Any]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: manifest), as: UTF8.self)
        XCTAssertTrue(text.contains("different-person"), text)
        XCTAssertTrue(text.contains("dlib_face_recognition_resnet_model_v1.dat"), "the identity model is recorded with its licence")
        let summary = try JSONDecoder().decode(GateSummary.self, from: Data(contentsOf: library.appendingPathComponent("george/latest/summary.json")))
        XCTAssertEqual(summary.fitted.count, 3, "the three photos of the person are fitted")
        let gate = try XCTUnwrap(summary.identityGate)
        XCTAssertEqual(gate.threshold, 0.6, accuracy: 1e-6)
        XCTAssertEqual(gate.groupSize, 3)
        XCTAssertEqual(gate.rejected.count, 1)
        let strangerDistance = try XCTUnwrap(gate.distances[gate.rejected[0]])
        XCTAssertGreaterThan(strangerDistance, 0.6)
        for (name, d) in gate.distances where name != gate.rejected[0] { XCTAssertLessThan(d, 0.6, name) }

        let status = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertTrue(status.stdout.contains("rejected stranger.jpg: different-person"), status.stdout)
        XCTAssertTrue(status.stdout.contains("threshold 0.60"), status.stdout)
        XCTAssertFalse(status.stdout.contains("rejected bush"), status.stdout)
    }

    func testFolderOfStrangersPublishesNothingAndSaysWhy() throws {
        let folder = try inbox("crowd", Self.strangers.enumerated().map { ($1, "face\($0 + 1).jpg") })
        let library = root.appendingPathComponent("Library")
        let build = try LikenessBinary.run(["build", folder.path, "--library", library.path])
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.appendingPathComponent("crowd/latest").path), build.stdout)
        let status = try LikenessBinary.run(["status", "--library", library.path])
        for name in ["face1.jpg", "face2.jpg", "face3.jpg"] {
            XCTAssertTrue(status.stdout.contains("rejected \(name): different-person"), status.stdout)
        }
        XCTAssertTrue(status.stdout.contains("no two photos in the folder show the same person"), status.stdout)
    }

    /// A threshold from the configuration reaches the job: with 0.05 not even the person's own
    /// photos agree, so nothing is published.
    func testThresholdFromTheCommandLineReachesTheGate() throws {
        let folder = try inbox("george", Self.bush.prefix(2).enumerated().map { ($1, "bush\($0 + 1).jpg") })
        let library = root.appendingPathComponent("Library")
        _ = try LikenessBinary.run(["build", folder.path, "--library", library.path, "--identity-threshold", "0.05"])
        let status = try LikenessBinary.run(["status", "--library", library.path])
        XCTAssertTrue(status.stdout.contains("different-person"), status.stdout)
        XCTAssertTrue(status.stdout.contains("threshold 0.05"), status.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.appendingPathComponent("george/latest").path))
    }

    struct GateSummary: Decodable {
        struct Gate: Decodable { var threshold: Float; var groupSize: Int; var distances: [String: Float]; var rejected: [String] }
        var fitted: [String]
        var identityGate: Gate?
    }
}

/// Where the model is (the CLI tests do not import FaceRecognition's types).
enum FaceRecognitionModelPath {
    static var path: String {
        ProcessInfo.processInfo.environment["LIKENESS_FACE_RECOGNITION_MODEL"] ?? "/usr/local/share/likeness/dlib_face_recognition_resnet_model_v1.dat"
    }
}
