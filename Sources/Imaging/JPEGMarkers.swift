import Foundation

/// A walk over the JPEG marker segments that precede the first scan (SOS), for the bits turbojpeg
/// does not report: EXIF orientation and the frame size as written in SOF.
enum JPEGMarkers {
    /// Why a walk ended.
    enum WalkEnd {
        case startOfScan, endOfImage, stoppedByCaller, malformed
        /// The data ran out before SOS: the file was cut off inside its header.
        case endOfData
    }

    /// Calls `body(marker, segmentPayload)` for each segment before SOS until it returns false.
    /// Stops at the first malformation; callers treat a missing answer as "not present".
    @discardableResult
    static func forEachSegment(_ data: Data, _ body: (UInt8, UnsafeBufferPointer<UInt8>) -> Bool) -> WalkEnd {
        data.withUnsafeBytes { raw -> WalkEnd in
            let b = raw.bindMemory(to: UInt8.self)
            guard b.count >= 2, b[0] == 0xFF, b[1] == 0xD8 else { return .malformed }
            var p = 2
            while p + 2 <= b.count {
                guard b[p] == 0xFF else { return .malformed }
                let marker = b[p + 1]
                if marker == 0xFF { p += 1; continue }                // fill byte
                if marker == 0xD9 { return .endOfImage }
                if (0xD0...0xD7).contains(marker) || marker == 0x01 { p += 2; continue } // no length
                guard p + 4 <= b.count else { return .endOfData }
                let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
                guard length >= 2 else { return .malformed }
                guard p + 2 + length <= b.count else { return .endOfData }
                if marker == 0xDA { return .startOfScan }
                let payload = UnsafeBufferPointer(rebasing: b[(p + 4)..<(p + 2 + length)])
                if !body(marker, payload) { return .stoppedByCaller }
                p += 2 + length
            }
            return .endOfData
        }
    }

    /// True when the data ends inside the header, before the first scan is complete-able.
    static func headerIsCutOff(_ data: Data) -> Bool {
        forEachSegment(data) { _, _ in true } == .endOfData
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
