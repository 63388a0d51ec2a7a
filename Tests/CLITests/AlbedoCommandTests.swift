import Foundation
import XCTest

/// The base network's albedo in use, through the binary: `reconstruct` fills unseen skin about the
/// α it regresses, and `eval albedo` measures that α against the albedo model's mean on held-out
/// skin. Needs ../shared.
final class AlbedoCommandTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try DaemonCLISupport.temporaryFolder("albedo") }
    override func tearDownWithError() throws { if let root { try? FileManager.default.removeItem(at: root) } }

    func testReconstructFillsAboutTheNetworksAlbedo() throws {
        let out = root.appendingPathComponent("out")
        let photo = try DaemonCLISupport.sharedPhoto("data/people/george-w-bush/George_W_Bush_0002.jpg")
        let r = try LikenessBinary.run(["reconstruct", photo.path, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("George_W_Bush_0002/summary.json"))) as! [String: Any]
        let fill = try XCTUnwrap(((summary["summary"] as? [String: Any])?["textureFill"] as? [String: Any])?["fill"] as? String,
                                 "\(summary.keys)")
        XCTAssertEqual(fill, "albedo-model+network-prior")
    }

    /// Four photos: both splits are reported, and a fit on the seen skin predicts the unseen skin
    /// better than the model's mean does.
    func testEvalAlbedoReportsBothSplits() throws {
        let folder = root.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for n in 1...4 {
            let name = String(format: "George_W_Bush_%04d.jpg", n)
            try FileManager.default.copyItem(at: try DaemonCLISupport.sharedPhoto("data/people/george-w-bush/" + name),
                                             to: folder.appendingPathComponent(name))
        }
        let r = try LikenessBinary.run(["eval", "albedo", folder.path])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssertTrue(r.stdout.contains("4 of 4 photos observed"), r.stdout)
        for split in ["checkerboard", "quarter"] {
            let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix(split) }, r.stdout)
            let numbers = line.split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(numbers.count, 4, String(line))
            XCTAssertLessThan(numbers[2], numbers[0], "a fit beats the mean: \(line)")
            XCTAssertLessThan(numbers[3], numbers[0], "a fit about the network's α beats the mean: \(line)")
            XCTAssertTrue(numbers.allSatisfy { $0 > 0 && $0 < 0.5 }, String(line))
        }
    }
}
