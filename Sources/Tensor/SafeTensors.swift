import Foundation

// The safetensors file format (Hugging Face), file level only; checkpoints build on top of it.
//
// Layout: `N` (8 bytes, little-endian u64) · `N` bytes of UTF-8 JSON header · the byte buffer.
// The header maps each tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}`
// (offsets relative to the buffer's start) plus an optional `"__metadata__": {String: String}`.
// Valid files: every tensor's `e − b = product(shape) × size(dtype)`, offsets inside the buffer,
// and the tensors tile the buffer exactly — no overlap, no gap, no trailing bytes.

/// Element types Likeness reads and writes.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", i32 = "I32", i64 = "I64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f16, .bf16: return 2
        case .f32, .i32: return 4
        case .i64: return 8
        }
    }

    public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// What is wrong with a safetensors file or a tensor built for one.
public enum SafeTensorsError: Error, Equatable, Sendable {
    /// Fewer than the 8 bytes of the header-length prefix.
    case fileTooShort(byteCount: Int)
    /// The declared header length exceeds the 100 MB the format allows.
    case headerTooLarge(declared: UInt64)
    /// The declared header length runs past the end of the file.
    case headerOutOfBounds(declared: UInt64, available: Int)
    case headerNotUTF8
    /// The header is not valid JSON; `reason` names the problem and its byte offset.
    case invalidJSON(String)
    /// Valid JSON, but not an object at the top level.
    case headerNotAnObject
    case duplicateKey(String)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(String)
    /// A tensor entry lacks or mistypes `dtype`, `shape` or `data_offsets`.
    case invalidTensorEntry(name: String, reason: String)
    case unsupportedDType(name: String, dtype: String)
    /// `data_offsets` span does not equal `product(shape) × size(dtype)`.
    case sizeMismatch(name: String, expectedBytes: Int, actualBytes: Int)
    case offsetsOutOfBounds(name: String, end: Int, bufferSize: Int)
    case overlappingTensors(String, String)
    /// Bytes of the buffer that no tensor covers (a gap or trailing data).
    case uncoveredBytes(offset: Int, count: Int)
    /// `__metadata__` cannot name a tensor.
    case reservedName
    /// Raw bytes that do not match the shape and dtype given.
    case invalidTensor(String)
    /// A conversion asked for the wrong kind of values (floats from I32, integers from F16...).
    case dtypeMismatch(expected: String, actual: SafeTensorsDType)
    case io(path: String, reason: String)
}

extension SafeTensorsError: LocalizedError, CustomStringConvertible {
    public var description: String {
        switch self {
        case .fileTooShort(let n): return "Not a safetensors file: only \(n) bytes, less than the 8-byte header length."
        case .headerTooLarge(let n): return "Not a safetensors file: the header claims \(n) bytes (limit 100000000)."
        case .headerOutOfBounds(let n, let a): return "The safetensors header claims \(n) bytes but only \(a) follow; the file is truncated or not safetensors."
        case .headerNotUTF8: return "The safetensors header is not valid UTF-8."
        case .invalidJSON(let r): return "The safetensors header is not valid JSON: \(r)."
        case .headerNotAnObject: return "The safetensors header must be a JSON object."
        case .duplicateKey(let k): return "The safetensors header names \"\(k)\" twice."
        case .invalidMetadata(let r): return "Invalid safetensors __metadata__: \(r)."
        case .invalidTensorEntry(let n, let r): return "Tensor \"\(n)\": \(r)."
        case .unsupportedDType(let n, let d): return "Tensor \"\(n)\" has dtype \(d); supported are F32, F16, BF16, I32, I64."
        case .sizeMismatch(let n, let e, let a): return "Tensor \"\(n)\": shape and dtype need \(e) bytes but data_offsets span \(a)."
        case .offsetsOutOfBounds(let n, let e, let s): return "Tensor \"\(n)\" ends at byte \(e), past the \(s)-byte data buffer (truncated file?)."
        case .overlappingTensors(let a, let b): return "Tensors \"\(a)\" and \"\(b)\" overlap in the data buffer."
        case .uncoveredBytes(let o, let c): return "\(c) bytes of the data buffer at offset \(o) belong to no tensor."
        case .reservedName: return "\"__metadata__\" cannot be used as a tensor name."
        case .invalidTensor(let r): return "Invalid tensor: \(r)."
        case .dtypeMismatch(let e, let a): return "Expected \(e) values but the tensor is \(a.rawValue)."
        case .io(let p, let r): return "Cannot access \(p): \(r)."
        }
    }

    public var errorDescription: String? { description }
}

