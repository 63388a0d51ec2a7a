import Foundation
import XCTest
@testable import FaceModel

/// The synthetic FLAME-layout fixture (Fixtures/make_flame_fixture.py: chumpy/scipy-style pickle →
/// Scripts/flame_to_npz.py → deflated .npz) against a numpy port of FLAME's lbs.
final class FlameImportTests: XCTestCase {
    struct Golden: Decodable {
        struct Case: Decodable {
            var identity: [Float], expression: [Float], pose: [Float], vertices: [Float]
            var static_landmarks: [Float], dynamic_row: Int, contour_landmarks: [Float]
        }
        var cases: [Case]
        var vertex_count: Int, triangle_count: Int, uv_count: Int
    }

    func load() throws -> (MorphableModel, Golden) {
        let model = try FlameImporter.load(TestData.fixture("flame_tiny.npz"))
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: TestData.fixture("flame_tiny_golden.json")))
        return (model, golden)
    }

    func testImportMatchesFixtureLayout() throws {
        let (model, golden) = try load()
        XCTAssertEqual(model.vertexCount, golden.vertex_count)
        XCTAssertEqual(model.triangleCount, golden.triangle_count)
        XCTAssertEqual(model.uvs.count / 2, golden.uv_count)
        XCTAssertEqual(model.uvTriangles.count, model.triangles.count)
        XCTAssertEqual(model.identityCount, 3)
        XCTAssertEqual(model.expressionCount, 2)
        XCTAssertEqual(model.joints.map(\.parent), [-1, 0, 1, 1, 1])
        XCTAssertEqual(model.joints.map(\.name), FlameImporter.jointNames)
        XCTAssertEqual(model.landmarks.count, 68)
        XCTAssertEqual(model.dynamicContour?.yawDegrees.count, 79)
        XCTAssertEqual(model.dynamicContour?.yawDegrees[40], -1)
        XCTAssertEqual(model.vertexRegions[2], .nose)
        XCTAssertEqual(model.vertexRegions[8], .ears)
        XCTAssertEqual(model.vertexRegions[13], .lips)
        XCTAssertEqual(model.info.contentHash.count, 64)
    }

    func testForwardMatchesNumpyFlameLBS() throws {
        let (model, golden) = try load()
        let evaluator = try FaceEvaluator(model: model)
        for c in golden.cases {
            let out = try evaluator.evaluate(FaceCode(identity: c.identity, expression: c.expression, pose: c.pose))
            for (a, b) in zip(out.vertices, c.vertices) { XCTAssertEqual(a, b, accuracy: 2e-6) }
            for k in 17..<68 {
                for d in 0..<3 { XCTAssertEqual(out.landmarks[k][d], c.static_landmarks[3 * (k - 17) + d], accuracy: 2e-6) }
            }
            let (marched, row) = evaluator.marchedLandmarks(out)
            XCTAssertEqual(row, c.dynamic_row)
            for k in 0..<17 {
                for d in 0..<3 { XCTAssertEqual(marched[k][d], c.contour_landmarks[3 * k + d], accuracy: 2e-6) }
            }
        }
        XCTAssertNotEqual(golden.cases[1].dynamic_row, 0, "the second case must exercise a non-zero yaw row")
    }

    func testMissingKeyAndGarbageAreTypedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-flame-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let partial = dir.appendingPathComponent("partial.npz")
        try NpzFile.data([("v_template", NumpyArray(shape: [2, 3], floats: [0, 0, 0, 1, 1, 1]))]).write(to: partial)
        XCTAssertThrowsError(try FlameImporter.load(partial)) { error in
            XCTAssertEqual(error as? FaceModelError, .missingEntry(path: partial.path, entry: "array 'f'"))
        }
        let garbage = dir.appendingPathComponent("garbage.npz")
        try Data("not a zip at all, definitely".utf8).write(to: garbage)
        XCTAssertThrowsError(try FlameImporter.load(garbage)) { error in
            guard case FaceModelError.unreadableFile = error else { return XCTFail("\(error)") }
        }
    }
}

final class NpzTests: XCTestCase {
    func testStoredRoundTripAndDeflatedRead() throws {
        let a = NumpyArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6.5])
        let b = NumpyArray(shape: [4], integers: [7, -8, 1 << 40, 0])
        let npz = try NpzFile(data: NpzFile.data([("a", a), ("b", b)]))
        XCTAssertEqual(Set(npz.keys), ["a", "b"])
        XCTAssertEqual(try npz.array("a").floats, a.floats)
        XCTAssertEqual(try npz.array("a").shape, [2, 3])
        XCTAssertEqual(try npz.array("b").integers, [7, -8, 1 << 40, 0])
        // The fixture was written by np.savez_compressed: deflated entries, float32 and int64.
        let fixture = try NpzFile(contentsOf: TestData.fixture("flame_tiny.npz"))
        XCTAssertEqual(try fixture.array("kintree_table").integers, [-1, 0, 1, 1, 1, 0, 1, 2, 3, 4])
        XCTAssertEqual(try fixture.array("shape_count").integers, [3])
    }

    func testHostileHeadersAreTypedErrors() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 0, 0])
        XCTAssertThrowsError(try NumpyArray(npy: data, name: "huge")) { error in
            guard case FaceModelError.unreadableFile = error else { return XCTFail("\(error)") }
        }
        // A ZIP whose entry claims 4 GB inflated from a few bytes.
        var zip = ZipWriter()
        zip.add("a.npy", Data([1, 2, 3]))
        var bytes = [UInt8](zip.data)
        let central = bytes.count - 22 - 46 - 5
        bytes[central + 10] = 8  // method: deflate
        for k in 0..<4 { bytes[central + 24 + k] = 0xFE }  // uncompressed size ≈ 4 GB
        XCTAssertThrowsError(try ZipArchive(data: Data(bytes)).read("a.npy")) { error in
            guard case FaceModelError.unreadableFile = error else { return XCTFail("\(error)") }
        }
    }

    /// Truncated and bit-flipped copies of the fixture never crash the reader: each loads or throws.
    func testDamagedFilesFailCleanly() throws {
        let original = [UInt8](try Data(contentsOf: TestData.fixture("flame_tiny.npz")))
        var rng = SplitMix64(seed: 11)
        var failures = 0
        for trial in 0..<120 {
            var bytes = original
            if trial < 40 {
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            } else {
                for _ in 0..<(1 + trial % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8)) }
            }
            do {
                let npz = try NpzFile(data: Data(bytes))
                for key in npz.keys { _ = try npz.array(key) }
            } catch is FaceModelError {
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 60, "damage must be detected (CRC, sizes, headers)")
        // Damaged OBJ text: truncated lines and junk indices.
        for text in ["v 1 2\nf 1 2 3\n", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999999999999\n", "vt 0.5\n", "f 1/-7 2 3\n"] {
            XCTAssertThrowsError(try ObjMesh(data: Data(text.utf8), path: "bad.obj"))
        }
    }

    func testFortranOrderIsReordered() throws {
        // 2×3 array [[1,2,3],[4,5,6]] stored column-major.
        var header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8))
        for v: Float in [1, 4, 2, 5, 3, 6] { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        XCTAssertEqual(try NumpyArray(npy: data, name: "f").floats, [1, 2, 3, 4, 5, 6])
    }
}
