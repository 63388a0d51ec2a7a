import Foundation
import XCTest
@testable import Library

/// SHA-256 against the FIPS 180-2 / NIST example vectors.
final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    func testOneMillionA() {
        XCTAssertEqual(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Padding boundaries: lengths around 55/56/64 bytes hashed whole and in random pieces agree.
    func testChunkedUpdatesMatchOneShot() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let data = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            var pieces = SHA256()
            var offset = 0
            while offset < length {
                let take = Int.random(in: 1...max(1, length - offset), using: &generator)
                if Bool.random() {
                    pieces.update(data[offset..<offset + take])
                } else {
                    data[offset..<offset + take].withUnsafeBytes { pieces.update($0) }
                }
                offset += take
            }
            XCTAssertEqual(SHA256.hexString(pieces.finalize()), SHA256.hex(data), "length \(length)")
        }
    }

    func testFileHashMatchesDataHash() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let data = Data((0..<2_500_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) })
        try data.write(to: url)
        XCTAssertEqual(try SHA256.hex(fileAt: url), SHA256.hex(data))
        XCTAssertThrowsError(try SHA256.hex(fileAt: url.appendingPathExtension("missing"))) { error in
            guard case ChecksumError.io(operation: "open", _, ENOENT) = error else { return XCTFail("\(error)") }
        }
    }
}
