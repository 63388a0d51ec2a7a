import Foundation

/// A 2-D point in pixel coordinates, 0-based: (0, 0) is the centre of the top-left pixel.
public struct Point2: Sendable, Equatable, Codable {
    public var x: Float
    public var y: Float
    public init(_ x: Float, _ y: Float) { self.x = x; self.y = y }
    public init(x: Float, y: Float) { self.x = x; self.y = y }

    public static func + (a: Point2, b: Point2) -> Point2 { Point2(a.x + b.x, a.y + b.y) }
    public static func - (a: Point2, b: Point2) -> Point2 { Point2(a.x - b.x, a.y - b.y) }
    public static func * (s: Float, p: Point2) -> Point2 { Point2(s * p.x, s * p.y) }
    /// Euclidean length of the vector from the origin.
    public var length: Float { (x * x + y * y).squareRoot() }
}

/// An axis-aligned box in pixel coordinates, 0-based, with dlib's inclusive corners:
/// it covers pixels `left...right` × `top...bottom`, so `width == right - left + 1`.
public struct FaceBox: Sendable, Equatable, Codable {
    public var left: Float
    public var top: Float
    public var right: Float
    public var bottom: Float

    public init(left: Float, top: Float, right: Float, bottom: Float) {
        self.left = left; self.top = top; self.right = right; self.bottom = bottom
    }

    /// The box of `width` × `height` pixels whose top-left pixel is (x, y) (OpenCV's `Rect`).
    public init(x: Float, y: Float, width: Float, height: Float) {
        self.init(left: x, top: y, right: x + width - 1, bottom: y + height - 1)
    }

    /// The tight box around a set of points (e.g. annotated landmarks).
    public init(enclosing points: [Point2]) {
        var box = FaceBox(left: .infinity, top: .infinity, right: -.infinity, bottom: -.infinity)
        for p in points {
            box.left = min(box.left, p.x); box.right = max(box.right, p.x)
            box.top = min(box.top, p.y); box.bottom = max(box.bottom, p.y)
        }
        self = box
    }

    public var width: Float { right - left + 1 }
    public var height: Float { bottom - top + 1 }
    public var area: Float { max(0, width) * max(0, height) }
    public var center: Point2 { Point2((left + right) / 2, (top + bottom) / 2) }

    /// Intersection over union with dlib's inclusive-corner areas.
    public func iou(_ other: FaceBox) -> Float {
        let w = min(right, other.right) - max(left, other.left) + 1
        let h = min(bottom, other.bottom) - max(top, other.top) + 1
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        return inter / (area + other.area - inter)
    }

    /// The fraction of this box's area inside `other` (0 for an empty box).
    public func fractionInside(_ other: FaceBox) -> Float {
        let w = min(right, other.right) - max(left, other.left) + 1
        let h = min(bottom, other.bottom) - max(top, other.top) + 1
        guard w > 0, h > 0, area > 0 else { return 0 }
        return w * h / area
    }

    /// The box with its corners rounded to whole pixels (dlib's `rectangle` holds integers).
    public var rounded: FaceBox {
        FaceBox(left: left.rounded(), top: top.rounded(), right: right.rounded(), bottom: bottom.rounded())
    }
}

/// A 2-D similarity transform `p ↦ A p + t` with `A = [[a, -b], [b, a]]` (rotation and uniform
/// scale `s = sqrt(a² + b²)`, no reflection).
public struct Similarity2D: Sendable, Equatable {
    public var a: Float
    public var b: Float
    public var tx: Float
    public var ty: Float

    public init(a: Float, b: Float, tx: Float, ty: Float) { self.a = a; self.b = b; self.tx = tx; self.ty = ty }

    public static let identity = Similarity2D(a: 1, b: 0, tx: 0, ty: 0)

    /// Uniform scale factor.
    public var scale: Float { (a * a + b * b).squareRoot() }

    public func apply(_ p: Point2) -> Point2 {
        Point2(a * p.x - b * p.y + tx, b * p.x + a * p.y + ty)
    }

    /// Applies only the linear part `A p` (for displacement vectors).
    public func applyLinear(_ p: Point2) -> Point2 {
        Point2(a * p.x - b * p.y, b * p.x + a * p.y)
    }

    /// The inverse map: `A⁻¹ = [[a, b], [-b, a]] / (a² + b²)`, `t⁻¹ = -A⁻¹ t`.
    public var inverse: Similarity2D {
        let d = a * a + b * b
        let ia = a / d, ib = -b / d
        return Similarity2D(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// `self ∘ other`: first `other`, then `self`.
    public func composed(after other: Similarity2D) -> Similarity2D {
        let t = apply(Point2(other.tx, other.ty))
        return Similarity2D(a: a * other.a - b * other.b, b: b * other.a + a * other.b, tx: t.x, ty: t.y)
    }

    /// The least-squares similarity taking `from[i]` to `to[i]` (Umeyama 1991, 2-D closed form):
    /// with centred points `p = from - μ_from`, `q = to - μ_to`,
    /// `a = Σ(p·q) / Σ|p|²`, `b = Σ(p × q) / Σ|p|²`, `t = μ_to - A μ_from`.
    /// Accumulates in Double: dlib's cascade calls this 15 times per face on 68 points.
    public static func fit(from: [Point2], to: [Point2]) -> Similarity2D {
        precondition(from.count == to.count && !from.isEmpty, "point sets must match and be non-empty")
        let n = Double(from.count)
        var mfx = 0.0, mfy = 0.0, mtx = 0.0, mty = 0.0
        for i in 0..<from.count {
            mfx += Double(from[i].x); mfy += Double(from[i].y)
            mtx += Double(to[i].x); mty += Double(to[i].y)
        }
        mfx /= n; mfy /= n; mtx /= n; mty /= n
        var dot = 0.0, cross = 0.0, norm = 0.0
        for i in 0..<from.count {
            let px = Double(from[i].x) - mfx, py = Double(from[i].y) - mfy
            let qx = Double(to[i].x) - mtx, qy = Double(to[i].y) - mty
            dot += px * qx + py * qy
            cross += px * qy - py * qx
            norm += px * px + py * py
        }
        guard norm > 0 else { return Similarity2D(a: 1, b: 0, tx: Float(mtx - mfx), ty: Float(mty - mfy)) }
        let a = dot / norm, b = cross / norm
        return Similarity2D(a: Float(a), b: Float(b),
                            tx: Float(mtx - (a * mfx - b * mfy)), ty: Float(mty - (b * mfx + a * mfy)))
    }
}
