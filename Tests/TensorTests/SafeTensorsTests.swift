import XCTest
@testable import Tensor

final class SafeTensorsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors")

    /// reference.safetensors was written by Python's `safetensors` (Scripts/make_safetensors_fixture.py).
    func testReadsFileWrittenByReferenceImplementation() throws {
        let file = try SafeTensorsFile.read(contentsOf: Self.fixtures.appendingPathComponent("reference.safetensors"))
        XCTAssertEqual(file.names, ["empty", "half", "ints32", "ints64", "scalar", "weights"])
        XCTAssertEqual(file.metadata, ["format": "np", "note": "Likeness fixture — ünïcode \"quoted\""])

        let weights = try XCTUnwrap(file["weights"])
        XCTAssertEqual(weights.dtype, .f32)
        XCTAssertEqual(weights.shape, [2, 3])
        let w = try weights.floats()
        XCTAssertEqual(Array(w[0..<4]), [1.5, -2.25, 3.0e-8, 65504.0])
        XCTAssertEqual(w[4], 0)
        XCTAssertEqual(w[4].sign, .minus, "negative zero survives")
        XCTAssertEqual(w[5], .infinity)

        let half = try XCTUnwrap(file["half"])
        XCTAssertEqual(half.dtype, .f16)
        XCTAssertEqual(try half.floats(), [1.0, -0.5, 6.103515625e-05, 65504.0])

        XCTAssertEqual(file["ints32"]?.shape, [2, 2])
        XCTAssertEqual(try file["ints32"]?.integers(), [-2147483648, -1, 0, 2147483647])
        XCTAssertEqual(try file["ints64"]?.integers(), [Int64.min, 0, Int64.max])
        XCTAssertEqual(file["empty"]?.shape, [0, 3])
        XCTAssertEqual(try file["empty"]?.floats(), [])
        XCTAssertEqual(file["scalar"]?.shape, [])
        XCTAssertEqual(try file["scalar"]?.floats(), [42])

        let bf16 = try SafeTensorsFile.read(contentsOf: Self.fixtures.appendingPathComponent("bf16.safetensors"))
        XCTAssertNil(bf16.metadata)
        XCTAssertEqual(bf16["brain"]?.dtype, .bf16)
        XCTAssertEqual(try bf16["brain"]?.floats(), [1.0, -2.0, 3.140625])
    }

    func testReferenceFileRoundTripsThroughOurWriter() throws {
        let original = try SafeTensorsFile.read(contentsOf: Self.fixtures.appendingPathComponent("reference.safetensors"))
        let bytes = original.serialize()
        XCTAssertEqual(try SafeTensorsFile.parse(bytes), original)
        // Header padded to 8 bytes so the buffer is aligned.
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        XCTAssertEqual(n % 8, 0)
    }

    func testRoundTripAllDTypes() throws {
        let values: [Float] = [0, 1, -1, 0.333, 1e-5, 3.0e38, -7.5, .infinity]
        var file = try SafeTensorsFile(metadata: ["step": "12", "tab\tand\"quote\"": "ü\n"])
        try file.set(SafeTensor(shape: [2, 4], floats: values), named: "a.f32")
        try file.set(SafeTensor(shape: [8], floats: values, dtype: .f16), named: "b.f16")
        try file.set(SafeTensor(shape: [8, 1], floats: values, dtype: .bf16), named: "c.bf16")
        try file.set(SafeTensor(shape: [3], integers: [-5, 0, 1 << 40], dtype: .i64), named: "d.i64")
        try file.set(SafeTensor(shape: [1, 3], integers: [-5, 0, 1 << 30], dtype: .i32), named: "e.i32")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        if let export = ProcessInfo.processInfo.environment["LIKENESS_EXPORT_SAFETENSORS"] {
            // For the cross-check with Python: `python3 Scripts/make_safetensors_fixture.py --check <file>`.
            try file.write(to: URL(fileURLWithPath: export))
        }
        let back = try SafeTensorsFile.read(contentsOf: url)
        XCTAssertEqual(back, file)
        XCTAssertEqual(try back["a.f32"]?.floats(), values)
        // F16: 0.333 → 0.33300781 (nearest half), 1e-5 is subnormal in half, 3e38 overflows to inf.
        XCTAssertEqual(try back["b.f16"]?.floats(), [0, 1, -1, 0.33300781, 1.001358e-05, .infinity, -7.5, .infinity])
        // BF16 keeps 8 bits of mantissa, rounding to nearest even.
        let bf = try XCTUnwrap(back["c.bf16"]).floats()
        for (x, y) in zip(values, bf) where x.isFinite {
            XCTAssertEqual(y, x, accuracy: abs(x) / 256, "bf16 of \(x)")
        }
        XCTAssertEqual(try back["d.i64"]?.integers(), [-5, 0, 1 << 40])
        XCTAssertEqual(try back["e.i32"]?.integers(), [-5, 0, 1 << 30])
        XCTAssertThrowsError(try SafeTensor(shape: [1], integers: [1 << 40], dtype: .i32))
        XCTAssertThrowsError(try back["d.i64"]!.floats()) { XCTAssertEqual($0 as? SafeTensorsError, .dtypeMismatch(expected: "float", actual: .i64)) }
        XCTAssertThrowsError(try file.set(SafeTensor(shape: [1], floats: [1]), named: "__metadata__")) {
            XCTAssertEqual($0 as? SafeTensorsError, .reservedName)
        }
    }

    // MARK: malformed files

    /// A file with `header` (JSON text) and `buffer` bytes.
    static func file(_ header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let h = Array(header.utf8)
        var out = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        out.append(contentsOf: buffer)
        return out
    }

    static func entry(_ name: String, _ shape: [Int], _ b: Int, _ e: Int, dtype: String = "F32") -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(b),\(e)]}"
    }

    func testMalformedFilesGiveSpecificErrors() {
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [(String, Data, SafeTensorsError)] = [
            ("empty file", Data(), .fileTooShort(byteCount: 0)),
            ("5 bytes", Data([1, 2, 3, 4, 5]), .fileTooShort(byteCount: 5)),
            ("header length beyond the file", Self.file("{}", declaredLength: 50), .headerOutOfBounds(declared: 50, available: 2)),
            ("header length absurd", Self.file("{}", declaredLength: 1 << 40), .headerTooLarge(declared: 1 << 40)),
            ("header not UTF-8", Data([3, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0x7D]), .headerNotUTF8),
            ("header not JSON", Self.file("{\"a\":"), .invalidJSON("unexpected end at byte 5")),
            ("trailing garbage after JSON", Self.file("{} x"), .invalidJSON("unexpected data after the JSON value at byte 3")),
            ("header is an array", Self.file("[]"), .headerNotAnObject),
            ("duplicate tensor name", Self.file("{\(Self.entry("a", [1], 0, 4)),\(Self.entry("a", [1], 4, 8))}", buffer: eight),
             .duplicateKey("a")),
            ("unsupported dtype", Self.file("{\(Self.entry("a", [1], 0, 8, dtype: "F64"))}", buffer: eight),
             .unsupportedDType(name: "a", dtype: "F64")),
            ("missing dtype", Self.file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", buffer: [0, 0, 0, 0]),
             .invalidTensorEntry(name: "a", reason: "missing or non-string \"dtype\"")),
            ("negative dimension", Self.file("{\(Self.entry("a", [-1], 0, 4))}", buffer: [0, 0, 0, 0]),
             .invalidTensorEntry(name: "a", reason: "\"shape\" must be an array of non-negative integers")),
            ("three offsets", Self.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", buffer: [0, 0, 0, 0]),
             .invalidTensorEntry(name: "a", reason: "\"data_offsets\" must be [begin, end] with non-negative integers")),
            ("offsets reversed", Self.file("{\(Self.entry("a", [0], 4, 0))}", buffer: [0, 0, 0, 0]),
             .invalidTensorEntry(name: "a", reason: "data_offsets begin 4 is after end 0")),
            ("shape × dtype ≠ span", Self.file("{\(Self.entry("a", [3], 0, 8))}", buffer: eight),
             .sizeMismatch(name: "a", expectedBytes: 12, actualBytes: 8)),
            ("offsets past the buffer", Self.file("{\(Self.entry("a", [2], 0, 8))}", buffer: [0, 0, 0, 0]),
             .offsetsOutOfBounds(name: "a", end: 8, bufferSize: 4)),
            ("overlapping tensors", Self.file("{\(Self.entry("a", [2], 0, 8)),\(Self.entry("b", [1], 4, 8))}", buffer: eight),
             .overlappingTensors("a", "b")),
            ("gap between tensors", Self.file("{\(Self.entry("a", [1], 0, 4)),\(Self.entry("b", [1], 8, 12))}", buffer: eight + [0, 0, 0, 0]),
             .uncoveredBytes(offset: 4, count: 4)),
            ("trailing bytes", Self.file("{\(Self.entry("a", [1], 0, 4))}", buffer: eight), .uncoveredBytes(offset: 4, count: 4)),
            ("metadata not strings", Self.file("{\"__metadata__\":{\"a\":1}}"), .invalidMetadata("value of \"a\" is not a string")),
            ("deep nesting", Self.file(String(repeating: "[", count: 5000)), .invalidJSON("nesting deeper than 16 at byte 16")),
        ]
        for (name, data, expected) in cases {
            XCTAssertThrowsError(try SafeTensorsFile.parse(data), name) { error in
                XCTAssertEqual(error as? SafeTensorsError, expected, name)
                XCTAssertFalse((error as? SafeTensorsError)?.description.isEmpty ?? true)
            }
        }
    }

    func testMissingFileIsATypedError() {
        let url = URL(fileURLWithPath: "/nonexistent/likeness.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile.read(contentsOf: url)) {
            XCTAssertEqual($0 as? SafeTensorsError, .io(path: url.path, reason: "no such file"))
        }
    }
}
