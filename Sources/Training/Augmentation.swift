import Foundation
import Imaging
import Tensor

/// Training-time augmentation of an aligned crop and its landmarks, as the anchors of the training
/// recipes do: a random similarity (scale, rotation, shift), mirroring with the iBUG landmark re-indexing, colour (gain per channel,
/// brightness, grey), blur and noise. Deterministic for a given generator state.
///
/// The similarity is small on purpose: every crop, in training and in use, is aligned to the
/// template by the detector's 68 landmarks, so what the encoder must tolerate is only that
/// alignment's residual error (a similarity fitted to 68 points of ~3 % IOD error each moves the
/// crop by about a pixel). The first runs jittered by ±10 px, ±12° and ±8 %: on 64 faces the encoder
/// then learned nothing but the mean face in 300 steps, where without jitter it fitted them.
public struct Augmentation: Sendable, Codable, Equatable {
    public var scale: Float = 0.03
    public var rotationDegrees: Float = 4
    public var shift: Float = 4
    public var mirrorProbability: Float = 0.5
    public var colourGain: Float = 0.15
    public var greyProbability: Float = 0.1
    public var blurProbability: Float = 0.15
    public var noiseProbability: Float = 0.3
    public var noiseSigma: Float = 6
    /// Probability of black bands over the crop's sides (each side 0–25 % deep): tight sources
    /// (UTKFace) are padded black where the photo ends, and without bands on every source the
    /// band's position is a shortcut to the landmarks that does not exist on other photos.
    public var borderBandProbability: Float = 0.5

    public init() {}

    /// No augmentation at all (validation).
    public static let none: Augmentation = {
        var a = Augmentation()
        a.scale = 0; a.rotationDegrees = 0; a.shift = 0; a.mirrorProbability = 0; a.colourGain = 0
        a.greyProbability = 0; a.blurProbability = 0; a.noiseProbability = 0; a.borderBandProbability = 0
        return a
    }()

    /// The iBUG 68 index each point takes in the mirrored face.
    public static let mirroredIndex: [Int] = {
        var m = Array(0..<68)
        func pair(_ a: Int, _ b: Int) { m[a] = b; m[b] = a }
        for i in 0..<8 { pair(i, 16 - i) }
        for i in 0..<5 { pair(17 + i, 26 - i) }
        pair(31, 35); pair(32, 34)
        pair(36, 45); pair(37, 44); pair(38, 43); pair(39, 42); pair(40, 47); pair(41, 46)
        pair(48, 54); pair(49, 53); pair(50, 52); pair(55, 59); pair(56, 58)
        pair(60, 64); pair(61, 63); pair(65, 67)
        return m
    }()

    /// Writes the augmented crop, normalised for the encoder, to `out` (3 planes of size²) and
    /// returns the landmarks carried with it.
    public func apply(crop: UnsafePointer<UInt8>, size: Int, landmarks: [SIMD2<Float>], into out: UnsafeMutablePointer<Float>,
                      using g: inout SeededGenerator) -> [SIMD2<Float>] {
        let c = Float(size - 1) / 2
        let s = 1 + scale * (2 * Float.random(in: 0...1, using: &g) - 1)
        let angle = rotationDegrees * .pi / 180 * (2 * Float.random(in: 0...1, using: &g) - 1)
        let dx = shift * (2 * Float.random(in: 0...1, using: &g) - 1), dy = shift * (2 * Float.random(in: 0...1, using: &g) - 1)
        let mirror = Float.random(in: 0...1, using: &g) < mirrorProbability
        // Output p = A (m(q) − c) + c + d, with m the mirror x ↦ size − 1 − x.
        let (ca, sa) = (s * cos(angle), s * sin(angle))
        let f: Float = mirror ? -1 : 1
        let a = AffineTransform(a: ca * f, b: -sa, tx: c + dx - ca * f * c + sa * c,
                                c: sa * f, d: ca, ty: c + dy - sa * f * c - ca * c)
        let image = Image(width: size, height: size, channels: 3, pixels: Array(UnsafeBufferPointer(start: crop, count: size * size * 3)))
        let warped = (try? warpAffine(image, matrix: a, width: size, height: size, border: .constant(0))) ?? image
        var points = landmarks.map { p in SIMD2(a.a * p.x + a.b * p.y + a.tx, a.c * p.x + a.d * p.y + a.ty) }
        if mirror { points = Augmentation.mirroredIndex.map { points[$0] } }
        var banded = warped
        if Float.random(in: 0...1, using: &g) < borderBandProbability {
            let depth = (0..<4).map { _ in Float.random(in: 0...1, using: &g) < 0.5 ? Int(Float(size) * 0.25 * Float.random(in: 0...1, using: &g)) : 0 }
            for y in 0..<size {
                for x in 0..<size where x < depth[0] || x >= size - depth[1] || y < depth[2] || y >= size - depth[3] {
                    for k in 0..<3 { banded.pixels[(y * size + x) * 3 + k] = 0 }
                }
            }
        }
        writeColour(banded, size: size, into: out, using: &g)
        return points
    }

    private func writeColour(_ image: Image, size: Int, into out: UnsafeMutablePointer<Float>, using g: inout SeededGenerator) {
        let plane = size * size
        var gain = (0..<3).map { _ in 1 + colourGain * (2 * Float.random(in: 0...1, using: &g) - 1) }
        let brightness = 40 * colourGain * (2 * Float.random(in: 0...1, using: &g) - 1)
        let grey = Float.random(in: 0...1, using: &g) < greyProbability
        let blur = Float.random(in: 0...1, using: &g) < blurProbability
        let sigma = Float.random(in: 0...1, using: &g) < noiseProbability ? noiseSigma * Float.random(in: 0...1, using: &g) : 0
        if grey { gain = [1, 1, 1] }
        let px = image.pixels
        func at(_ x: Int, _ y: Int, _ k: Int) -> Float { Float(px[(y * size + x) * 3 + k]) }
        for y in 0..<size {
            for x in 0..<size {
                var rgb = SIMD3<Float>.zero
                for k in 0..<3 {
                    if blur, x > 0, y > 0, x < size - 1, y < size - 1 {
                        rgb[k] = (4 * at(x, y, k) + at(x - 1, y, k) + at(x + 1, y, k) + at(x, y - 1, k) + at(x, y + 1, k)) / 8
                    } else {
                        rgb[k] = at(x, y, k)
                    }
                }
                if grey { rgb = SIMD3(repeating: 0.299 * rgb.x + 0.587 * rgb.y + 0.114 * rgb.z) }
                let n = sigma > 0 ? sigma * g.normal() : 0
                for k in 0..<3 {
                    let v = min(255, max(0, rgb[k] * gain[k] + brightness + n))
                    out[k * plane + y * size + x] = (v / 255 - 0.5) * 4
                }
            }
        }
    }
}
