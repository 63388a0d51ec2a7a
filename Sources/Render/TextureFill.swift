/// Filling and feathering of partially known textures (the bundle texture's unseen texels, the
/// albedo model's texels outside its training domain).
public enum TextureFill {
    /// Pull-push fill (Gortler et al. 1996): values with weights w ∈ [0, 1] on a W×H×C grid are
    /// averaged down a pyramid (2×2 weighted means, weights summed and clamped at 1) and pushed
    /// back up, each level taking w·own + (1 − w)·(bilinear upsampling of the coarser level). Known
    /// texels (w = 1) keep their value; unknown ones get a smooth blend of the nearest known
    /// ones at every scale. Returns the filled W×H×C values.
    public static func pullPush(_ values: [Float], weights: [Float], width: Int, height: Int, channels: Int) -> [Float] {
        precondition(values.count == width * height * channels && weights.count == width * height)
        if width <= 1 && height <= 1 {
            return weights[0] > 0 ? values : [Float](repeating: 0, count: channels)
        }
        let w2 = (width + 1) / 2, h2 = (height + 1) / 2
        var coarse = [Float](repeating: 0, count: w2 * h2 * channels), coarseWeight = [Float](repeating: 0, count: w2 * h2)
        for y in 0..<height {
            for x in 0..<width {
                let s = y * width + x, t = (y / 2) * w2 + x / 2, w = weights[s]
                guard w > 0 else { continue }
                coarseWeight[t] += w
                for c in 0..<channels { coarse[t * channels + c] += w * values[s * channels + c] }
            }
        }
        for t in 0..<(w2 * h2) where coarseWeight[t] > 0 {
            for c in 0..<channels { coarse[t * channels + c] /= coarseWeight[t] }
            coarseWeight[t] = min(1, coarseWeight[t])
        }
        let filledCoarse = pullPush(coarse, weights: coarseWeight, width: w2, height: h2, channels: channels)
        var out = values
        for y in 0..<height {
            for x in 0..<width {
                let s = y * width + x, w = min(1, max(0, weights[s]))
                guard w < 1 else { continue }
                // Bilinear upsampling: fine texel centre (x + ½)/2 − ½ in coarse texel units.
                let fx = (Float(x) + 0.5) / 2 - 0.5, fy = (Float(y) + 0.5) / 2 - 0.5
                let x0 = max(0, min(w2 - 1, Int(fx.rounded(.down)))), y0 = max(0, min(h2 - 1, Int(fy.rounded(.down))))
                let x1 = min(w2 - 1, x0 + 1), y1 = min(h2 - 1, y0 + 1)
                let ax = max(0, min(1, fx - Float(x0))), ay = max(0, min(1, fy - Float(y0)))
                for c in 0..<channels {
                    let v00 = filledCoarse[(y0 * w2 + x0) * channels + c], v10 = filledCoarse[(y0 * w2 + x1) * channels + c]
                    let v01 = filledCoarse[(y1 * w2 + x0) * channels + c], v11 = filledCoarse[(y1 * w2 + x1) * channels + c]
                    let up = (1 - ay) * ((1 - ax) * v00 + ax * v10) + ay * ((1 - ax) * v01 + ax * v11)
                    out[s * channels + c] = w * values[s * channels + c] + (1 - w) * up
                }
            }
        }
        return out
    }

    /// A feathered version of a 0/1 mask for seamless compositing: the mask box-blurred with
    /// radius r (three passes, close to a Gaussian of σ ≈ r), then mapped so texels deep inside
    /// keep 1 and the weight falls smoothly to 0 at the mask's edge: f = clamp(2·blur − 1, 0, 1)·mask.
    public static func feather(_ mask: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        guard radius > 0 else { return mask }
        var blurred = mask
        for _ in 0..<3 {
            blurred = boxBlur(blurred, width: width, height: height, radius: radius, horizontal: true)
            blurred = boxBlur(blurred, width: width, height: height, radius: radius, horizontal: false)
        }
        return zip(blurred, mask).map { b, m in m > 0 ? min(1, max(0, 2 * b - 1)) * m : 0 }
    }

    /// One box-filter pass along rows or columns (running sums, edge texels repeated).
    static func boxBlur(_ v: [Float], width: Int, height: Int, radius r: Int, horizontal: Bool) -> [Float] {
        var out = v
        let lines = horizontal ? height : width, length = horizontal ? width : height
        let scale = 1 / Float(2 * r + 1)
        for line in 0..<lines {
            @inline(__always) func index(_ i: Int) -> Int {
                let k = min(max(i, 0), length - 1)
                return horizontal ? line * width + k : k * width + line
            }
            var sum: Float = 0
            for i in -r...r { sum += v[index(i)] }
            for i in 0..<length {
                out[index(i)] = sum * scale
                sum += v[index(i + r + 1)] - v[index(i - r)]
            }
        }
        return out
    }
}
