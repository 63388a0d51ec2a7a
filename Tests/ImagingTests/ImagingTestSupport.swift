import Foundation
import XCTest
@testable import Imaging

/// Deterministic test images and helpers shared by the Imaging tests.
enum TestImages {
    /// A smooth pattern (gradients plus a low-frequency wave) that JPEG reproduces closely.
    static func smooth(width: Int, height: Int, channels: Int) -> Image {
        var img = Image(width: width, height: height, channels: channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let fx = Double(x) / Double(max(width - 1, 1)), fy = Double(y) / Double(max(height - 1, 1))
                    let v = 40 + 150 * (c % 2 == 0 ? fx : fy) + 30 * sin(Double(c + 1) * (fx + fy) * 3)
                    img[x, y, c] = UInt8(max(0, min(255, v.rounded())))
                }
            }
        }
        return img
    }

    /// Pseudo-random bytes (xorshift), for exact-round-trip formats.
    static func noise(width: Int, height: Int, channels: Int, seed: UInt64 = 0x9E3779B97F4A7C15) -> Image {
        var state = seed
        var px = [UInt8](repeating: 0, count: width * height * channels)
        for i in px.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            px[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        return Image(width: width, height: height, channels: channels, pixels: px)
    }

    /// Mean and max absolute sample difference of two same-shaped images.
    static func difference(_ a: Image, _ b: Image) -> (mean: Double, max: Int) {
        precondition(a.pixels.count == b.pixels.count)
        var sum = 0, mx = 0
        for i in a.pixels.indices {
            let d = abs(Int(a.pixels[i]) - Int(b.pixels[i]))
            sum += d
            mx = max(mx, d)
        }
        return (Double(sum) / Double(max(a.pixels.count, 1)), mx)
    }

    /// Asserts two images are identical without dumping every sample on failure.
    static func assertIdentical(_ a: Image, _ b: Image, _ label: String = "", file: StaticString = #filePath, line: UInt = #line) {
        guard a.width == b.width, a.height == b.height, a.channels == b.channels else {
            return XCTFail("\(label): geometry \(a.width)×\(a.height)×\(a.channels) vs \(b.width)×\(b.height)×\(b.channels)", file: file, line: line)
        }
        if let i = a.pixels.indices.first(where: { a.pixels[$0] != b.pixels[$0] }) {
            XCTFail("\(label): first difference at sample \(i): \(a.pixels[i]) vs \(b.pixels[i])", file: file, line: line)
        }
    }

    /// An APP1 EXIF segment (marker included) whose IFD0 holds just the orientation tag.
    static func exifSegment(orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)                       // header, IFD0 at offset 8
        tiff += u16(1)                                 // one entry
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0] // Orientation, SHORT, count 1
        tiff += u32(0)                                 // no next IFD
        let body: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// `jpeg` with `segment` inserted right after SOI.
    static func inserting(_ segment: [UInt8], intoJPEG jpeg: Data) -> Data {
        var bytes = [UInt8](jpeg)
        bytes.insert(contentsOf: segment, at: 2)
        return Data(bytes)
    }
}

/// PNG chunk surgery for fixtures: split a PNG into chunks, edit them, reassemble with valid CRCs.
struct PNGChunks {
    struct Chunk { var type: String; var data: [UInt8] }
    var chunks: [Chunk]

    init(_ png: Data) {
        let b = [UInt8](png)
        var p = 8
        chunks = []
        while p + 12 <= b.count {
            let len = Int(b[p]) << 24 | Int(b[p + 1]) << 16 | Int(b[p + 2]) << 8 | Int(b[p + 3])
            let type = String(decoding: b[(p + 4)..<(p + 8)], as: UTF8.self)
            chunks.append(Chunk(type: type, data: Array(b[(p + 8)..<(p + 8 + len)])))
            p += 12 + len
        }
    }

    var data: Data {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for c in chunks { out += PNGChunks.encode(c) }
        return Data(out)
    }

    static func encode(_ c: Chunk) -> [UInt8] {
        let typed = Array(c.type.utf8) + c.data
        return be32(UInt32(c.data.count)) + typed + be32(crc32(typed))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    /// Index of the first chunk of `type`.
    func index(of type: String) -> Int? { chunks.firstIndex { $0.type == type } }

    /// Sets IHDR width and height (CRC stays valid: the file is well-formed apart from its size).
    mutating func setSize(width: UInt32, height: UInt32) {
        let i = index(of: "IHDR")!
        chunks[i].data.replaceSubrange(0..<8, with: PNGChunks.be32(width) + PNGChunks.be32(height))
    }
}
