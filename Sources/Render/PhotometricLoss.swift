/// The masked photometric loss between a rendered and a target image (the paper's L_pho, as in
/// DECA): with M_p ∈ [0, 1] the mask,
///     L1:  L = Σ_p M_p Σ_c |I_r(p,c) − I(p,c)| / Σ_p M_p
///     L2:  L = Σ_p M_p Σ_c (I_r(p,c) − I(p,c))² / Σ_p M_p
/// Images are H×W×3, the mask H×W; the gradient ∂L/∂I_r has the image's shape.
public enum PhotometricLoss {
    public enum Norm: Sendable { case l1, l2 }

    public static func evaluate(rendered: TextureMap, target: TextureMap, mask: [Float], norm: Norm = .l1)
        throws -> (value: Float, gradient: [Float]) {
        guard rendered.width == target.width, rendered.height == target.height,
              rendered.channels == target.channels else {
            throw RenderError.shapeMismatch("rendered \(rendered.width)×\(rendered.height)×\(rendered.channels) vs target \(target.width)×\(target.height)×\(target.channels)")
        }
        let pixels = rendered.width * rendered.height, channels = rendered.channels
        guard mask.count == pixels else {
            throw RenderError.shapeMismatch("mask has \(mask.count) values for \(pixels) pixels")
        }
        let total = mask.reduce(0, +)
        var gradient = [Float](repeating: 0, count: rendered.data.count)
        guard total > 0 else { return (0, gradient) }
        var value: Float = 0
        for p in 0..<pixels where mask[p] != 0 {
            let w = mask[p] / total
            for c in 0..<channels {
                let i = p * channels + c
                let r = rendered.data[i] - target.data[i]
                switch norm {
                case .l1:
                    value += w * abs(r)
                    gradient[i] = r > 0 ? w : (r < 0 ? -w : 0)
                case .l2:
                    value += w * r * r
                    gradient[i] = 2 * w * r
                }
            }
        }
        return (value, gradient)
    }
}
