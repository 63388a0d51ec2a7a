import Foundation
import Imaging
import Render

/// How a displacement map D (metres along the surface normal, D ∈ [−s, s], s = `scaleMetres`) is
/// stored as a 16-bit grey PNG (big-endian samples, as PNG stores them; libpng through
/// `PNGEncoder.encode(Image16)`):
///     value = round((clamp(D, −s, s) − o) / (2s) · 65535)          o = `offsetMetres` = −s
///     D     = o + 2s · value / 65535
/// so 0 ↦ −1 cm, 32767.5 ↦ 0, 65535 ↦ +1 cm with s = 1 cm; one step is 0.31 µm. In JSON the
/// members are `bits`, `scale_m`, `offset_m` and the decoding rule as text, `decode`.
public struct DisplacementEncoding: Codable, Sendable, Equatable {
    public var bits: Int
    public var scaleMetres: Double
    public var offsetMetres: Double
    public var decode: String

    /// 16 bits, s = 0.01 m (the paper's D ∈ [−0.01, 0.01]).
    public static let standard = DisplacementEncoding(bits: 16, scaleMetres: 0.01, offsetMetres: -0.01,
                                                      decode: "D = offset_m + 2 * scale_m * value / 65535")

    enum CodingKeys: String, CodingKey {
        case bits, scaleMetres = "scale_m", offsetMetres = "offset_m", decode
    }

    /// Throws unless this is a 16-bit encoding with a positive scale.
    func validate() throws {
        guard bits == 16, scaleMetres > 0, scaleMetres.isFinite, offsetMetres.isFinite else {
            throw WrinkleRig.Error.unsupported("displacement encoding \(bits) bits, scale \(scaleMetres) m, offset \(offsetMetres) m")
        }
    }

    /// The 16-bit image of a d×d×1 map (values outside [−s, s] clamp).
    public func image(_ displacement: TextureMap) throws -> Image16 {
        try validate()
        guard displacement.channels == 1 else {
            throw WrinkleRig.Error.mismatch("a displacement map has 1 channel, this one \(displacement.channels)")
        }
        let pixels = displacement.data.map { d -> UInt16 in
            let clamped = min(max(Double(d), -scaleMetres), scaleMetres)
            let value = ((clamped - offsetMetres) / (2 * scaleMetres) * 65535).rounded()
            return UInt16(min(max(value, 0), 65535))
        }
        return Image16(width: displacement.width, height: displacement.height, pixels: pixels)
    }

    /// The displacement map (metres) of a 16-bit image.
    public func displacement(_ image: Image16) throws -> TextureMap {
        try validate()
        return try TextureMap(width: image.width, height: image.height, channels: 1,
                              data: image.pixels.map { Float(offsetMetres + 2 * scaleMetres * Double($0) / 65535) })
    }
}
