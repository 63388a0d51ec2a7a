/// SHA-256 of a model's arrays, so two bundles can tell they used the same model
/// (`ModelInfo.contentHash`). A plain FIPS 180-4 implementation: Foundation on Linux has none.
public enum ContentHash {
    /// Hex SHA-256 over template, triangles, UVs, bases, skeleton and landmark embedding.
    public static func of(_ m: MorphableModel) -> String {
        var h = SHA256()
        for array in [m.template, m.uvs, m.identityBasis, m.expressionBasis, m.jointRegressor, m.skinWeights, m.poseCorrectives] {
            array.withUnsafeBytes { h.update($0) }
        }
        for array in [m.triangles, m.uvTriangles] { array.withUnsafeBytes { h.update($0) } }
        for l in m.landmarks {
            withUnsafeBytes(of: l.triangle) { h.update($0) }
            withUnsafeBytes(of: l.barycentric) { h.update($0) }
        }
        h.update(Array(m.expressionNames.joined(separator: "\n").utf8))
        return h.finalize().map { String(format2($0)) }.joined()
    }

    static func format2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}

/// SHA-256 (FIPS 180-4).
public struct SHA256 {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    public mutating func update<B: Sequence>(_ bytes: B) where B.Element == UInt8 {
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// Whole 64-byte blocks go straight from `raw` to the compression function.
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        var i = 0
        length += UInt64(raw.count)
        if !buffer.isEmpty {
            while i < raw.count, buffer.count < 64 { buffer.append(raw[i]); i += 1 }
            if buffer.count == 64 { buffer.withUnsafeBytes { compress($0.baseAddress!) }; buffer.removeAll(keepingCapacity: true) }
        }
        while i + 64 <= raw.count { compress(raw.baseAddress! + i); i += 64 }
        while i < raw.count { buffer.append(raw[i]); i += 1 }
    }

    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail = buffer + [0x80]
        while tail.count % 64 != 56 { tail.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(s))) }
        tail.withUnsafeBytes { t in for start in stride(from: 0, to: t.count, by: 64) { compress(t.baseAddress! + start) } }
        return state.flatMap { w in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: w >> UInt32($0)) } }
    }

    private mutating func compress(_ pointer: UnsafeRawPointer) {
        let block = pointer.assumingMemoryBound(to: UInt8.self)
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 {
                w[t] = UInt32(block[4 * t]) << 24 | UInt32(block[4 * t + 1]) << 16 | UInt32(block[4 * t + 2]) << 8 | UInt32(block[4 * t + 3])
            }
            for t in 16..<64 {
                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
            SHA256.k.withUnsafeBufferPointer { k in
                for t in 0..<64 {
                    let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[t] &+ w[t]
                    let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                    (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
                }
            }
            for (i, v) in [a, b, c, d, e, f, g, h].enumerated() { state[i] = state[i] &+ v }
        }
    }
}