/// One tensor: dtype, shape (row-major) and its raw little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// `elementCount × dtype.byteSize` bytes, little-endian.
    public let bytes: Data

    /// Throws `.invalidTensor` unless `bytes.count == product(shape) × dtype.byteSize`.
    public init(dtype: SafeTensorsDType, shape: [Int], bytes: Data) throws {
        guard let count = SafeTensor.elementCount(shape) else {
            throw SafeTensorsError.invalidTensor("shape \(shape) has a negative or overflowing size")
        }
        guard count * dtype.byteSize == bytes.count else {
            throw SafeTensorsError.invalidTensor("shape \(shape) of \(dtype.rawValue) needs \(count * dtype.byteSize) bytes, got \(bytes.count)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = Data(bytes) // rebase indices at 0
    }

    /// Floats stored as F32, F16 (IEEE half, round-to-nearest) or BF16 (round-to-nearest-even).
    public init(shape: [Int], floats: [Float], dtype: SafeTensorsDType = .f32) throws {
        guard dtype.isFloatingPoint else { throw SafeTensorsError.dtypeMismatch(expected: "a float dtype", actual: dtype) }
        var out = Data(count: floats.count * dtype.byteSize)
        out.withUnsafeMutableBytes { raw in
            for (i, f) in floats.enumerated() {
                switch dtype {
                case .f32: raw.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                case .f16: raw.storeBytes(of: Float16(f).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                default: raw.storeBytes(of: SafeTensor.bfloat16(f).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                }
            }
        }
        try self.init(dtype: dtype, shape: shape, bytes: out)
    }

    /// Integers stored as I32 (each must fit) or I64.
    public init(shape: [Int], integers: [Int64], dtype: SafeTensorsDType = .i64) throws {
        guard dtype == .i32 || dtype == .i64 else { throw SafeTensorsError.dtypeMismatch(expected: "an integer dtype", actual: dtype) }
        var out = Data(count: integers.count * dtype.byteSize)
        try out.withUnsafeMutableBytes { raw in
            for (i, v) in integers.enumerated() {
                if dtype == .i64 {
                    raw.storeBytes(of: v.littleEndian, toByteOffset: 8 * i, as: Int64.self)
                } else {
                    guard let small = Int32(exactly: v) else { throw SafeTensorsError.invalidTensor("\(v) does not fit in I32") }
                    raw.storeBytes(of: small.littleEndian, toByteOffset: 4 * i, as: Int32.self)
                }
            }
        }
        try self.init(dtype: dtype, shape: shape, bytes: out)
    }

    public var elementCount: Int { bytes.count / dtype.byteSize }

    /// Values of an F32, F16 or BF16 tensor as Float (exact: every half and bfloat16 is a Float).
    public func floats() throws -> [Float] {
        guard dtype.isFloatingPoint else { throw SafeTensorsError.dtypeMismatch(expected: "float", actual: dtype) }
        let n = elementCount
        if dtype == .f32 && UInt32(1).littleEndian == 1 {
            // Little-endian host: the bytes already are the Float array.
            return [Float](unsafeUninitializedCapacity: n) { buf, count in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(4 * n)]))
                }
                count = n
            }
        }
        return bytes.withUnsafeBytes { raw in
            (0..<n).map { i -> Float in
                switch dtype {
                case .f32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .f16: return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                default: return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            }
        }
    }

    /// Values of an I32 or I64 tensor.
    public func integers() throws -> [Int64] {
        guard dtype == .i32 || dtype == .i64 else { throw SafeTensorsError.dtypeMismatch(expected: "integer", actual: dtype) }
        let n = elementCount
        return bytes.withUnsafeBytes { raw in
            (0..<n).map { i -> Int64 in
                dtype == .i64
                    ? Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                    : Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        }
    }

    /// product(shape), or nil if a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= Int(Int32.max) * 64 else { return nil }
            n = p
        }
        return n
    }

    /// Float → bfloat16 bits with round-to-nearest-even; NaN stays a quiet NaN.
    static func bfloat16(_ f: Float) -> UInt16 {
        if f.isNaN { return 0x7FC0 }
        let bits = f.bitPattern
        let rounding = ((bits >> 16) & 1) + 0x7FFF
        return UInt16((bits &+ rounding) >> 16)
    }
}

