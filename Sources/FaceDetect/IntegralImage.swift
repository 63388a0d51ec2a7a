import Imaging

/// Summed-area tables of a one-channel image: `sum[(y)(w+1) + x] = Σ_{y'<y, x'<x} I(x', y')`, and
/// the same of `I²` for window variances. Row and column 0 are zero, so a box sum is four reads:
/// `Σ(x, y, w, h) = S[y][x] − S[y][x+w] − S[y+h][x] + S[y+h][x+w]`.
struct IntegralImage {
    let width: Int
    let height: Int
    /// Row stride of the tables, `width + 1`.
    let stride: Int
    var sum: [Int32]
    var squares: [Double]

    init(gray: Image, withSquares: Bool) {
        width = gray.width
        height = gray.height
        stride = width + 1
        sum = [Int32](repeating: 0, count: stride * (height + 1))
        squares = withSquares ? [Double](repeating: 0, count: stride * (height + 1)) : []
        let w = width, st = stride
        gray.pixels.withUnsafeBufferPointer { pix in
            sum.withUnsafeMutableBufferPointer { s in
                for y in 0..<height {
                    var row: Int32 = 0
                    for x in 0..<w {
                        row += Int32(pix[y * w + x])
                        s[(y + 1) * st + x + 1] = s[y * st + x + 1] + row
                    }
                }
            }
            guard withSquares else { return }
            squares.withUnsafeMutableBufferPointer { q in
                for y in 0..<height {
                    var row = 0.0
                    for x in 0..<w {
                        let v = Double(pix[y * w + x])
                        row += v * v
                        q[(y + 1) * st + x + 1] = q[y * st + x + 1] + row
                    }
                }
            }
        }
    }
}

extension Image {
    /// Bilinear resampling of a one-channel image to `width` × `height` with pixel-centre
    /// alignment (`x_src = (x + ½)·sx − ½`, clamped at the borders), as OpenCV's INTER_LINEAR
    /// which the cascades were trained with.
    func resizedGrayBilinear(width dw: Int, height dh: Int) -> Image {
        precondition(channels == 1)
        let sx = Float(width) / Float(dw), sy = Float(height) / Float(dh)
        var out = [UInt8](repeating: 0, count: dw * dh)
        let xs: [(Int, Int, Float)] = (0..<dw).map { x in
            let f = max(0, min(Float(width - 1), (Float(x) + 0.5) * sx - 0.5))
            let x0 = Int(f)
            return (x0, min(x0 + 1, width - 1), f - Float(x0))
        }
        let w = width
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<dh {
                    let f = max(0, min(Float(height - 1), (Float(y) + 0.5) * sy - 0.5))
                    let y0 = Int(f), y1 = min(Int(f) + 1, height - 1), fy = f - Float(y0)
                    for x in 0..<dw {
                        let (x0, x1, fx) = xs[x]
                        let top = Float(src[y0 * w + x0]) * (1 - fx) + Float(src[y0 * w + x1]) * fx
                        let bottom = Float(src[y1 * w + x0]) * (1 - fx) + Float(src[y1 * w + x1]) * fx
                        dst[y * dw + x] = UInt8(top * (1 - fy) + bottom * fy + 0.5)
                    }
                }
            }
        }
        return Image(width: dw, height: dh, channels: 1, pixels: out)
    }
}
