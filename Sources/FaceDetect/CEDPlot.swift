import Foundation
import Imaging

/// Renders cumulative error distribution (CED) curves — the fraction of faces with NME ≤ e
/// against e on [0, τ] — as an RGB image, with axes, grid, tick labels and a legend drawn with a
/// built-in 5×7 pixel font (no font library needed).
public enum CEDPlot {
    public struct Curve {
        public var label: String
        public var color: (UInt8, UInt8, UInt8)
        /// Per-face errors; `.infinity` for a face not found.
        public var errors: [Float]
        public init(label: String, color: (UInt8, UInt8, UInt8), errors: [Float]) {
            self.label = label; self.color = color; self.errors = errors
        }
    }

    public static func render(_ curves: [Curve], title: String, threshold: Float = 0.08,
                              width: Int = 640, height: Int = 480) -> Image {
        var canvas = Canvas(width: width, height: height)
        let left = 70, right = width - 40, top = 40, bottom = height - 60
        let plot = PlotFrame(left: left, right: right, top: top, bottom: bottom, xMax: threshold)
        for i in 0...8 {
            let x = plot.x(threshold * Float(i) / 8)
            canvas.line(x, top, x, bottom, color: (225, 225, 225))
            canvas.text(String(format: "%.2f", Double(threshold) * Double(i) / 8), x: x - 24, y: bottom + 8, color: (0, 0, 0))
        }
        for i in 0...10 {
            let y = plot.y(Float(i) / 10)
            canvas.line(left, y, right, y, color: (225, 225, 225))
            canvas.text(String(format: "%.1f", Double(i) / 10), x: left - 44, y: y - 7, color: (0, 0, 0))
        }
        canvas.line(left, bottom, right, bottom, color: (0, 0, 0))
        canvas.line(left, top, left, bottom, color: (0, 0, 0))
        canvas.text("NME (OUTER EYE CORNERS)", x: (left + right) / 2 - 140, y: height - 28, color: (0, 0, 0))
        canvas.text(title, x: left, y: 12, color: (0, 0, 0))
        for (k, curve) in curves.enumerated() {
            let cdf = LandmarkMetrics.cumulativeDistribution(curve.errors, threshold: threshold, steps: right - left)
            for i in 1..<cdf.count {
                let (x0, y0) = (plot.x(cdf[i - 1].error), plot.y(cdf[i - 1].fraction))
                let (x1, y1) = (plot.x(cdf[i].error), plot.y(cdf[i].fraction))
                canvas.line(x0, y0, x1, y1, color: curve.color)
                canvas.line(x0, y0 - 1, x1, y1 - 1, color: curve.color)
            }
            let ly = top + 12 + 20 * k
            canvas.line(left + 16, ly + 6, left + 46, ly + 6, color: curve.color)
            canvas.line(left + 16, ly + 7, left + 46, ly + 7, color: curve.color)
            canvas.text(curve.label, x: left + 54, y: ly, color: curve.color)
        }
        return canvas.image
    }
}

private struct PlotFrame {
    let left, right, top, bottom: Int
    let xMax: Float
    func x(_ e: Float) -> Int { left + Int((min(e, xMax) / xMax * Float(right - left)).rounded()) }
    func y(_ f: Float) -> Int { bottom - Int((f * Float(bottom - top)).rounded()) }
}

/// An RGB drawing surface with lines and 5×7 text at 2× scale.
private struct Canvas {
    var image: Image

    init(width: Int, height: Int) {
        image = Image(width: width, height: height, channels: 3, pixels: [UInt8](repeating: 255, count: width * height * 3))
    }

    mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let o = (y * image.width + x) * 3
        image.pixels[o] = c.0; image.pixels[o + 1] = c.1; image.pixels[o + 2] = c.2
    }

    /// Bresenham's line.
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, color: (UInt8, UInt8, UInt8)) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, color)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    mutating func text(_ s: String, x: Int, y: Int, color: (UInt8, UInt8, UInt8)) {
        var cx = x
        for ch in s.uppercased() {
            if let rows = Font5x7.glyphs[ch] {
                for (r, bits) in rows.enumerated() {
                    for c in 0..<5 where bits & (0x10 >> c) != 0 {
                        for dy in 0..<2 { for dx in 0..<2 { set(cx + 2 * c + dx, y + 2 * r + dy, color) } }
                    }
                }
            }
            cx += 12
        }
    }
}

/// A 5×7 pixel font: each glyph is 7 rows of 5 bits, the leftmost pixel the 0x10 bit.
private enum Font5x7 {
    static let glyphs: [Character: [UInt8]] = [
        "0": [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], "1": [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        "2": [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], "3": [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        "4": [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], "5": [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        "6": [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], "7": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        "8": [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], "9": [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ".": [0, 0, 0, 0, 0, 0x0C, 0x0C], "-": [0, 0, 0, 0x1F, 0, 0, 0], ":": [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        "(": [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02], ")": [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        "=": [0, 0, 0x1F, 0, 0x1F, 0, 0], "/": [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10],
        ",": [0, 0, 0, 0, 0x0C, 0x04, 0x08], "@": [0x0E, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0E],
        "A": [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11], "B": [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        "C": [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E], "D": [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        "E": [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F], "F": [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        "G": [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F], "H": [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        "I": [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E], "J": [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        "K": [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11], "L": [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        "M": [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11], "N": [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        "O": [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], "P": [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        "Q": [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D], "R": [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        "S": [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E], "T": [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        "U": [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E], "V": [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        "W": [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A], "X": [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        "Y": [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04], "Z": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
    ]
}
