import FaceDetect
import Foundation
import Imaging
import Tensor

/// Where a face chip lies in a photo: dlib's `chip_details` — a rectangle (dlib's `drectangle`,
/// inclusive corners, so its width is `right − left + 1`) rotated by `angle` radians about its
/// centre, sampled into a `size × size` chip.
public struct FaceChipDetails: Sendable, Equatable, Codable {
    public var left, top, right, bottom: Double
    public var angle: Double
    public var size: Int

    public init(left: Double, top: Double, right: Double, bottom: Double, angle: Double, size: Int) {
        self.left = left; self.top = top; self.right = right; self.bottom = bottom
        self.angle = angle; self.size = size
    }

    var rect: DRect { DRect(left: left, top: top, right: right, bottom: bottom) }

    /// Where chip pixel (c, r) samples the photo, without dlib's image pyramid: photo pixel
    /// coordinates `origin + c·columnStep + r·rowStep` (pixel centres at integers) — the map
    /// `FaceChipExtractor` samples through, for a differentiable cut (`affineResample`).
    public var chipToImage: AffineSampling {
        let (o, ac, ar) = FaceChipExtractor.axes(rect, angle: angle, size: size)
        return AffineSampling(origin: SIMD2(Float(o.0), Float(o.1)), columnStep: SIMD2(Float(ac.0), Float(ac.1)),
                              rowStep: SIMD2(Float(ar.0), Float(ar.1)))
    }

    /// dlib's `get_face_chip_details(det, size, padding)` for the 68 iBUG landmarks (0-based
    /// photo pixels; dlib's predictor rounds them to integers, and so should a caller that wants
    /// dlib's chips exactly).
    ///
    /// The least-squares similarity `T` (Umeyama; rotation, uniform scale, translation) takes
    /// dlib's mean face — points 27…54 and 60…64, `(padding + m)/(2·padding + 1) · size` in chip
    /// pixels — to the landmarks; then `angle = atan2(T·(1,0))`, `scale = |T·(1,0)|`, and the
    /// rectangle is centred on `T(size/2, size/2)` with side `size · scale` (dlib's
    /// `centered_drect`: corners at ±(side − 1)/2).
    public static func dlib(landmarks: [Point2], size: Int = 150, padding: Double = 0.25) -> FaceChipDetails {
        precondition(landmarks.count == 68, "face chips need the 68 iBUG landmarks")
        var from: [(Double, Double)] = [], to: [(Double, Double)] = []
        for i in 17..<68 where !(55...59).contains(i) && !(65...67).contains(i) && !(17...26).contains(i) {
            from.append(((padding + meanFaceX[i - 17]) / (2 * padding + 1) * Double(size),
                         (padding + meanFaceY[i - 17]) / (2 * padding + 1) * Double(size)))
            to.append((Double(landmarks[i].x), Double(landmarks[i].y)))
        }
        let t = SimilarityTransform.fit(from: from, to: to)
        let angle = atan2(t.b, t.a), scale = (t.a * t.a + t.b * t.b).squareRoot()
        let (cx, cy) = t.apply(Double(size) / 2, Double(size) / 2)
        let half = (Double(size) * scale - 1) / 2
        return FaceChipDetails(left: cx - half, top: cy - half, right: cx + half, bottom: cy + half,
                               angle: angle, size: size)
    }

    /// dlib's mean face shape (`get_face_chip_details`), points 17…67 in the unit square.
    static let meanFaceX: [Double] = [
        0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
        0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
        0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
        0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
        0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
        0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
        0.553364, 0.490127, 0.42689,
    ]
    static let meanFaceY: [Double] = [
        0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
        0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
        0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
        0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
        0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
        0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
        0.784792, 0.824182, 0.831803, 0.824182,
    ]
}

/// `p ↦ [a −b; b a]·p + t`, fitted by least squares (Umeyama 1991, eqs. 34–43, as dlib's
/// `find_similarity_transform`; in 2-D without reflection it is the closed form below).
struct SimilarityTransform {
    var a, b, tx, ty: Double

