import Foundation

/// A walk over the JPEG marker segments that precede the first scan (SOS), for the bits turbojpeg
/// does not report: EXIF orientation and the frame size as written in SOF.
enum JPEGMarkers {
    /// Calls `body(marker, segmentPayload)` for each segment before SOS until it returns false.
    /// Stops silently at the first malformation; callers treat a missing answer as "not present".
    static func forEachSegment(_ data: Data, _ body: (UInt8, UnsafeBufferPointer<UInt8>) -> Bool) {
        data.withUnsafeBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return }
            var p = 2
            while p + 4 <= b.count {
                guard b[p] == 0xFF else { return }
                let marker = b[p + 1]
                if marker == 0xFF { p += 1; continue }           // fill byte
                if marker == 0xDA || marker == 0xD9 { return }   // start of scan / end of image
                if (0xD0...0xD7).contains(marker) || marker == 0x01 { p += 2; continue } // no length
                let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
                guard length >= 2, p + 2 + length <= b.count else { return }
                let payload = UnsafeBufferPointer(rebasing: b[(p + 4)..<(p + 2 + length)])
                if !body(marker, payload) { return }
                p += 2 + length
            }
        }
    }

    /// (width, height) from the first SOF segment (SOF0...SOF15 except DHT, JPG, DAC).
    static func frameSize(_ data: Data) -> (width: Int, height: Int)? {
        var size: (Int, Int)? = nil
        forEachSegment(data) { marker, body in
            guard (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker), body.count >= 5 else {
                return true
            }
            size = (Int(body[3]) << 8 | Int(body[4]), Int(body[1]) << 8 | Int(body[2]))
            return false
        }
        return size
    }
}
