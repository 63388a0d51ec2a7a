import Foundation

/// Axis-angle rotations (FLAME's `batch_rodrigues`) and their derivatives.
public enum Rodrigues {
    /// The axis-angle vector of a rotation matrix (the inverse of `matrix`).
    public static func axisAngle(_ r: Mat3) -> SIMD3<Float> {
        let trace = r.r0.x + r.r1.y + r.r2.z
        let angle = acosf(max(-1, min(1, (trace - 1) / 2)))
        let v = SIMD3(r.r2.y - r.r1.z, r.r0.z - r.r2.x, r.r1.x - r.r0.y)
        if angle < 1e-6 { return v / 2 }
        if angle > Float.pi - 1e-3 {
            // Near π the antisymmetric part vanishes: the axis is the column of R + I with the largest norm.
            let cols = [SIMD3(r.r0.x + 1, r.r1.x, r.r2.x), SIMD3(r.r0.y, r.r1.y + 1, r.r2.y), SIMD3(r.r0.z, r.r1.z, r.r2.z + 1)]
            let best = cols.max { length($0) < length($1) }!
            return angle * best / length(best)
        }
        return angle / (2 * sinf(angle)) * v
    }

    /// R(v) = I + sin|v|·K + (1 − cos|v|)·K², K = [v/|v|]×; the first-order form I + [v]× + ½[v]×²
    /// below 1e-6 rad, where the closed form loses precision.
    public static func matrix(_ v: SIMD3<Float>) -> Mat3 {
        let angle = length(v)
        let k = Mat3.skew(v)
        if angle < 1e-6 { return Mat3.identity + k + 0.5 * (k * k) }
        let s = Float(Foundation.sin(Double(angle))) / angle
        let c = Float(1 - Foundation.cos(Double(angle))) / (angle * angle)
        return Mat3.identity + s * k + c * (k * k)
    }

    /// The angular velocities ωᵢ with ∂R/∂vᵢ = [ωᵢ]× R (i = x, y, z), after Gallego & Yezzi (2015):
    ///     ωᵢ = (vᵢ v + v × ((I − R) eᵢ)) / |v|²,
    /// and ωᵢ = eᵢ + ½ v × eᵢ near zero.
    public static func angularJacobian(_ v: SIMD3<Float>, rotation r: Mat3) -> [SIMD3<Float>] {
        let axes: [SIMD3<Float>] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        let angle2 = dot(v, v)
        if angle2 < 1e-10 { return axes.map { $0 + 0.5 * cross(v, $0) } }
        let iMinusR = Mat3.identity - r
        return (0..<3).map { i in
            let column = SIMD3(iMinusR.r0[i], iMinusR.r1[i], iMinusR.r2[i])
            return (v[i] * v + cross(v, column)) / angle2
        }
    }

    /// ∂R/∂vᵢ = [ωᵢ]× R for i = x, y, z.
    public static func derivatives(_ v: SIMD3<Float>, rotation r: Mat3) -> [Mat3] {
        angularJacobian(v, rotation: r).map { Mat3.skew($0) * r }
    }
}
