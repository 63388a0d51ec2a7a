import CZlib
import Foundation

/// A read-only ZIP archive in memory: the central directory (ZIP64 aware) and stored or deflated
/// entries (raw deflate through zlib). Enough for NumPy's `.npz` (`np.savez`, `np.savez_compressed`).
public struct ZipArchive: Sendable {
    public struct Entry: Sendable {
        public var name: String
        var method: UInt16
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
        var crc: UInt32
    }

    public let path: String
    let bytes: [UInt8]
    public let entries: [Entry]

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw FaceModelError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: url.path)
    }

    public init(data: Data, path: String = "<memory>") throws {
        bytes = [UInt8](data)
        self.path = path
        entries = try ZipArchive.readDirectory(bytes, path: path)
    }

    public var names: [String] { entries.map(\.name) }

    /// The uncompressed bytes of entry `name`.
    public func read(_ name: String) throws -> Data {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw FaceModelError.missingEntry(path: path, entry: name)
        }
        let local = entry.localHeaderOffset
        guard local >= 0, local + 30 <= bytes.count, le32(bytes, local) == 0x0403_4b50 else { throw corrupt("bad local header of \(name)") }
        let start = local + 30 + Int(le16(bytes, local + 26)) + Int(le16(bytes, local + 28))
        guard entry.compressedSize >= 0, entry.size >= 0, entry.compressedSize <= bytes.count - start else { throw corrupt("entry \(name) runs past the end") }
        let raw = Data(bytes[start..<(start + entry.compressedSize)])
        let out: Data
        switch entry.method {
        case 0: out = raw
        case 8:
            // Deflate expands at most ~1032:1; a larger claim is a corrupt or hostile header.
            guard entry.size <= entry.compressedSize * 1100 + 1024 else { throw corrupt("entry \(name) claims an impossible size") }
            out = try inflateRaw(raw, expected: entry.size, name: name)
        default: throw corrupt("entry \(name) uses compression method \(entry.method) (only stored and deflate are read)")
        }
        guard out.count == entry.size else { throw corrupt("entry \(name) has \(out.count) bytes, expected \(entry.size)") }
        let crc = out.withUnsafeBytes { p in UInt32(crc32(0, p.bindMemory(to: Bytef.self).baseAddress, uInt(out.count))) }
        guard crc == entry.crc else { throw corrupt("entry \(name) fails its CRC check") }
        return out
    }

    func corrupt(_ reason: String) -> FaceModelError { .unreadableFile(path: path, reason: "corrupt ZIP: \(reason)") }

    static func readDirectory(_ bytes: [UInt8], path: String) throws -> [Entry] {
        func fail(_ r: String) -> FaceModelError { .unreadableFile(path: path, reason: "not a ZIP/NPZ file: \(r)") }
        guard bytes.count >= 22 else { throw fail("too short") }
        var eocd = -1
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65_535) {
            if le32(bytes, i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record") }
        var count = Int(le16(bytes, eocd + 10))
        var offset = Int(le32(bytes, eocd + 16))
        // ZIP64: the locator precedes the EOCD and points at the ZIP64 end record.
        if eocd >= 20, le32(bytes, eocd - 20) == 0x0706_4b50 {
            let record = Int(truncatingIfNeeded: le64(bytes, eocd - 12))
            guard record >= 0, record + 56 <= bytes.count, le32(bytes, record) == 0x0606_4b50 else { throw fail("bad ZIP64 end record") }
            count = Int(truncatingIfNeeded: le64(bytes, record + 32))
            offset = Int(truncatingIfNeeded: le64(bytes, record + 48))
            guard count >= 0, offset >= 0 else { throw fail("bad ZIP64 end record") }
        }
        var entries: [Entry] = []
        var p = offset
        for _ in 0..<count {
            guard p + 46 <= bytes.count, le32(bytes, p) == 0x0201_4b50 else { throw fail("bad central directory") }
            let nameLength = Int(le16(bytes, p + 28)), extraLength = Int(le16(bytes, p + 30))
            let commentLength = Int(le16(bytes, p + 32))
            guard p + 46 + nameLength + extraLength <= bytes.count else { throw fail("truncated central directory") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            var size = Int(le32(bytes, p + 24)), compressed = Int(le32(bytes, p + 20)), local = Int(le32(bytes, p + 42))
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = le16(bytes, e), length = Int(le16(bytes, e + 2))
                if id == 1 {
                    // ZIP64 sizes/offset, present only for the fields marked 0xFFFFFFFF.
                    var q = e + 4
                    func next() -> Int { defer { q += 8 }; return q + 8 <= extraEnd ? Int(truncatingIfNeeded: le64(bytes, q)) : -1 }
                    if size == 0xFFFF_FFFF { size = next() }
                    if compressed == 0xFFFF_FFFF { compressed = next() }
                    if local == 0xFFFF_FFFF { local = next() }
                    guard size >= 0, compressed >= 0, local >= 0 else { throw fail("bad ZIP64 extra field") }
                }
                e += 4 + length
            }
            entries.append(Entry(name: name, method: le16(bytes, p + 10), compressedSize: compressed, size: size,
                                 localHeaderOffset: local, crc: le32(bytes, p + 16)))
            p = extraEnd + commentLength
        }
        return entries
    }

    func inflateRaw(_ input: Data, expected: Int, name: String) throws -> Data {
        var output = Data(count: expected)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw corrupt("zlib failed to initialise")
        }
        defer { inflateEnd(&stream) }
        var input = input
        let status: Int32 = input.withUnsafeMutableBytes { inPtr in
            output.withUnsafeMutableBytes { outPtr in
                stream.next_in = inPtr.bindMemory(to: Bytef.self).baseAddress
                stream.avail_in = uInt(inPtr.count)
                stream.next_out = outPtr.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(outPtr.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == expected else { throw corrupt("entry \(name) does not inflate") }
        return output
    }
}

/// Writes a ZIP archive of stored (uncompressed) entries — what `np.savez` writes.
public struct ZipWriter {
    var body = Data()
    var directory = Data()
    var count = 0

    public init() {}

    public mutating func add(_ name: String, _ content: Data) {
        let nameBytes = Array(name.utf8)
        let crc = content.withUnsafeBytes { p in UInt32(crc32(0, p.bindMemory(to: Bytef.self).baseAddress, uInt(content.count))) }
        let offset = body.count
        var local = Data()
        local.append(le: UInt32(0x0403_4b50)); local.append(le: UInt16(20)); local.append(le: UInt16(0))
        local.append(le: UInt16(0)); local.append(le: UInt32(0)); local.append(le: crc)
        local.append(le: UInt32(content.count)); local.append(le: UInt32(content.count))
        local.append(le: UInt16(nameBytes.count)); local.append(le: UInt16(0))
        body.append(local); body.append(contentsOf: nameBytes); body.append(content)
        var central = Data()
        central.append(le: UInt32(0x0201_4b50)); central.append(le: UInt16(20)); central.append(le: UInt16(20))
        central.append(le: UInt16(0)); central.append(le: UInt16(0)); central.append(le: UInt32(0)); central.append(le: crc)
        central.append(le: UInt32(content.count)); central.append(le: UInt32(content.count))
        central.append(le: UInt16(nameBytes.count)); central.append(le: UInt16(0)); central.append(le: UInt16(0))
        central.append(le: UInt16(0)); central.append(le: UInt16(0)); central.append(le: UInt32(0)); central.append(le: UInt32(offset))
        directory.append(central); directory.append(contentsOf: nameBytes)
        count += 1
    }

    public var data: Data {
        var out = body
        out.append(directory)
        var end = Data()
        end.append(le: UInt32(0x0605_4b50)); end.append(le: UInt16(0)); end.append(le: UInt16(0))
        end.append(le: UInt16(count)); end.append(le: UInt16(count))
        end.append(le: UInt32(directory.count)); end.append(le: UInt32(body.count)); end.append(le: UInt16(0))
        out.append(end)
        return out
    }
}

extension Data {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

@inline(__always) func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
@inline(__always) func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}
@inline(__always) func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }
