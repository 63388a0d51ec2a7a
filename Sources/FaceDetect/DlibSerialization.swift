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

/// Reading a model file in dlib's serialisation: memory-mapped, parsed in one pass.
public enum DlibModelFile {
    /// The file's bytes, memory-mapped (a model holds tens of megabytes of floats).
    public static func data(contentsOf url: URL) throws -> Data {
        do { return try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DlibModelError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Runs `parse` with a reader at the start of `data`.
    public static func parse<T>(_ data: Data, _ parse: (inout DlibReader) throws -> T) throws -> T {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { throw DlibModelError.truncated(offset: 0) }
            var reader = DlibReader(base: base, count: raw.count)
            return try parse(&reader)
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
///
/// The DNN models (`dlib/dnn`) add: a `std::string` (an unsigned length, then the bytes), a bool
/// (the ASCII byte `'1'` or `'0'`) and a `tensor` (version 2, then num_samples, k, nr, nc as
/// integers, then the values as raw little-endian IEEE float32).
public struct DlibReader {
    let base: UnsafePointer<UInt8>
    public let count: Int
    public private(set) var offset = 0

    public init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    public var isAtEnd: Bool { offset == count }

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
    public mutating func readUnsigned() throws -> Int {
        let start = offset
        let (value, negative) = try readMagnitude()
        guard !negative, value <= UInt64(Int.max) else {
            throw DlibModelError.malformed(offset: start, what: "expected an unsigned integer")
        }
        return Int(value)
    }

    @inline(__always)
    public mutating func readSigned() throws -> Int {
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
    public mutating func readFloat() throws -> Float {
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
    public mutating func readFloatMatrix(into out: inout [Float]) throws -> Int {
        let rows = abs(try readSigned()), cols = abs(try readSigned())
        let n = rows * cols
        guard n >= 0, n <= (count - offset) / 2 else {
            throw DlibModelError.malformed(offset: offset, what: "matrix of \(rows)×\(cols) larger than the file")
        }
        for _ in 0..<n { out.append(try readFloat()) }
        return n
    }

    /// The length of a `std::vector`, checked against the bytes left (each element takes ≥ 1 byte).
    public mutating func readLength() throws -> Int {
        let start = offset
        let n = try readUnsigned()
        guard n <= count - offset else {
            throw DlibModelError.malformed(offset: start, what: "vector length \(n) larger than the file")
        }
        return n
    }

    /// A `std::string`.
    public mutating func readString() throws -> String {
        let n = try readLength()
        let text = String(decoding: UnsafeBufferPointer(start: base + offset, count: n), as: UTF8.self)
        offset += n
        return text
    }

    /// A bool, serialised as the character '1' or '0'.
    public mutating func readBool() throws -> Bool {
        guard offset < count else { throw DlibModelError.truncated(offset: offset) }
        let c = base[offset]
        guard c == UInt8(ascii: "0") || c == UInt8(ascii: "1") else {
            throw DlibModelError.malformed(offset: offset, what: "bad bool byte \(c)")
        }
        offset += 1
        return c == UInt8(ascii: "1")
    }

    /// A DNN `tensor`: its shape `[num_samples, k, nr, nc]` and its values (row-major).
    public mutating func readTensor() throws -> (shape: [Int], values: [Float]) {
        let start = offset
        let version = try readSigned()
        guard version == 2 else { throw DlibModelError.malformed(offset: start, what: "tensor version \(version)") }
        let shape = try (0..<4).map { _ in try readSigned() }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw DlibModelError.malformed(offset: start, what: "tensor shape \(shape)") }
        let n = shape.reduce(1, *)
        guard n <= (count - offset) / 4 else { throw DlibModelError.truncated(offset: offset) }
        var values = [Float](repeating: 0, count: n)
        values.withUnsafeMutableBytes { out in
            out.copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: 4 * n))
        }
        #if _endian(big)
        values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #endif
        offset += 4 * n
        return (shape, values)
    }
}
