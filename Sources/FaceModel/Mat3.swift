/// A 3×3 float matrix stored by rows; small fixed-size maths for skeletons and cameras
/// (Linux has no `simd_float3x3`).
public struct Mat3: Sendable, Equatable, Codable {
    public var r0: SIMD3<Float>
    public var r1: SIMD3<Float>
    public var r2: SIMD3<Float>

    public init(rows r0: SIMD3<Float>, _ r1: SIMD3<Float>, _ r2: SIMD3<Float>) {
        self.r0 = r0
        self.r1 = r1
        self.r2 = r2
    }

    public static let identity = Mat3(rows: [1, 0, 0], [0, 1, 0], [0, 0, 1])
    public static let zero = Mat3(rows: .zero, .zero, .zero)

    /// The cross-product matrix [v]×, so that [v]× x = v × x.
    public static func skew(_ v: SIMD3<Float>) -> Mat3 {
        Mat3(rows: [0, -v.z, v.y], [v.z, 0, -v.x], [-v.y, v.x, 0])
    }

    /// Row-major 9 numbers.
    public var flat: [Float] { [r0.x, r0.y, r0.z, r1.x, r1.y, r1.z, r2.x, r2.y, r2.z] }

    public var transposed: Mat3 {
        Mat3(rows: [r0.x, r1.x, r2.x], [r0.y, r1.y, r2.y], [r0.z, r1.z, r2.z])
    }

    public static func * (m: Mat3, v: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((m.r0 * v).sum(), (m.r1 * v).sum(), (m.r2 * v).sum())
    }

    public static func * (a: Mat3, b: Mat3) -> Mat3 {
        Mat3(rows: a.r0.x * b.r0 + a.r0.y * b.r1 + a.r0.z * b.r2,
             a.r1.x * b.r0 + a.r1.y * b.r1 + a.r1.z * b.r2,
             a.r2.x * b.r0 + a.r2.y * b.r1 + a.r2.z * b.r2)
    }

    public static func + (a: Mat3, b: Mat3) -> Mat3 { Mat3(rows: a.r0 + b.r0, a.r1 + b.r1, a.r2 + b.r2) }
    public static func - (a: Mat3, b: Mat3) -> Mat3 { Mat3(rows: a.r0 - b.r0, a.r1 - b.r1, a.r2 - b.r2) }
    public static func * (s: Float, m: Mat3) -> Mat3 { Mat3(rows: s * m.r0, s * m.r1, s * m.r2) }
}

@inline(__always) func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inline(__always) func dot(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float { (a * b).sum() }

@inline(__always) func length(_ a: SIMD3<Float>) -> Float { dot(a, a).squareRoot() }