    static func fit(from: [(Double, Double)], to: [(Double, Double)]) -> SimilarityTransform {
        let n = Double(from.count)
        let mfx = from.map(\.0).reduce(0, +) / n, mfy = from.map(\.1).reduce(0, +) / n
        let mtx = to.map(\.0).reduce(0, +) / n, mty = to.map(\.1).reduce(0, +) / n
        var norm = 0.0, dot = 0.0, cross = 0.0
        for (f, t) in zip(from, to) {
            let (fx, fy, ux, uy) = (f.0 - mfx, f.1 - mfy, t.0 - mtx, t.1 - mty)
            norm += fx * fx + fy * fy
            dot += fx * ux + fy * uy
            cross += fx * uy - fy * ux
        }
        let a = dot / norm, b = cross / norm
        return SimilarityTransform(a: a, b: b, tx: mtx - (a * mfx - b * mfy), ty: mty - (b * mfx + a * mfy))
    }

    func apply(_ x: Double, _ y: Double) -> (Double, Double) { (a * x - b * y + tx, b * x + a * y + ty) }
}

/// dlib's `drectangle`: inclusive corners, `width = right − left + 1`, empty when `left > right`.
struct DRect: Equatable {
    var left, top, right, bottom: Double
    var area: Double { left > right || top > bottom ? 0 : (right - left + 1) * (bottom - top + 1) }
    var center: (Double, Double) { ((left + right) / 2, (top + bottom) / 2) }

    /// `pyramid_down<2>::rect_down`: each corner `p ↦ p/2 − (1.25, 0.75)`.
    var down: DRect { DRect(left: left / 2 - 1.25, top: top / 2 - 0.75, right: right / 2 - 1.25, bottom: bottom / 2 - 0.75) }

    func translated(_ dx: Double, _ dy: Double) -> DRect {
        DRect(left: left + dx, top: top + dy, right: right + dx, bottom: bottom + dy)
    }

    /// A corner rotated by `angle` about the centre (`rotate_point`).
    func rotated(_ x: Double, _ y: Double, by angle: Double) -> (Double, Double) {
        let (cx, cy) = center, c = cos(angle), s = sin(angle)
        return (c * (x - cx) - s * (y - cy) + cx, s * (x - cx) + c * (y - cy) + cy)
    }
}

/// dlib's `extract_image_chip` with bilinear interpolation, bit for bit.
///
/// When the chip is much smaller than its rectangle, bilinear sampling alone would alias, so dlib
/// first halves the photo (cropped to the rotated rectangle grown by a margin) with
/// `pyramid_down<2>` as many times as the rectangle, halved once more, still covers more than
/// `size²` pixels, and samples the chip from that level. Each chip pixel `(c, r)` maps through
/// the affine map taking the chip's corners (0,0), (size−1,0), (0,size−1) to the rotated
/// rectangle's corners; its value is the bilinear mix of the four pixels around it, truncated to
/// an integer, or black when any of the four lies outside the image.
public enum FaceChipExtractor {
    /// The chip (`size × size`, RGB). The photo must have 3 channels (see `Image.converted`).
    public static func extract(_ image: Image, _ details: FaceChipDetails) -> Image {
        precondition(image.channels == 3, "face chips are cut from RGB images")
        let size = details.size, rect = details.rect, chipArea = Double(size * size)
        var depth = 0, grow = 2.0, probe = rect.down
        while probe.area > chipArea {
            probe = probe.down
            depth += 1
            grow = grow * 2 + 2
        }
        // The rotated rectangle's bounding box, grown, clipped to the photo, rounded (`lround`).
        let corners = [(rect.left, rect.top), (rect.right, rect.top), (rect.left, rect.bottom), (rect.right, rect.bottom)]
            .map { rect.rotated($0.0, $0.1, by: details.angle) }
        let gl = max(corners.map(\.0).min()! - grow, 0), gt = max(corners.map(\.1).min()! - grow, 0)
        let gr = min(corners.map(\.0).max()! + grow, Double(image.width - 1))
        let gb = min(corners.map(\.1).max()! + grow, Double(image.height - 1))
        let (bl, bt, br, bb) = (lround(gl), lround(gt), lround(gr), lround(gb))
        var chip = Image(width: size, height: size, channels: 3)
        guard br >= bl, bb >= bt else { return chip }   // the rectangle misses the photo: all black
        var source = crop(image, left: bl, top: bt, right: br, bottom: bb)
        var local = rect.translated(-Double(bl), -Double(bt))
        var level = -1
        while local.down.area > chipArea {
            level += 1
            local = local.down
        }
        if level >= 0 { for _ in 0...level { source = pyramidDown(source) } }
        sample(source, rect: local, angle: details.angle, into: &chip)
        return chip
    }

