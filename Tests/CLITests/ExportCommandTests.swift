import Foundation
import XCTest

/// `likeness export` and `likeness render` end to end through the binary: what they log and the
/// coefficients they refuse.
final class ExportCommandTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try DaemonCLISupport.temporaryFolder("cli-export") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func testOBJExportSaysTheBlendshapesAreNotInItAndGLBSaysWhatItCarries() throws {
        let obj = try LikenessBinary.run(["export", "-o", root.appendingPathComponent("x.obj").path])
        XCTAssertEqual(obj.status, 0, obj.stderr)
        XCTAssertFalse(obj.stderr.contains("52 blendshapes"), obj.stderr)
        XCTAssertTrue(obj.stderr.contains("OBJ has no blendshapes or joints, so the model's 52 expressions are not in it"), obj.stderr)
        let glb = try LikenessBinary.run(["export", "-o", root.appendingPathComponent("x.glb").path])
        XCTAssertEqual(glb.status, 0, glb.stderr)
        XCTAssertTrue(glb.stderr.contains("52 blendshapes as morph targets, a skin of 5 joints (global, neck, jaw, leftEye, rightEye)"),
                      glb.stderr)
    }

    func testOutOfRangeCoefficientsAreRefusedNamingTheOptionAndTheRange() throws {
        let out = root.appendingPathComponent("x.glb").path
        let identity = try LikenessBinary.run(["export", "--identity", "0.5,7", "-o", out])
        XCTAssertNotEqual(identity.status, 0)
        XCTAssertTrue(identity.stderr.contains("--identity: β1 = 7.0 is outside -5.0…5.0 (standard deviations)"), identity.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written")
        let notANumber = try LikenessBinary.run(["export", "--identity", "0.5,nan", "-o", out])
        XCTAssertTrue(notANumber.stderr.contains("--identity: 'nan' is not a number"), notANumber.stderr)
        XCTAssertEqual(try LikenessBinary.run(["export", "--identity", "0.5,-5", "-o", out]).status, 0, "the range's ends are accepted")

        let render = root.appendingPathComponent("render").path
        let weight = try LikenessBinary.run(["render", "--expression", "jawOpen=1.5", "--output", render, "--size", "32"])
        XCTAssertNotEqual(weight.status, 0)
        XCTAssertTrue(weight.stderr.contains("--expression: jawOpen = 1.5 is outside 0.0…1.0 (blendshape weight)"), weight.stderr)
        let negative = try LikenessBinary.run(["render", "--expression", "mouthSmileLeft=-0.2", "--output", render, "--size", "32"])
        XCTAssertTrue(negative.stderr.contains("--expression: mouthSmileLeft = -0.2 is outside 0.0…1.0"), negative.stderr)
        let beta = try LikenessBinary.run(["render", "--identity=-6", "--output", render, "--size", "32"])
        XCTAssertTrue(beta.stderr.contains("--identity: β0 = -6.0 is outside -5.0…5.0"), beta.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: render), "nothing is rendered")
        let fine = try LikenessBinary.run(["render", "--expression", "jawOpen=1", "--identity", "1,-1", "--output", render, "--size", "32"])
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }
}
