import Foundation

/// A 2-D affine map  x' = a·x + b·y + tx,  y' = c·x + d·y + ty  (pixel-centre coordinates, see
/// Resampling.swift), i.e. the matrix [[a, b, tx], [c, d, ty]] as OpenCV writes it.
public struct AffineTransform: Sendable, Equatable {
    public var a: Float, b: Float, tx: Float
    public var c: Float, d: Float, ty: Float

    public init(a: Float, b: Float, tx: Float, c: Float, d: Float, ty: Float) {
        (self.a, self.b, self.tx, self.c, self.d, self.ty) = (a, b, tx, c, d, ty)
    }

    public static let identity = AffineTransform(a: 1, b: 0, tx: 0, c: 0, d: 1, ty: 0)

    public static func translation(x: Float, y: Float) -> AffineTransform {
        AffineTransform(a: 1, b: 0, tx: x, c: 0, d: 1, ty: y)
    }

    /// Rotation by `angle` radians (counter-clockwise in a y-up frame, so clockwise on screen where
    /// y points down) and uniform `scale` about the origin, then a shift by (tx, ty).
    public static func similarity(scale: Float, angle: Float, tx: Float = 0, ty: Float = 0) -> AffineTransform {
        let (s, co) = (scale * sin(angle), scale * cos(angle))
        return AffineTransform(a: co, b: -s, tx: tx, c: s, d: co, ty: ty)
    }

    public func apply(x: Float, y: Float) -> (x: Float, y: Float) {
        (a * x + b * y + tx, c * x + d * y + ty)
    }

    /// `self` after `other`: p ↦ self(other(p)).
    public func concatenating(_ other: AffineTransform) -> AffineTransform {
        AffineTransform(a: a * other.a + b * other.c, b: a * other.b + b * other.d,
                        tx: a * other.tx + b * other.ty + tx,
                        c: c * other.a + d * other.c, d: c * other.b + d * other.d,
                        ty: c * other.tx + d * other.ty + ty)
    }

    /// The inverse map, or nil when the linear part is singular (|det| below 1e-12 of its scale).
    public func inverted() -> AffineTransform? {
        let det = Double(a) * Double(d) - Double(b) * Double(c)
        let scale = max(abs(Double(a)), abs(Double(b)), abs(Double(c)), abs(Double(d)), 1e-30)
        guard det.isFinite, abs(det) > 1e-12 * scale * scale else { return nil }
        let ia = Double(d) / det, ib = -Double(b) / det, ic = -Double(c) / det, id = Double(a) / det
        return AffineTransform(a: Float(ia), b: Float(ib), tx: Float(-(ia * Double(tx) + ib * Double(ty))),
                               c: Float(ic), d: Float(id), ty: Float(-(ic * Double(tx) + id * Double(ty))))
    }

    /// The least-squares similarity (scale, rotation, translation) taking `source` points to
    /// `target` points (Umeyama without reflection) — the usual way to build a face-crop matrix
    /// from detected landmarks and template positions. Nil for fewer than 2 points or all-equal
    /// sources.
    public static func similarity(from source: [(x: Float, y: Float)], to target: [(x: Float, y: Float)]) -> AffineTransform? {
        let n = min(source.count, target.count)
        guard n >= 2 else { return nil }
        var (msx, msy, mtx, mty) = (0.0, 0.0, 0.0, 0.0)
        for i in 0..<n {
            msx += Double(source[i].x); msy += Double(source[i].y)
            mtx += Double(target[i].x); mty += Double(target[i].y)
        }
        (msx, msy, mtx, mty) = (msx / Double(n), msy / Double(n), mtx / Double(n), mty / Double(n))
        // With u = source − mean, v = target − mean: p = Σ u·v, q = Σ u×v, var = Σ |u|².
        var (p, q, variance) = (0.0, 0.0, 0.0)
        for i in 0..<n {
            let ux = Double(source[i].x) - msx, uy = Double(source[i].y) - msy
            let vx = Double(target[i].x) - mtx, vy = Double(target[i].y) - mty
            p += ux * vx + uy * vy
            q += ux * vy - uy * vx
            variance += ux * ux + uy * uy
        }
        guard variance > 1e-12 else { return nil }
        // Optimal [[α, −β], [β, α]] = [[p, −q], [q, p]] / var.
        let alpha = p / variance, beta = q / variance
        return AffineTransform(a: Float(alpha), b: Float(-beta), tx: Float(mtx - alpha * msx + beta * msy),
                               c: Float(beta), d: Float(alpha), ty: Float(mty - beta * msx - alpha * msy))
    }
}

/// Warps `image` by `matrix` (source → output coordinates) into a `width × height` image: each
/// output pixel p reads the source at matrix⁻¹(p) with bilinear interpolation; samples outside the
/// source come from `border`. This is how 256×256 face crops are cut: matrix maps the photo's
/// landmarks onto the crop template. Bilinear reads only 4 taps, so when the map shrinks by more
/// than 2× (a face crop from a 12-Mpixel photo), `resized` the photo first to avoid aliasing.
public func warpAffine(_ image: Image, matrix: AffineTransform, width: Int, height: Int,
                       border: Border = .constant(0)) throws -> Image {
    precondition(width > 0 && height > 0, "warpAffine needs a positive output size")
    guard let inv = matrix.inverted() else { throw ImageError.singularTransform }
    let c = image.channels
    var out = [UInt8](repeating: 0, count: width * height * c)
    var texel = [Float](repeating: 0, count: c)
    image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            texel.withUnsafeMutableBufferPointer { t in
                for y in 0..<height {
                    // Incremental inverse map along the row: one add per pixel.
                    var sx = inv.b * Float(y) + inv.tx, sy = inv.d * Float(y) + inv.ty
                    for x in 0..<width {
                        Bilinear.sample(src, width: image.width, height: image.height, channels: c,
                                        x: sx, y: sy, border: border, into: t.baseAddress!)
                        let o = (y * width + x) * c
                        for k in 0..<c { dst[o + k] = UInt8(min(255, max(0, t[k] + 0.5))) }
                        sx += inv.a
                        sy += inv.c
                    }
                }
            }
        }
    }
    return Image(width: width, height: height, channels: c, pixels: out)
}