    /// The cut-out `[left, right] × [top, bottom]` (inclusive) of an RGB image.
    static func crop(_ image: Image, left: Int, top: Int, right: Int, bottom: Int) -> Image {
        let w = right - left + 1, h = bottom - top + 1
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    let from = ((top + y) * image.width + left) * 3
                    for k in 0..<(3 * w) { dst[y * w * 3 + k] = src[from + k] }
                }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    /// dlib's `pyramid_down<2>` for RGB: the separable 5-tap filter [1 4 6 4 1] over rows (every
    /// second column from 0) then columns (every second row from 2), in integers, divided by 256
    /// and truncated; the result is `(h − 3)/2 × (w − 3)/2` (empty for 8 pixels or fewer).
    static func pyramidDown(_ image: Image) -> Image {
        let (w, h) = (image.width, image.height)
        guard w > 8, h > 8 else { return Image(width: 0, height: 0, channels: 3, pixels: []) }
        let tw = (w - 3) / 2, dh = (h - 3) / 2
        var rows = [UInt32](repeating: 0, count: h * tw * 3)
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h { for c in 0..<tw { for k in 0..<3 {
                let base = (y * w + 2 * c) * 3 + k
                rows[(y * tw + c) * 3 + k] = UInt32(p[base]) + 4 * UInt32(p[base + 3]) + 6 * UInt32(p[base + 6])
                    + 4 * UInt32(p[base + 9]) + UInt32(p[base + 12])
            } } }
        }
        var out = [UInt8](repeating: 0, count: dh * tw * 3)
        let line = tw * 3
        for d in 0..<dh {
            let r = 2 + 2 * d
            for i in 0..<line {
                let v = rows[(r - 2) * line + i] + 4 * rows[(r - 1) * line + i] + 6 * rows[r * line + i]
                    + 4 * rows[(r + 1) * line + i] + rows[(r + 2) * line + i]
                out[d * line + i] = UInt8(v / 256)
            }
        }
        return Image(width: tw, height: dh, channels: 3, pixels: out)
    }

    /// Bilinear sampling of the rotated `rect` of `source` into `chip` (dlib's `transform_image`
    /// with `interpolate_bilinear` and a black background).
    static func sample(_ source: Image, rect: DRect, angle: Double, into chip: inout Image) {
        let (o, (axc, ayc), (axr, ayr)) = axes(rect, angle: angle, size: chip.width)
        let (sw, sh, cw) = (source.width, source.height, chip.width)
        source.pixels.withUnsafeBufferPointer { src in
            chip.pixels.withUnsafeMutableBufferPointer { dst in
                for r in 0..<chip.height { for c in 0..<cw {
                    let x = o.0 + axc * Double(c) + axr * Double(r), y = o.1 + ayc * Double(c) + ayr * Double(r)
                    let fl = x.rounded(.down), ft = y.rounded(.down)
                    guard fl >= 0, ft >= 0, fl + 1 < Double(sw), ft + 1 < Double(sh) else { continue }
                    let (l, t) = (Int(fl), Int(ft)), fx = x - fl, fy = y - ft
                    let i00 = (t * sw + l) * 3, i10 = i00 + 3, i01 = i00 + sw * 3, i11 = i01 + 3
                    for k in 0..<3 {
                        let top = (1 - fx) * Double(src[i00 + k]) + fx * Double(src[i10 + k])
                        let bottom = (1 - fx) * Double(src[i01 + k]) + fx * Double(src[i11 + k])
                        dst[(r * cw + c) * 3 + k] = UInt8((1 - fy) * top + fy * bottom)
                    }
                } }
            }
        }
    }
}

extension FaceChipExtractor {
    /// The affine map taking the chip's corners (0, 0), (size − 1, 0), (0, size − 1) to the rotated
    /// rectangle's: (origin, step per column, step per row) in source pixels.
    static func axes(_ rect: DRect, angle: Double, size: Int) -> ((Double, Double), (Double, Double), (Double, Double)) {
        let n = Double(size - 1)
        let o = rect.rotated(rect.left, rect.top, by: angle)
        let x1 = rect.rotated(rect.right, rect.top, by: angle), y1 = rect.rotated(rect.left, rect.bottom, by: angle)
        return (o, ((x1.0 - o.0) / n, (x1.1 - o.1) / n), ((y1.0 - o.0) / n, (y1.1 - o.1) / n))
    }
}

/// C's `lround`: halves away from zero.
private func lround(_ x: Double) -> Int { Int(x.rounded(.toNearestOrAwayFromZero)) }
