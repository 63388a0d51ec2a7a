import Foundation

/// A NumPy array read from `.npy` (format versions 1–3): shape and values converted to Float
/// or Int, in C (row-major) order even when the file is Fortran-ordered.
public struct NumpyArray: Sendable {
    public var shape: [Int]
    /// The element type as written, e.g. "<f4", "<f8", "<i8", "|u1".
    public var dtype: String
    public var floats: [Float]

    public var count: Int { shape.reduce(1, *) }
    public var ints: [Int] { floats.map { Int($0) } }

    /// Exact integer values (Float holds integers exactly only up to 2²⁴).
    public private(set) var integers: [Int] = []

    public init(shape: [Int], floats: [Float]) {
        self.shape = shape
        dtype = "<f4"
        self.floats = floats
        integers = []
    }

    public init(shape: [Int], integers: [Int]) {
        self.shape = shape
        dtype = "<i8"
        self.integers = integers
        floats = integers.map(Float.init)
    }

    /// Parses `.npy` bytes; `name` only labels errors.
    public init(npy data: Data, name: String) throws {
        let b = [UInt8](data)
        func fail(_ reason: String) -> FaceModelError { .unreadableFile(path: name, reason: "not a readable .npy array: \(reason)") }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw fail("bad magic") }
        let major = b[6]
        let headerLength = major == 1 ? Int(le16(b, 8)) : Int(le32(b, 8))
        let headerStart = major == 1 ? 10 : 12
        guard headerStart + headerLength <= b.count else { throw fail("truncated header") }
        let header = String(decoding: b[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = NumpyArray.field("descr", in: header), let shapeText = NumpyArray.tuple("shape", in: header) else {
            throw fail("header without descr/shape: \(header)")
        }
        if descr.hasPrefix("|O") { throw fail("object arrays (pickles) are not read; convert with Scripts/flame_to_npz.py") }
        let fortran = header.contains("'fortran_order': True")
        shape = shapeText
        dtype = descr
        let start = headerStart + headerLength
        guard let (width, convert) = NumpyArray.converter(descr) else { throw fail("unsupported dtype \(descr)") }
        // The shape must fit the bytes that follow (checked without overflowing on hostile shapes).
        var count = 1
        for d in shapeText {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, product <= b.count / width else { throw fail("data shorter than shape \(shapeText)") }
            count = product
        }
        guard start + count * width <= b.count else { throw fail("data shorter than shape \(shapeText)") }
        var exact = [Int](repeating: 0, count: descr.contains("f") ? 0 : count)
        var values = [Float](repeating: 0, count: count)
        b.withUnsafeBufferPointer { p in
            for i in 0..<count {
                let (f, n) = convert(p.baseAddress! + start + i * width)
                values[i] = f
                if !exact.isEmpty { exact[i] = n }
            }
        }
        if fortran, shapeText.count > 1 {
            values = NumpyArray.fortranToC(values, shape: shapeText)
            if !exact.isEmpty { exact = NumpyArray.fortranToC(exact, shape: shapeText) }
        }
        floats = values
        integers = exact.isEmpty ? values.map { Int($0) } : exact
    }

    /// `.npy` version 1 bytes of this array (float32 or int64 little-endian, C order).
    public func npyData() -> Data {
        let isInt = dtype.contains("i") || dtype.contains("u")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(isInt ? "<i8" : "<f4")', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        out.append(le: UInt16(header.utf8.count))
        out.append(contentsOf: Array(header.utf8))
        if isInt { for v in integers { out.append(le: Int64(v)) } } else { for v in floats { out.append(le: v.bitPattern) } }
        return out
    }

    static func field(_ key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        guard rest.first == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != "'" })
    }

    static func tuple(_ key: String, in header: String) -> [Int]? {
        guard let r = header.range(of: "'\(key)':"), let open = header[r.upperBound...].firstIndex(of: "("),
              let close = header[open...].firstIndex(of: ")") else { return nil }
        let parts = header[header.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let dims = parts.filter { !$0.isEmpty }.compactMap { Int($0) }
        return dims
    }

    typealias Convert = (UnsafePointer<UInt8>) -> (Float, Int)

    /// Element width and reader for a little-endian (or byte-sized) dtype.
    static func converter(_ descr: String) -> (Int, Convert)? {
        func load<T>(_ p: UnsafePointer<UInt8>, _: T.Type) -> T { UnsafeRawPointer(p).loadUnaligned(as: T.self) }
        switch descr {
        case "<f4": return (4, { p in (load(p, Float.self), 0) })
        case "<f8": return (8, { p in (Float(load(p, Double.self)), 0) })
        case "<f2": return (2, { p in (Float(Float16(bitPattern: load(p, UInt16.self))), 0) })
        case "<i8": return (8, { p in let v = Int(load(p, Int64.self)); return (Float(v), v) })
        case "<u8": return (8, { p in let v = Int(load(p, UInt64.self)); return (Float(v), v) })
        case "<i4": return (4, { p in let v = Int(load(p, Int32.self)); return (Float(v), v) })
        case "<u4": return (4, { p in let v = Int(load(p, UInt32.self)); return (Float(v), v) })
        case "<i2": return (2, { p in let v = Int(load(p, Int16.self)); return (Float(v), v) })
        case "<u2": return (2, { p in let v = Int(load(p, UInt16.self)); return (Float(v), v) })
        case "|u1", "|b1": return (1, { p in (Float(p.pointee), Int(p.pointee)) })
        case "|i1": return (1, { p in let v = Int(Int8(bitPattern: p.pointee)); return (Float(v), v) })
        default: return nil
        }
    }

    /// Reorders column-major values to row-major.
    static func fortranToC<T>(_ values: [T], shape: [Int]) -> [T] {
        var out = values
        let count = values.count
        var index = [Int](repeating: 0, count: shape.count)
        for c in 0..<count {
            // c is the C-order linear index; compute its Fortran-order offset.
            var rem = c
            for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = rem % shape[d]; rem /= shape[d] }
            var f = 0, stride = 1
            for d in 0..<shape.count { f += index[d] * stride; stride *= shape[d] }
            out[c] = values[f]
        }
        return out
    }
}

/// A `.npz` file: named `.npy` arrays in a ZIP (stored or deflated).
public struct NpzFile: Sendable {
    public let archive: ZipArchive

    public init(contentsOf url: URL) throws { archive = try ZipArchive(contentsOf: url) }
    public init(data: Data) throws { archive = try ZipArchive(data: data) }

    /// Array names without the ".npy" suffix.
    public var keys: [String] { archive.names.map { $0.hasSuffix(".npy") ? String($0.dropLast(4)) : $0 } }

    public func contains(_ key: String) -> Bool { keys.contains(key) }

    public func array(_ key: String) throws -> NumpyArray {
        let name = archive.names.contains(key + ".npy") ? key + ".npy" : key
        return try NumpyArray(npy: archive.read(name), name: "\(archive.path):\(key)")
    }

    /// Writes arrays as an uncompressed `.npz` (what `np.savez` writes).
    public static func data(_ arrays: [(String, NumpyArray)]) -> Data {
        var zip = ZipWriter()
        for (key, array) in arrays { zip.add(key + ".npy", array.npyData()) }
        return zip.data
    }
}
