import Foundation
import Imaging

/// A skin mask from 68 landmarks (iBUG order) in crop coordinates: the face region minus the eyes,
/// the brows and the mouth interior.
///
/// - face region: the polygon of the jaw line (0–16) closed over the brows (26 → 17), the brow
///   points lifted by `foreheadLift` × the face height (jaw-line top to chin) to take in the
///   lower forehead;
/// - eyes: the polygons 36–41 and 42–47 grown by `featureGrowth` × the outer-eye-corner distance
///   about their centroids (lashes and lids are not skin);
/// - brows: bands of half-width `browHalfWidth` × the eye-corner distance along 17–21 and 22–26;
/// - mouth interior: the inner-lip polygon 60–67, grown like the eyes.
/// Returns a one-channel image, 255 on skin and 0 elsewhere.
public struct SkinMask: Sendable {
    public var foreheadLift: Float = 0.12
    public var featureGrowth: Float = 0.08
    public var browHalfWidth: Float = 0.06

    public init() {}

    public func mask(landmarks p: [Point2], width: Int, height: Int) throws -> Image {
        var out = try faceRegion(landmarks: p, width: width, height: height)
        let eyeDistance = (p[36] - p[45]).length
        let grow = featureGrowth * eyeDistance
        for region in [Array(p[36...41]), Array(p[42...47]), Array(p[60...67])] {
            Polygon.fill(Polygon.grown(region, by: grow), value: 0, into: &out)
        }
        for brow in [Array(p[17...21]), Array(p[22...26])] {
            Polygon.fill(Polygon.band(brow, halfWidth: browHalfWidth * eyeDistance), value: 0, into: &out)
        }
        return out
    }

    /// The face region alone (255 inside the jaw line closed over the lifted brows, 0 outside),
    /// eyes, brows and mouth included: what a face texture may take from a photo.
    public func faceRegion(landmarks p: [Point2], width: Int, height: Int) throws -> Image {
        guard p.count == 68 else { throw AlignmentError.wrongPointCount(expected: 68, found: p.count) }
        guard p.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { throw AlignmentError.nonFinite }
        var out = Image(width: width, height: height, channels: 1)
        let faceHeight = p[8].y - min(p[0].y, p[16].y)
        let lift = Point2(0, -foreheadLift * max(faceHeight, 0))
        Polygon.fill(Array(p[0...16]) + (17...26).reversed().map { p[$0] + lift }, value: 255, into: &out)
        return out
    }
}

/// Polygon helpers for masks.
enum Polygon {
    /// Even-odd scanline fill at pixel centres: pixel (x, y) is inside when its centre is.
    static func fill(_ polygon: [Point2], value: UInt8, into image: inout Image) {
        guard polygon.count >= 3 else { return }
        let w = image.width, h = image.height
        let ys = polygon.map(\.y)
        let y0 = max(0, Int(ys.min()!.rounded(.up))), y1 = min(h - 1, Int(ys.max()!.rounded(.down)))
        guard y0 <= y1 else { return }
        for y in y0...y1 {
            let fy = Float(y)
            var xs: [Float] = []
            for i in 0..<polygon.count {
                let a = polygon[i], b = polygon[(i + 1) % polygon.count]
                // Half-open rule so a vertex on the scanline is counted once.
                if (a.y <= fy && b.y > fy) || (b.y <= fy && a.y > fy) {
                    xs.append(a.x + (fy - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            xs.sort()
            var k = 0
            while k + 1 < xs.count {
                let xa = max(0, Int(xs[k].rounded(.up))), xb = min(w - 1, Int(xs[k + 1].rounded(.down)))
                if xa <= xb { for x in xa...xb { image.pixels[y * w + x] = value } }
                k += 2
            }
        }
    }

    /// The polygon scaled about its centroid so each vertex moves out by about `d`.
    static func grown(_ polygon: [Point2], by d: Float) -> [Point2] {
        let n = Float(polygon.count)
        let c = Point2(polygon.map(\.x).reduce(0, +) / n, polygon.map(\.y).reduce(0, +) / n)
        return polygon.map { q in
            let v = q - c, len = v.length
            return len > 0 ? c + ((len + d) / len) * v : q
        }
    }

    /// A closed band around a polyline: the polyline offset by ±`halfWidth` along its normals.
    static func band(_ line: [Point2], halfWidth: Float) -> [Point2] {
        var upper: [Point2] = [], lower: [Point2] = []
        for i in 0..<line.count {
            let a = line[max(0, i - 1)], b = line[min(line.count - 1, i + 1)]
            let t = b - a, len = max(t.length, 1e-6)
            let normal = Point2(-t.y / len, t.x / len)
            upper.append(line[i] + halfWidth * normal)
            lower.append(line[i] - halfWidth * normal)
        }
        return upper + lower.reversed()
    }
}
