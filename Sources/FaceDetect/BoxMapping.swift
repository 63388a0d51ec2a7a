import Foundation

/// A map from one detector's box convention to another's, as a shift of the centre and a scale of
/// the sides, both relative to the box size:
/// `c'ₓ = cₓ + dx·w`, `c'ᵧ = cᵧ + dy·h`, `w' = sw·w`, `h' = sh·h`.
///
/// dlib's 68-point model was trained on boxes of dlib's HOG detector, which are tighter than
/// OpenCV's cascade boxes and sit lower on the face; feeding it another detector's boxes unmapped
/// degrades the landmarks. `fit` estimates the map from pairs of boxes of the same faces.
public struct BoxMapping: Sendable, Equatable, Codable {
    public var dx: Float
    public var dy: Float
    public var scaleWidth: Float
    public var scaleHeight: Float

    public init(dx: Float, dy: Float, scaleWidth: Float, scaleHeight: Float) {
        self.dx = dx; self.dy = dy; self.scaleWidth = scaleWidth; self.scaleHeight = scaleHeight
    }

    public static let identity = BoxMapping(dx: 0, dy: 0, scaleWidth: 1, scaleHeight: 1)

    public func apply(_ box: FaceBox) -> FaceBox {
        let w = box.width, h = box.height, c = box.center
        let cx = c.x + dx * w, cy = c.y + dy * h
        let nw = scaleWidth * w, nh = scaleHeight * h
        return FaceBox(left: cx - (nw - 1) / 2, top: cy - (nh - 1) / 2, right: cx + (nw - 1) / 2, bottom: cy + (nh - 1) / 2)
    }

    /// The least-squares map in relative units: each parameter is the mean over the pairs of
    /// `(c'ₓ − cₓ)/w`, `(c'ᵧ − cᵧ)/h`, `w'/w`, `h'/h`. Returns `identity` for no pairs.
    public static func fit(from: [FaceBox], to: [FaceBox]) -> BoxMapping {
        precondition(from.count == to.count, "box lists must pair up")
        guard !from.isEmpty else { return .identity }
        var m = BoxMapping(dx: 0, dy: 0, scaleWidth: 0, scaleHeight: 0)
        for (a, b) in zip(from, to) {
            m.dx += (b.center.x - a.center.x) / a.width
            m.dy += (b.center.y - a.center.y) / a.height
            m.scaleWidth += b.width / a.width
            m.scaleHeight += b.height / a.height
        }
        let n = Float(from.count)
        return BoxMapping(dx: m.dx / n, dy: m.dy / n, scaleWidth: m.scaleWidth / n, scaleHeight: m.scaleHeight / n)
    }
}

/// A map from a detector's box and facial keypoints to dlib's box, linear in the keypoints:
/// with `c` the box centre, `w` its width and `kᵢ = (pᵢ − c)/w` the keypoints relative to it,
/// `[dx, dy, sw, sh] = W · [1, k₀ₓ, k₀ᵧ, …, kₙₓ, kₙᵧ]` and the mapped box has centre
/// `c + (dx·w, dy·w)` and size `(sw·w, sh·w)`. `W` is `4 × (1 + 2n)`.
///
/// BlazeFace's box stays centred on the head as it turns, while dlib's HOG boxes (which its
/// 68-point model was trained on) follow the eyes, nose and mouth: on afw a constant
/// `BoxMapping` leaves 0.11 box widths of horizontal error, the keypoints bring it to 0.03
/// (`Scripts/fit_blazeface_box_map.py`).
public struct KeypointBoxMapping: Sendable, Equatable {
    public var coefficients: [[Float]]

    public init(coefficients: [[Float]]) {
        precondition(coefficients.count == 4 && Set(coefficients.map(\.count)).count == 1, "KeypointBoxMapping is 4 × (1 + 2n)")
        self.coefficients = coefficients
    }

    public func apply(_ box: FaceBox, keypoints: [Point2]) -> FaceBox {
        let w = box.width, c = box.center
        precondition(coefficients[0].count == 1 + 2 * keypoints.count, "\(keypoints.count) keypoints for this map")
        let f: [Float] = [1] + keypoints.flatMap { [($0.x - c.x) / w, ($0.y - c.y) / w] }
        let m = coefficients.map { row in zip(row, f).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let (cx, cy, nw, nh) = (c.x + m[0] * w, c.y + m[1] * w, m[2] * w, m[3] * w)
        return FaceBox(left: cx - (nw - 1) / 2, top: cy - (nh - 1) / 2, right: cx + (nw - 1) / 2, bottom: cy + (nh - 1) / 2)
    }
}
