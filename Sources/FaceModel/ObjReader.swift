import Foundation

/// A Wavefront OBJ mesh as the importers need it: positions, texture coordinates and polygons
/// fan-triangulated into triangles with per-corner position and UV indices (0-based).
public struct ObjMesh: Sendable {
    /// N×3.
    public var positions: [Float] = []
    /// U×2.
    public var uvs: [Float] = []
    /// F×3 position indices.
    public var triangles: [Int32] = []
    /// F×3 UV indices (empty when the file has no `vt` references).
    public var uvTriangles: [Int32] = []

    /// Parses an OBJ file (only `v`, `vt` and `f` records; negative indices allowed).
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FaceModelError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: url.path)
    }

    public init(data: Data, path: String) throws {
        var parser = ObjParser(bytes: [UInt8](data), path: path)
        self = try parser.parse()
    }

    init() {}
}

/// A byte-level OBJ tokenizer: fast enough for ICT-FaceKit's 26k-vertex meshes (13 of them per load).
private struct ObjParser {
    let bytes: [UInt8]
    let path: String
    var i = 0
    var line = 1

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func parse() throws -> ObjMesh {
        var mesh = ObjMesh()
        var corners: [(Int32, Int32)] = []
        while i < bytes.count {
            skipSpaces()
            guard i < bytes.count else { break }
            let c = bytes[i]
            let next: UInt8 = i + 1 < bytes.count ? bytes[i + 1] : 0
            if c == UInt8(ascii: "v"), next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") {
                i += 1
                for _ in 0..<3 { mesh.positions.append(try number()) }
            } else if c == UInt8(ascii: "v"), next == UInt8(ascii: "t") {
                i += 2
                for _ in 0..<2 { mesh.uvs.append(try number()) }
            } else if c == UInt8(ascii: "f"), next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") {
                i += 1
                corners.removeAll(keepingCapacity: true)
                try readCorners(&corners, vertexCount: mesh.positions.count / 3, uvCount: mesh.uvs.count / 2)
                guard corners.count >= 3 else { throw fail("a face with fewer than 3 corners") }
                for k in 1..<(corners.count - 1) {
                    mesh.triangles += [corners[0].0, corners[k].0, corners[k + 1].0]
                    if corners[0].1 >= 0 { mesh.uvTriangles += [corners[0].1, corners[k].1, corners[k + 1].1] }
                }
            }
            skipLine()
        }
        if !mesh.uvTriangles.isEmpty, mesh.uvTriangles.count != mesh.triangles.count {
            throw fail("some faces have UVs and some do not")
        }
        return mesh
    }

    func fail(_ reason: String) -> FaceModelError { .unreadableFile(path: path, reason: "OBJ line \(line): \(reason)") }

    mutating func skipSpaces() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 13 { i += 1 }
    }

    mutating func skipLine() {
        while i < bytes.count, bytes[i] != 10 { i += 1 }
        i += 1
        line += 1
    }

    mutating func number() throws -> Float {
        skipSpaces()
        let start = i
        while i < bytes.count, bytes[i] > 32 { i += 1 }
        guard i > start else { throw fail("missing number") }
        let value: Float? = bytes.withUnsafeBufferPointer { p in
            var buffer = [CChar](repeating: 0, count: i - start + 1)
            for k in 0..<(i - start) { buffer[k] = CChar(bitPattern: p[start + k]) }
            var end: UnsafeMutablePointer<CChar>?
            let v = strtof(buffer, &end)
            return buffer.withUnsafeBufferPointer { b in end == UnsafeMutablePointer(mutating: b.baseAddress! + (i - start)) ? v : nil }
        }
        guard let value, value.isFinite else { throw fail("bad number") }
        return value
    }

    mutating func integer() -> Int? {
        var sign = 1, value = 0, digits = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { sign = -1; i += 1 }
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            if digits < 15 { value = value * 10 + Int(bytes[i] - 48) }
            i += 1
            digits += 1
        }
        return digits > 0 && digits < 15 ? sign * value : nil
    }

    /// Reads `v`, `v/vt`, `v//vn` or `v/vt/vn` corners until the end of the line.
    mutating func readCorners(_ corners: inout [(Int32, Int32)], vertexCount: Int, uvCount: Int) throws {
        while true {
            skipSpaces()
            guard i < bytes.count, bytes[i] != 10, bytes[i] != UInt8(ascii: "#") else { return }
            guard let v = integer() else { throw fail("bad face corner") }
            var vt = 0
            if i < bytes.count, bytes[i] == UInt8(ascii: "/") {
                i += 1
                vt = integer() ?? 0
                if i < bytes.count, bytes[i] == UInt8(ascii: "/") { i += 1; _ = integer() }
            }
            let vi = v < 0 ? vertexCount + v : v - 1
            let ti = vt == 0 ? -1 : (vt < 0 ? uvCount + vt : vt - 1)
            guard vi >= 0, vi < vertexCount, ti >= -1, ti < uvCount else { throw fail("face index out of range") }
            corners.append((Int32(vi), Int32(ti)))
        }
    }
}
