import Foundation
import Tensor

/// A deterministic synthetic model with FLAME's layout (five joints, skinning, pose correctives,
/// 68 landmarks, regions, UV seams) on a latitude–longitude sphere: for tests and benchmarks where
/// sizes matter, never for faces. Bases are smooth random fields (a few low-order harmonics per mode)
/// in metres; everything follows from `seed`.
public enum SyntheticModel {
    /// - Parameters: `rings`×`segments` grid (vertices = (rings − 1)·segments + 2).
    public static func make(rings: Int = 16, segments: Int = 20, identityCount: Int = 10,
                            expressionCount: Int = 6, poseCorrectives: Bool = true, seed: UInt64 = 1) -> MorphableModel {
        var rng = SplitMix64(seed: seed)
        let radius: Float = 0.1
        var positions: [SIMD3<Float>] = [[0, radius, 0]]
        for r in 1..<rings {
            let lat = Float.pi * Float(r) / Float(rings)
            for s in 0..<segments {
                let lon = 2 * Float.pi * Float(s) / Float(segments)
                positions.append(radius * SIMD3(sin(lat) * sin(lon), cos(lat), sin(lat) * cos(lon)))
            }
        }
        positions.append([0, -radius, 0])
        let (triangles, uvs, uvTriangles) = sphereTopology(rings: rings, segments: segments)
        let n = positions.count
        let template = positions.flatMap { [$0.x, $0.y, $0.z] }
        let identity = smoothBasis(positions, modes: identityCount, amplitude: 0.004, rng: &rng)
        let expression = smoothBasis(positions, modes: expressionCount, amplitude: 0.003, rng: &rng)
        let joints = [Joint(name: "global", parent: -1), Joint(name: "neck", parent: 0), Joint(name: "jaw", parent: 1),
                      Joint(name: "eye_left", parent: 1), Joint(name: "eye_right", parent: 1)]
        let centres: [SIMD3<Float>] = [[0, -0.08, -0.02], [0, -0.05, -0.01], [0, -0.02, 0.02], [0.03, 0.02, 0.08], [-0.03, 0.02, 0.08]]
        var weights = [Float](repeating: 0, count: n * 5)
        var regressor = [Float](repeating: 0, count: 5 * n)
        for (i, p) in positions.enumerated() {
            var raw = centres.map { c -> Float in exp(-dot(p - c, p - c) / 0.002) }
            raw[0] += 0.05
            let total = raw.reduce(0, +)
            for j in 0..<5 { weights[i * 5 + j] = raw[j] / total }
        }
        for j in 0..<5 {
            // Each joint is the mean of the 4 vertices nearest its centre.
            let nearest = positions.indices.sorted { dot(positions[$0] - centres[j], positions[$0] - centres[j]) <
                dot(positions[$1] - centres[j], positions[$1] - centres[j]) }.prefix(4)
            for i in nearest { regressor[j * n + i] = 0.25 }
        }
        let pose = poseCorrectives ? (0..<(3 * n * 36)).map { _ in 0.002 * rng.normal() } : []
        let landmarks = (0..<68).map { k -> LandmarkEmbedding in
            let a = rng.uniform(), b = rng.uniform() * (1 - a)
            return LandmarkEmbedding(triangle: Int32(k * 7 % (triangles.count / 3)), barycentric: SIMD3(a, b, 1 - a - b))
        }
        let regions = positions.map { p -> FaceRegion in
            if p.z > 0.09 { return .nose }
            if abs(p.x) > 0.09 { return .ears }
            return p.y < -0.07 ? .neck : .face
        }
        return MorphableModel(
            info: ModelInfo(name: "synthetic-sphere", version: "\(rings)x\(segments)-\(seed)", contentHash: "",
                            licence: "generated", source: "FaceModel.SyntheticModel"),
            template: template, triangles: triangles, uvs: uvs, uvTriangles: uvTriangles,
            identityBasis: identity, identityCount: identityCount, expressionBasis: expression,
            expressionNames: (0..<expressionCount).map { "synthetic\($0)" }, joints: joints,
            jointRegressor: regressor, skinWeights: weights, poseCorrectives: pose, landmarks: landmarks,
            dynamicContour: nil, vertexRegions: regions)
    }

    /// Triangles (counter-clockwise from outside) and per-corner UVs with a seam at longitude 0.
    static func sphereTopology(rings: Int, segments: Int) -> ([Int32], [Float], [Int32]) {
        var tri: [Int32] = [], uvTri: [Int32] = [], uvs: [Float] = []
        // UV grid (rings + 1)×(segments + 1): u = longitude, v = 1 − latitude.
        for r in 0...rings { for s in 0...segments { uvs += [Float(s) / Float(segments), 1 - Float(r) / Float(rings)] } }
        func vertex(_ r: Int, _ s: Int) -> Int32 {
            if r == 0 { return 0 }
            if r == rings { return Int32((rings - 1) * segments + 1) }
            return Int32(1 + (r - 1) * segments + s % segments)
        }
        func uv(_ r: Int, _ s: Int) -> Int32 { Int32(r * (segments + 1) + s) }
        for r in 0..<rings {
            for s in 0..<segments {
                if r > 0 {
                    tri += [vertex(r, s), vertex(r + 1, s), vertex(r, s + 1)]
                    uvTri += [uv(r, s), uv(r + 1, s), uv(r, s + 1)]
                }
                if r < rings - 1 {
                    tri += [vertex(r, s + 1), vertex(r + 1, s), vertex(r + 1, s + 1)]
                    uvTri += [uv(r, s + 1), uv(r + 1, s), uv(r + 1, s + 1)]
                }
            }
        }
        return (tri, uvs, uvTri)
    }

    /// (3N)×modes row-major: each mode a sum of three random sinusoids of position.
    static func smoothBasis(_ positions: [SIMD3<Float>], modes: Int, amplitude: Float, rng: inout SplitMix64) -> [Float] {
        var basis = [Float](repeating: 0, count: 3 * positions.count * modes)
        for k in 0..<modes {
            for _ in 0..<3 {
                let freq = SIMD3(rng.normal(), rng.normal(), rng.normal()) * 20
                let dir = SIMD3(rng.normal(), rng.normal(), rng.normal()) * amplitude
                let phase = rng.uniform() * 6.28
                for (i, p) in positions.enumerated() {
                    let w = sin(dot(freq, p) + phase)
                    for c in 0..<3 { basis[(3 * i + c) * modes + k] += w * dir[c] }
                }
            }
        }
        return basis
    }
}

/// The deterministic generator for synthetic data: Tensor's SplitMix64 `SeededGenerator`.
public typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
    /// Uniform in [0, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