/// A whole safetensors file: named tensors plus optional string metadata.
public struct SafeTensorsFile: Sendable, Equatable {
    public private(set) var tensors: [String: SafeTensor]
    public var metadata: [String: String]?

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String]? = nil) throws {
        guard tensors["__metadata__"] == nil else { throw SafeTensorsError.reservedName }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    public subscript(name: String) -> SafeTensor? { tensors[name] }

    /// Adds or replaces a tensor.
    public mutating func set(_ tensor: SafeTensor, named name: String) throws {
        guard name != "__metadata__" else { throw SafeTensorsError.reservedName }
        tensors[name] = tensor
    }

    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "the file cannot be read" : "no such file"
            throw SafeTensorsError.io(path: url.path, reason: reason)
        }
        return try parse(data)
    }

    public func write(to url: URL) throws {
        do {
            try serialize().write(to: url, options: .atomic)
        } catch {
            throw SafeTensorsError.io(path: url.path, reason: error.localizedDescription)
        }
    }

    /// The file bytes: tensors laid out in name order, the header padded with spaces to a multiple
    /// of 8 bytes so that the buffer (and every F32/I64 tensor in it) starts 8-byte aligned.
    public func serialize() -> Data {
        var offset = 0
        var entries: [String] = []
        if let metadata {
            let fields = metadata.keys.sorted().map { "\(SafeTensorsJSON.quote($0)):\(SafeTensorsJSON.quote(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        for name in names {
            let t = tensors[name]!
            let end = offset + t.bytes.count
            entries.append("\(SafeTensorsJSON.quote(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names { out.append(tensors[name]!.bytes) }
        return out
    }

    /// Parses and validates a whole file (see the layout rules at the top of this file).
    public static func parse(_ data: Data) throws -> SafeTensorsFile {
        guard data.count >= 8 else { throw SafeTensorsError.fileTooShort(byteCount: data.count) }
        let base = data.startIndex
        let n = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= 100_000_000 else { throw SafeTensorsError.headerTooLarge(declared: n) }
        guard Int(n) <= data.count - 8 else { throw SafeTensorsError.headerOutOfBounds(declared: n, available: data.count - 8) }
        let headerBytes = data[(base + 8)..<(base + 8 + Int(n))]
        guard String(data: headerBytes, encoding: .utf8) != nil else { throw SafeTensorsError.headerNotUTF8 }
        guard case .object(let fields) = try SafeTensorsJSON.parse(Array(headerBytes)) else {
            throw SafeTensorsError.headerNotAnObject
        }
        let buffer = data[(base + 8 + Int(n))...]
        var metadata: [String: String]? = nil
        var spans: [(name: String, begin: Int, end: Int)] = []
        var tensors: [String: SafeTensor] = [:]
        for (name, value) in fields {
            if name == "__metadata__" {
                metadata = try parseMetadata(value)
                continue
            }
            let (dtype, shape, begin, end) = try parseEntry(name, value)
            guard end <= buffer.count else {
                throw SafeTensorsError.offsetsOutOfBounds(name: name, end: end, bufferSize: buffer.count)
            }
            let slice = buffer[(buffer.startIndex + begin)..<(buffer.startIndex + end)]
            tensors[name] = try SafeTensor(dtype: dtype, shape: shape, bytes: Data(slice))
            spans.append((name, begin, end))
        }
        try checkTiling(spans, bufferSize: buffer.count)
        return try SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: SafeTensorsJSON.Value) throws -> [String: String] {
        guard case .object(let fields) = value else { throw SafeTensorsError.invalidMetadata("it must be an object") }
        var out: [String: String] = [:]
        for (k, v) in fields {
            guard case .string(let s) = v else { throw SafeTensorsError.invalidMetadata("value of \"\(k)\" is not a string") }
            out[k] = s
        }
        return out
    }

    private static func parseEntry(_ name: String, _ value: SafeTensorsJSON.Value) throws
        -> (SafeTensorsDType, [Int], Int, Int) {
        func bad(_ reason: String) -> SafeTensorsError { .invalidTensorEntry(name: name, reason: reason) }
        guard case .object(let fields) = value else { throw bad("the entry is not an object") }
        var dict: [String: SafeTensorsJSON.Value] = [:]
        for (k, v) in fields { dict[k] = v }
        for k in dict.keys where !["dtype", "shape", "data_offsets"].contains(k) { throw bad("unknown field \"\(k)\"") }
        guard case .string(let dtypeName)? = dict["dtype"] else { throw bad("missing or non-string \"dtype\"") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(name: name, dtype: dtypeName)
        }
        guard case .array(let shapeValues)? = dict["shape"], let shape = integers(shapeValues) else {
            throw bad("\"shape\" must be an array of non-negative integers")
        }
        guard case .array(let offsetValues)? = dict["data_offsets"], let offsets = integers(offsetValues),
              offsets.count == 2 else {
            throw bad("\"data_offsets\" must be [begin, end] with non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw bad("data_offsets begin \(begin) is after end \(end)") }
        guard let count = SafeTensor.elementCount(shape) else { throw bad("shape \(shape) is too large") }
        guard count * dtype.byteSize == end - begin else {
            throw SafeTensorsError.sizeMismatch(name: name, expectedBytes: count * dtype.byteSize, actualBytes: end - begin)
        }
        return (dtype, shape, begin, end)
    }

    private static func integers(_ values: [SafeTensorsJSON.Value]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard case .integer(let i) = v else { return nil }
            out.append(i)
        }
        return out
    }

    /// The spans must tile [0, bufferSize) exactly: sorted by start, each begins where the last ended.
    private static func checkTiling(_ spans: [(name: String, begin: Int, end: Int)], bufferSize: Int) throws {
        let sorted = spans.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var last: String? = nil
        for s in sorted {
            if s.begin < covered, let previous = last { throw SafeTensorsError.overlappingTensors(previous, s.name) }
            if s.begin > covered { throw SafeTensorsError.uncoveredBytes(offset: covered, count: s.begin - covered) }
            covered = s.end
            if s.end > s.begin { last = s.name }
        }
        if covered < bufferSize { throw SafeTensorsError.uncoveredBytes(offset: covered, count: bufferSize - covered) }
    }
}

/// A strict, small JSON reader for safetensors headers: depth-limited (so hostile nesting cannot
/// exhaust the stack), byte offsets in errors, duplicate keys rejected, numbers limited to what a
/// header needs (non-negative integers; anything else is kept as `.other`).
enum SafeTensorsJSON {
    indirect enum Value: Equatable {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case integer(Int)
        /// Numbers that are not non-negative integers, booleans and null: legal JSON, never valid
        /// where a header needs a value.
        case other

        static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case (.array(let x), .array(let y)): return x == y
            case (.string(let x), .string(let y)): return x == y
            case (.integer(let x), .integer(let y)): return x == y
            case (.other, .other): return true
            default: return false
            }
        }
    }

    static let maxDepth = 16

    static func parse(_ bytes: [UInt8]) throws -> Value {
        var p = Parser(b: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    struct Parser {
        let b: [UInt8]
        var i = 0

        func fail(_ reason: String) -> SafeTensorsError { .invalidJSON("\(reason) at byte \(i)") }

        mutating func skipSpace() {
            while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws {
            guard i < b.count, b[i] == c else { throw fail("expected '\(Character(UnicodeScalar(c)))'") }
            i += 1
        }

        mutating func value(depth: Int) throws -> Value {
            guard depth < SafeTensorsJSON.maxDepth else { throw fail("nesting deeper than \(SafeTensorsJSON.maxDepth)") }
            guard i < b.count else { throw fail("unexpected end") }
            switch b[i] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .other
            case UInt8(ascii: "f"): try literal("false"); return .other
            case UInt8(ascii: "n"): try literal("null"); return .other
            default: return try number()
            }
        }

        mutating func literal(_ word: String) throws {
            for c in word.utf8 { try expect(c) }
        }

        mutating func object(depth: Int) throws -> Value {
            try expect(UInt8(ascii: "{"))
            var fields: [(String, Value)] = []
            var seen = Set<String>()
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try string()
                guard seen.insert(key).inserted else { throw SafeTensorsError.duplicateKey(key) }
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                fields.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw fail("unterminated object") }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(fields) }
                try expect(UInt8(ascii: ","))
            }
        }

        mutating func array(depth: Int) throws -> Value {
            try expect(UInt8(ascii: "["))
            var items: [Value] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw fail("unterminated array") }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                try expect(UInt8(ascii: ","))
            }
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "\"") { flush(); return String(scalars) }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { raw.append(c); continue }
                guard i < b.count else { throw fail("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): raw.append(e)
                case UInt8(ascii: "b"): raw.append(0x08)
                case UInt8(ascii: "f"): raw.append(0x0C)
                case UInt8(ascii: "n"): raw.append(0x0A)
                case UInt8(ascii: "r"): raw.append(0x0D)
                case UInt8(ascii: "t"): raw.append(0x09)
                case UInt8(ascii: "u"):
                    flush()
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    scalars.append(scalar)
                default: throw fail("invalid escape")
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let d = Character(UnicodeScalar(b[i])).hexDigitValue else { throw fail("bad hex digit") }
                v = v * 16 + UInt32(d)
                i += 1
            }
            return v
        }

        /// JSON number grammar; non-negative integers without fraction/exponent become `.integer`.
        mutating func number() throws -> Value {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, (0x30...0x39).contains(b[i]) else { throw fail("unexpected character") }
            if b[i] == 0x30, i + 1 < b.count, (0x30...0x39).contains(b[i + 1]) { throw fail("leading zero") }
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            var isInteger = b[start] != UInt8(ascii: "-")
            if i < b.count, b[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                guard i < b.count, (0x30...0x39).contains(b[i]) else { throw fail("digit expected after '.'") }
                while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i < b.count, (0x30...0x39).contains(b[i]) else { throw fail("digit expected in exponent") }
                while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            }
            guard isInteger else { return .other }
            var v = 0
            for c in b[start..<i] {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(c - 0x30))
                if o1 || o2 { return .other } // too large for any offset or dimension
                v = s
            }
            return .integer(v)
        }
    }
}
