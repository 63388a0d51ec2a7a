import Foundation

/// Errors reading a dlib-serialised model.
public enum DlibModelError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case truncated(offset: Int)
    case malformed(offset: Int, what: String)
    case unsupportedVersion(Int)
    case unsupportedLayout(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the dlib model at \(path): \(reason)"
        case let .truncated(offset): return "the dlib model ends early (at byte \(offset))"
        case let .malformed(offset, what): return "the dlib model is malformed at byte \(offset): \(what)"
        case let .unsupportedVersion(v): return "unsupported dlib shape_predictor version \(v) (expected 1)"
        case let .unsupportedLayout(why): return "unsupported dlib model layout: \(why)"
        }
    }
}

/// A cursor over bytes in dlib's binary serialisation format (`dlib/serialize.h`), read through an
/// unsafe pointer because a 68-point model holds ~16 million floats.
///
/// Format (as understood from dlib's documentation and headers):
/// - integer: one control byte `c`; `c & 0x0F` = number of little-endian magnitude bytes that
///   follow, `c & 0x80` = negative (signed types only).
/// - float/double: two integers, an int64 mantissa `m` and an int16 exponent `e`; the value is
///   `m · 2^e` (`e` ≥ 32000 encodes ±inf/NaN, which a landmark model never holds).
/// - `std::vector<T>`: an unsigned length, then the elements.
/// - `matrix<T>`: rows and columns as signed integers (negated in the current format), then the
///   elements row-major.
struct DlibReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    private(set) var offset = 0

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    var isAtEnd: Bool { offset == count }

    /// Reads a magnitude with its sign flag. Returns (magnitude, negative).
    @inline(__always)
    private mutating func readMagnitude() throws -> (UInt64, Bool) {
        guard offset < count else { throw DlibModelError.truncated(offset: offset) }
        let control = base[offset]
        let size = Int(control & 0x0F)
        guard control & 0x70 == 0, size <= 8 else {
            throw DlibModelError.malformed(offset: offset, what: "bad integer control byte \(control)")
        }
        guard offset + 1 + size <= count else { throw DlibModelError.truncated(offset: offset) }
        var value: UInt64 = 0
        var i = size
        while i > 0 {
            value = (value << 8) | UInt64(base[offset + i])
            i -= 1
        }
        offset += 1 + size
        return (value, control & 0x80 != 0)
    }

    @inline(__always)
    mutating func readUnsigned() throws -> Int {
        let start = offset
        let (value, negative) = try readMagnitude()
        guard !negative, value <= UInt64(Int.max) else {
            throw DlibModelError.malformed(offset: start, what: "expected an unsigned integer")
        }
        return Int(value)
    }

    @inline(__always)
    mutating func readSigned() throws -> Int {
        let start = offset
        let (value, negative) = try readMagnitude()
        guard value <= UInt64(Int.max) else {
            throw DlibModelError.malformed(offset: start, what: "integer out of range")
        }
        return negative ? -Int(value) : Int(value)
    }

    /// `2^e` for the exponents a float model uses, so decoding is a multiply.
    private static let powersOfTwo: [Float] = (0..<301).map { Float(sign: .plus, exponent: $0 - 200, significand: 1) }

    @inline(__always)
    mutating func readFloat() throws -> Float {
        let start = offset
        let mantissa = try readSigned()
        let exponent = try readSigned()
        guard exponent < 32000 else { throw DlibModelError.malformed(offset: start, what: "non-finite float") }
        let m = Float(mantissa)
        if exponent >= -200 && exponent <= 100 {
            return m * DlibReader.powersOfTwo[exponent + 200]
        }
        return Float(sign: .plus, exponent: exponent, significand: m)
    }

    /// A column vector `matrix<float,0,1>` (or any matrix, flattened row-major).
    mutating func readFloatMatrix(into out: inout [Float]) throws -> Int {
        let rows = abs(try readSigned()), cols = abs(try readSigned())
        let n = rows * cols
        guard n >= 0, n <= (count - offset) / 2 else {
            throw DlibModelError.malformed(offset: offset, what: "matrix of \(rows)×\(cols) larger than the file")
        }
        for _ in 0..<n { out.append(try readFloat()) }
        return n
    }

    /// The length of a `std::vector`, checked against the bytes left (each element takes ≥ 1 byte).
    mutating func readLength() throws -> Int {
        let start = offset
        let n = try readUnsigned()
        guard n <= count - offset else {
            throw DlibModelError.malformed(offset: start, what: "vector length \(n) larger than the file")
        }
        return n
    }
}
