import Foundation

// Coordinates: pixel (i, j) covers [i, i+1) × [j, j+1) and has its centre at (i, j) for sampling,
// i.e. `sample(x: 2, y: 3)` returns pixel (2, 3) exactly and `x = 2.5` is halfway to pixel 3.

/// What sampling returns outside the image.
public enum Border: Sendable, Equatable {
    /// Every channel reads this value outside (edges blend towards it bilinearly).
    case constant(UInt8)
    /// The nearest edge pixel is repeated.
    case clamp
}

extension Image {
    /// Bilinear interpolation of all channels at (x, y), in 0...255 (not rounded).
    ///
    /// v = (1−fx)(1−fy)·p(x0,y0) + fx(1−fy)·p(x0+1,y0) + (1−fx)fy·p(x0,y0+1) + fx·fy·p(x0+1,y0+1),
    /// with x0 = ⌊x⌋, fx = x − x0 (likewise y).
    public func sample(x: Float, y: Float, border: Border = .clamp) -> [Float] {
        var out = [Float](repeating: 0, count: channels)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Bilinear.sample(src, width: width, height: height, channels: channels, x: x, y: y,
                                border: border, into: dst.baseAddress!)
            }
        }
        return out
    }

    /// The image scaled to `width × height`. Along an axis that shrinks, each output pixel is the
    /// area average of the source pixels it covers (exact fractional coverage, no aliasing); along
    /// an axis that grows, it is interpolated linearly between the two nearest source centres.
    /// The two axes are filtered separately in Float and rounded once.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "resized needs a positive size")
        if newWidth == width && newHeight == height { return self }
        let c = channels
        let horizontal = AxisFilter(source: width, target: newWidth)
        let vertical = AxisFilter(source: height, target: newHeight)
        // Pass 1: rows → [height, newWidth, c]; pass 2: columns → [newHeight, newWidth, c].
        var rows = [Float](repeating: 0, count: height * newWidth * c)
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let srcRow = y * width * c, dstRow = y * newWidth * c
                    for ox in 0..<newWidth {
                        let taps = horizontal.taps(ox)
                        for k in 0..<c {
                            var acc: Float = 0
                            for t in taps { acc += Float(src[srcRow + t.index * c + k]) * t.weight }
                            dst[dstRow + ox * c + k] = acc
                        }
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * c)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let rowLength = newWidth * c
                for oy in 0..<newHeight {
                    let taps = vertical.taps(oy)
                    for i in 0..<rowLength {
                        var acc: Float = 0
                        for t in taps { acc += src[t.index * rowLength + i] * t.weight }
                        dst[oy * rowLength + i] = UInt8(min(255, max(0, acc + 0.5)))
                    }
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: c, pixels: out)
    }
}

/// Per-output-index taps (source index, weight) for one axis of `resized`.
struct AxisFilter {
    struct Tap { var index: Int; var weight: Float }
    private var starts: [Int] = [0]
    private var all: [Tap] = []

    init(source: Int, target: Int) {
        let scale = Double(source) / Double(target)
        for o in 0..<target {
            if scale > 1 {
                // Area average: overlap of [j, j+1) with [o·s, (o+1)·s), normalised by s.
                let lo = Double(o) * scale, hi = Double(o + 1) * scale
                var j = Int(lo.rounded(.down))
                while Double(j) < hi && j < source {
                    let overlap = min(hi, Double(j + 1)) - max(lo, Double(j))
                    if overlap > 1e-9 { all.append(Tap(index: j, weight: Float(overlap / scale))) }
                    j += 1
                }
            } else {
                // Linear interpolation between the nearest centres, edges clamped.
                let s = (Double(o) + 0.5) * scale - 0.5
                let j0 = Int(s.rounded(.down)), t = s - Double(j0)
                let a = min(max(j0, 0), source - 1), b = min(max(j0 + 1, 0), source - 1)
                all.append(Tap(index: a, weight: Float(1 - t)))
                all.append(Tap(index: b, weight: Float(t)))
            }
            starts.append(all.count)
        }
    }

    func taps(_ o: Int) -> ArraySlice<Tap> { all[starts[o]..<starts[o + 1]] }

}

/// The bilinear kernel shared by `sample` and `warpAffine`.
enum Bilinear {
    @inline(__always)
    static func sample(_ src: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int, channels c: Int,
                       x: Float, y: Float, border: Border, into out: UnsafeMutablePointer<Float>) {
        guard x.isFinite, y.isFinite, x > -2, y > -2, x < Float(w + 1), y < Float(h + 1) else {
            // Far outside (or NaN): no tap can touch the image.
            let v: Float
            switch border {
            case .constant(let fill): v = Float(fill)
            case .clamp:
                let cx = x.isNaN ? 0 : min(max(Int(max(min(x, 1e9), -1e9)), 0), w - 1)
                let cy = y.isNaN ? 0 : min(max(Int(max(min(y, 1e9), -1e9)), 0), h - 1)
                for k in 0..<c { out[k] = Float(src[(cy * w + cx) * c + k]) }
                return
            }
            for k in 0..<c { out[k] = v }
            return
        }
        let fx0 = x.rounded(.down), fy0 = y.rounded(.down)
        let x0 = Int(fx0), y0 = Int(fy0)
        let tx = x - fx0, ty = y - fy0
        let w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty
        if x0 >= 0, y0 >= 0, x0 + 1 < w, y0 + 1 < h {
            let p = (y0 * w + x0) * c, q = p + w * c
            for k in 0..<c {
                out[k] = w00 * Float(src[p + k]) + w10 * Float(src[p + c + k])
                    + w01 * Float(src[q + k]) + w11 * Float(src[q + c + k])
            }
            return
        }
        for k in 0..<c { out[k] = 0 }
        for n in 0..<4 {
            let weight = n == 0 ? w00 : n == 1 ? w10 : n == 2 ? w01 : w11
            if weight == 0 { continue }
            var px = x0 + (n & 1), py = y0 + (n >> 1)
            let inside = px >= 0 && py >= 0 && px < w && py < h
            if !inside, case .constant(let fill) = border {
                for k in 0..<c { out[k] += weight * Float(fill) }
                continue
            }
            px = min(max(px, 0), w - 1)
            py = min(max(py, 0), h - 1)
            let p = (py * w + px) * c
            for k in 0..<c { out[k] += weight * Float(src[p + k]) }
        }
    }
}
