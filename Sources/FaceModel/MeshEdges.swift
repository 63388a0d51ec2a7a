/// The unique undirected edges of a triangle mesh and the edges at each vertex.
public struct MeshEdges: Sendable {
    /// E×2 vertex indices, a < b.
    public let endpoints: [Int32]
    /// CSR incidence: the edges at vertex i are `incident[start[i]..<start[i+1]]`.
    public let start: [Int32]
    public let incident: [Int32]

    public var count: Int { endpoints.count / 2 }

    public init(triangles: [Int32], vertexCount n: Int) {
        var keys = [UInt64]()
        keys.reserveCapacity(triangles.count)
        for f in stride(from: 0, to: triangles.count - 2, by: 3) {
            for (a, b) in [(triangles[f], triangles[f + 1]), (triangles[f + 1], triangles[f + 2]), (triangles[f + 2], triangles[f])] {
                let lo = UInt64(UInt32(min(a, b))), hi = UInt64(UInt32(max(a, b)))
                keys.append(lo << 32 | hi)
            }
        }
        keys.sort()
        var endpoints = [Int32]()
        var previous: UInt64?
        for key in keys where key != previous {
            endpoints += [Int32(truncatingIfNeeded: key >> 32), Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)]
            previous = key
        }
        var degree = [Int32](repeating: 0, count: n + 1)
        for v in endpoints { degree[Int(v) + 1] += 1 }
        for i in 0..<n { degree[i + 1] += degree[i] }
        var fill = degree
        var incident = [Int32](repeating: 0, count: endpoints.count)
        for e in 0..<(endpoints.count / 2) {
            for v in [endpoints[2 * e], endpoints[2 * e + 1]] {
                incident[Int(fill[Int(v)])] = Int32(e)
                fill[Int(v)] += 1
            }
        }
        self.endpoints = endpoints
        start = degree
        self.incident = incident
    }

    /// Length of every edge in an N×3 vertex array.
    public func lengths(_ vertices: [Float]) -> [Float] {
        (0..<count).map { e in
            let a = 3 * Int(endpoints[2 * e]), b = 3 * Int(endpoints[2 * e + 1])
            return length(SIMD3(vertices[a] - vertices[b], vertices[a + 1] - vertices[b + 1], vertices[a + 2] - vertices[b + 2]))
        }
    }
}
