import Foundation
import XCTest
@testable import FaceDetect

/// dlib's integer and float encodings on hand-made bytes.
final class DlibSerializationTests: XCTestCase {
    private func read<T>(_ bytes: [UInt8], _ body: (inout DlibReader) throws -> T) rethrows -> T {
        try bytes.withUnsafeBufferPointer { buf in
            var r = DlibReader(base: buf.baseAddress!, count: buf.count)
            return try body(&r)
        }
    }

    func testIntegers() throws {
        XCTAssertEqual(try read([0x01, 0x01]) { try $0.readSigned() }, 1)
        XCTAssertEqual(try read([0x81, 0x88]) { try $0.readSigned() }, -136)
        XCTAssertEqual(try read([0x02, 0x34, 0x12]) { try $0.readUnsigned() }, 0x1234)
        XCTAssertEqual(try read([0x00]) { try $0.readUnsigned() }, 0)
        XCTAssertThrowsError(try read([0x81, 0x01]) { try $0.readUnsigned() })   // negative unsigned
        XCTAssertThrowsError(try read([0x03, 0x01]) { try $0.readUnsigned() }) { error in
            XCTAssertEqual(error as? DlibModelError, .truncated(offset: 0))
        }
        XCTAssertThrowsError(try read([0x31]) { try $0.readSigned() })            // reserved bits set
    }

    /// A float is mantissa · 2^exponent: the first value of the 68-point model's mean shape,
    /// `03 4d 38 f1 81 1d`, is 0xf1384d · 2⁻²⁹.
    func testFloats() throws {
        XCTAssertEqual(try read([0x03, 0x4d, 0x38, 0xf1, 0x81, 0x1d]) { try $0.readFloat() }, Float(0xf1384d) / Float(1 << 29))
        XCTAssertEqual(try read([0x81, 0x03, 0x01, 0x02]) { try $0.readFloat() }, -12)
        XCTAssertEqual(try read([0x00, 0x00]) { try $0.readFloat() }, 0)
        XCTAssertThrowsError(try read([0x01, 0x01, 0x02, 0x00, 0x7d]) { try $0.readFloat() })   // exponent 32000: inf
    }

    func testMatrixAndTrailingCheck() throws {
        var values: [Float] = []
        let n = try read([0x81, 0x02, 0x81, 0x01, 0x01, 0x03, 0x00, 0x81, 0x05, 0x81, 0x01]) { r -> Int in
            let n = try r.readFloatMatrix(into: &values)
            XCTAssertTrue(r.isAtEnd)
            return n
        }
        XCTAssertEqual(n, 2)
        XCTAssertEqual(values, [3, -5 / 2])
    }
}
