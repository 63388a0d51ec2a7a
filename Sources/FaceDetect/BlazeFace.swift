import Foundation
import Imaging
import Tensor

/// MediaPipe's BlazeFace short-range face detector (Bazarevsky et al. 2019, "BlazeFace:
/// Sub-millisecond Neural Face Detection on Mobile GPUs"), run on the Tensor engine.
///
/// Weights: `Resources/blazeface_short_range.safetensors`, converted from the `.tflite` model in
/// the `mediapipe` 0.10.21 wheel by `Scripts/convert_blazeface.py` (Apache-2.0, see
/// `Resources/BLAZEFACE_LICENSE`). 101 390 parameters.
///
/// Pipeline, as MediaPipe's `face_detection_short_range` graph runs it:
/// 1. `letterbox`: the square of side `max(W, H)` centred on the photo, mapped corner to corner
///    onto a 128×128 RGB input in [-1, 1] (bilinear, black outside).
/// 2. `BlazeFaceNetwork`: 896 anchors' classification logits and 16 regressed values each.
/// 3. `decode`: score `σ(logit)`, box and 6 keypoints relative to the anchor centre.
/// 4. `weightedNonMaxSuppression`: overlapping detections (IoU > 0.3) averaged, weighted by score.
/// 5. Back to photo pixels through the letterbox.
public struct BlazeFace: Sendable {
    /// One face: a square box in photo pixels (continuous coordinates: pixel `i` spans `[i, i+1)`
    /// in MediaPipe's convention, i.e. `xmin` is the left edge), the score and six keypoints:
    /// right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion
    /// (the subject's right and left).
    public struct Detection: Sendable, Equatable {
        public var xmin, ymin, width, height: Float
        public var score: Float
        public var keypoints: [Point2]
        /// Candidates merged into this detection by the weighted NMS.
        public var merged: Int

        /// The detection as a `FaceBox` (dlib's inclusive corners).
        public var box: FaceBox { FaceBox(x: xmin, y: ymin, width: width, height: height) }
    }

    public static let inputSize = 128
    /// MediaPipe's `min_score_thresh` for this model.
    public var minimumScore: Float = 0.5
    /// MediaPipe's `min_suppression_threshold` (IoU) for the weighted NMS.
    public var suppressionIoU: Float = 0.3

    public let network: BlazeFaceNetwork

    public init(network: BlazeFaceNetwork) { self.network = network }

    /// The bundled short-range model.
    public init() throws {
        guard let url = Bundle.module.url(forResource: "blazeface_short_range", withExtension: "safetensors") else {
            throw BlazeFaceError.missingWeights("blazeface_short_range.safetensors is not in the FaceDetect bundle")
        }
        self.init(network: try BlazeFaceNetwork(contentsOf: url))
    }

    /// The faces in a photo (any channel count), best score first.
    public func detect(_ image: Image) -> [Detection] {
        let (input, frame) = BlazeFace.letterbox(image)
        let (regressors, logits) = network.forward(input)
        let candidates = BlazeFace.decode(regressors: regressors, logits: logits, minimumScore: minimumScore)
        return BlazeFace.weightedNonMaxSuppression(candidates, threshold: suppressionIoU).map { frame.toPhoto($0) }
    }

    // MARK: Letterbox

    /// Where the 128×128 input sits on the photo: input pixel `u` reads photo `x = x₀ + u·step`.
    public struct Frame: Sendable {
        public var x0, y0, step: Float

        /// A detection in input-normalised units ([0, 1] over the input) → photo pixels.
        func toPhoto(_ d: Detection) -> Detection {
            let s = step * Float(BlazeFace.inputSize)
            var out = d
            out.xmin = x0 + d.xmin * s; out.ymin = y0 + d.ymin * s
            out.width = d.width * s; out.height = d.height * s
            out.keypoints = d.keypoints.map { Point2(x0 + $0.x * s, y0 + $0.y * s) }
            return out
        }
    }

    /// The network input `[1, 3, 128, 128]` (RGB; a gray photo is replicated) in [-1, 1]:
    /// `in[c][v][u] = bilinear(photo, x₀ + u·step, y₀ + v·step) / 127.5 − 1` with
    /// `step = max(W, H)/128`, `x₀ = (W − max(W, H))/2`, `y₀` likewise, every bilinear tap outside
    /// the photo reading black (−1). This is OpenCV's `warpPerspective` (INTER_LINEAR,
    /// BORDER_CONSTANT 0) as MediaPipe's `ImageToTensorCalculator` calls it with
    /// `keep_aspect_ratio`; the corner-to-corner map (not centre-to-centre) matters: half a pixel
    /// of shift moves the regressed boxes by several per cent.
    public static func letterbox(_ image: Image) -> (input: Tensor, frame: Frame) {
        let n = inputSize, side = Float(max(image.width, image.height))
        let frame = Frame(x0: (Float(image.width) - side) / 2, y0: (Float(image.height) - side) / 2, step: side / Float(n))
        let input = Tensor(uninitialized: [1, 3, n, n])
        let (w, h, c) = (image.width, image.height, image.channels)
        /// Bilinear taps along one axis: the two source indices (−1 when outside) and weights.
        func taps(_ origin: Float, _ size: Int) -> [(Int, Int, Float)] {
            (0..<n).map { u in
                let x = origin + Float(u) * frame.step, f = x.rounded(.down), i = Int(f)
                return (i >= 0 && i < size ? i : -1, i + 1 >= 0 && i + 1 < size ? i + 1 : -1, x - f)
            }
        }
        let (xs, ys) = (taps(frame.x0, w), taps(frame.y0, h))
        let planes = (0..<3).map { input.data + $0 * n * n }
        image.pixels.withUnsafeBufferPointer { px in
            func value(_ x: Int, _ y: Int, _ ch: Int) -> Float {
                x < 0 || y < 0 ? 0 : Float(px[(y * w + x) * c + (c >= 3 ? ch : 0)])
            }
            for (v, (y0, y1, fy)) in ys.enumerated() {
                for (u, (x0, x1, fx)) in xs.enumerated() {
                    for ch in 0..<3 {
                        let top = value(x0, y0, ch) * (1 - fx) + value(x1, y0, ch) * fx
                        let bottom = value(x0, y1, ch) * (1 - fx) + value(x1, y1, ch) * fx
                        planes[ch][v * n + u] = (top * (1 - fy) + bottom * fy) / 127.5 - 1
                    }
                }
            }
        }
        return (input, frame)
    }

    // MARK: Anchors and decoding

    /// The 896 anchor centres in input-normalised units, in the network's output order: a 16×16
    /// grid (stride 8) with 2 anchors per cell, then an 8×8 grid (stride 16) with 6, cells
    /// row-major, centre `((x + ½)/grid, (y + ½)/grid)`. MediaPipe's `SsdAnchorsCalculator` with
    /// `fixed_anchor_size` (every anchor 1×1, so only the centres matter).
    public static let anchors: [Point2] = {
        var out: [Point2] = []
        for (grid, perCell) in [(16, 2), (8, 6)] {
            let g = Float(grid)
            for cell in 0..<(grid * grid) {
                let centre = Point2((Float(cell % grid) + 0.5) / g, (Float(cell / grid) + 0.5) / g)
                out += [Point2](repeating: centre, count: perCell)
            }
        }
        return out
    }()

    /// Candidates with `σ(logit) ≥ minimumScore`, in input-normalised units: with `r = raw/128`
    /// and anchor centre `a`, centre `a + (r₀, r₁)`, size `(r₂, r₃)`, keypoint `k` at
    /// `a + (r₄₊₂ₖ, r₅₊₂ₖ)`. `regressors` `[896, 16]`, `logits` `[896]`.
    public static func decode(regressors: Tensor, logits: Tensor, minimumScore: Float) -> [Detection] {
        precondition(regressors.shape == [anchors.count, 16] && logits.count == anchors.count, "BlazeFace output shapes")
        let scale = 1 / Float(inputSize)
        return anchors.indices.compactMap { i in
            let score = 1 / (1 + exp(-min(100, max(-100, logits.data[i]))))
            guard score >= minimumScore else { return nil }
            let r = regressors.data + i * 16, a = anchors[i]
            let (cx, cy, w, h) = (a.x + r[0] * scale, a.y + r[1] * scale, r[2] * scale, r[3] * scale)
            let keypoints = (0..<6).map { k in Point2(a.x + r[4 + 2 * k] * scale, a.y + r[5 + 2 * k] * scale) }
            return Detection(xmin: cx - w / 2, ymin: cy - h / 2, width: w, height: h, score: score, keypoints: keypoints, merged: 1)
        }
    }

    /// MediaPipe's weighted NMS: repeatedly take the best remaining detection; every remaining
    /// detection overlapping it by IoU > `threshold` leaves the pool with it, and the
    /// output is their score-weighted mean box (corners) and keypoints, with the best's score.
    public static func weightedNonMaxSuppression(_ detections: [Detection], threshold: Float) -> [Detection] {
        var pool = detections.sorted { $0.score > $1.score }
        var out: [Detection] = []
        while let best = pool.first {
            let rest = pool.dropFirst()
            let overlapping = [best] + rest.filter { iou(best, $0) > threshold }
            pool = rest.filter { iou(best, $0) <= threshold }
            let total = overlapping.reduce(0) { $0 + $1.score }
            var (x0, y0, x1, y1): (Float, Float, Float, Float) = (0, 0, 0, 0)
            var keypoints = [Point2](repeating: Point2(0, 0), count: best.keypoints.count)
            for d in overlapping {
                let w = d.score / total
                x0 += w * d.xmin; y0 += w * d.ymin; x1 += w * (d.xmin + d.width); y1 += w * (d.ymin + d.height)
                for k in keypoints.indices { keypoints[k] = keypoints[k] + w * d.keypoints[k] }
            }
            out.append(Detection(xmin: x0, ymin: y0, width: x1 - x0, height: y1 - y0, score: best.score,
                                 keypoints: keypoints, merged: overlapping.count))
        }
        return out
    }

    /// Intersection over union of two continuous boxes.
    static func iou(_ a: Detection, _ b: Detection) -> Float {
        let w = min(a.xmin + a.width, b.xmin + b.width) - max(a.xmin, b.xmin)
        let h = min(a.ymin + a.height, b.ymin + b.height) - max(a.ymin, b.ymin)
        guard w > 0, h > 0 else { return 0 }
        let union = a.width * a.height + b.width * b.height - w * h
        return union > 0 ? w * h / union : 0
    }
}

public enum BlazeFaceError: Error, Equatable, CustomStringConvertible {
    case missingWeights(String)
    case badWeights(String)

    public var description: String {
        switch self {
        case let .missingWeights(m): return "BlazeFace weights missing: \(m)"
        case let .badWeights(m): return "BlazeFace weights malformed: \(m)"
        }
    }
}

/// BlazeFace's convolutional network (short range), NCHW:
///
/// ```
/// x [1,3,128,128] ─ conv 5×5/2 (3→24, SAME) ─ ReLU                        → [1,24,64,64]
///   ─ 16 BlazeBlocks: y = ReLU(pw(dw(x)) + pad_C(skip(x)))
///       dw: depthwise 3×3 (SAME), stride 2 in blocks 2, 5, 11 (skip = 2×2 max-pool there)
///       pw: 1×1 conv to the block's width; pad_C appends zero channels to the skip
///     widths 24 28 32 36 42 48 56 64 72 80 88 | 96 96 96 96 96
///   f₈ = block 10's output [1,88,16,16],  f₁₆ = block 15's output [1,96,8,8]
/// heads (1×1 convs): classificator_8 f₈→2, regressor_8 f₈→32, classificator_16 f₁₆→6,
///   regressor_16 f₁₆→96; each read NHWC-wise into [anchors, values] and concatenated.
/// ```
/// Weights are frozen (`requiresGrad` false), so every op takes its gradient-free path: no tape,
/// no saved activations.
public final class BlazeFaceNetwork: @unchecked Sendable {
    // Read-only after init: the tensors are never written, so sharing across threads is safe.
    let weights: [String: Tensor]
    static let stride2Blocks: Set<Int> = [2, 5, 11]
    static let blockCount = 16

    public init(weights: [String: Tensor]) throws {
        for name in Self.requiredNames where weights[name] == nil {
            throw BlazeFaceError.badWeights("no tensor \(name)")
        }
        self.weights = weights
    }

    public convenience init(contentsOf url: URL) throws {
        let file = try SafeTensorsFile.read(contentsOf: url)
        var weights: [String: Tensor] = [:]
        for name in file.names {
            let t = file[name]!
            weights[name] = Tensor(try t.floats(), shape: t.shape)
        }
        try self.init(weights: weights)
    }

    static func depthwiseName(_ block: Int) -> String { block == 0 ? "depthwise_conv2d" : "depthwise_conv2d_\(block)" }
    static var requiredNames: [String] {
        let layers = ["conv2d"] + (0..<blockCount).flatMap { [depthwiseName($0), "conv2d_\($0 + 1)"] }
            + ["classificator_8", "regressor_8", "classificator_16", "regressor_16"]
        return layers.flatMap { [$0 + ".weight", $0 + ".bias"] }
    }

    private func conv(_ x: Tensor, _ layer: String, stride: Int = 1) -> Tensor {
        let w = weights[layer + ".weight"]!
        let pad = ConvPadding.same(height: x.shape[2], width: x.shape[3], kernel: w.shape[2], stride: stride)
        return conv2d(x, weight: w, bias: weights[layer + ".bias"], stride: stride, pad: pad)
    }

    /// One BlazeBlock (see the type's comment).
    private func block(_ x: Tensor, _ i: Int) -> Tensor {
        let stride = Self.stride2Blocks.contains(i) ? 2 : 1
        let dw = weights[Self.depthwiseName(i) + ".weight"]!
        let pad = ConvPadding.same(height: x.shape[2], width: x.shape[3], kernel: dw.shape[2], stride: stride)
        let y = conv(depthwiseConv2d(x, weight: dw, bias: weights[Self.depthwiseName(i) + ".bias"], stride: stride, pad: pad),
                     "conv2d_\(i + 1)")
        var skip = stride == 2 ? maxPool2d(x, kernel: 2) : x
        let extra = y.shape[1] - skip.shape[1]
        if extra > 0 { skip = concat([skip, Tensor(zeros: [skip.shape[0], extra, skip.shape[2], skip.shape[3]])], axis: 1) }
        return relu(y + skip)
    }

    /// A head's `[1, A·V, H, W]` output read as `[H·W·A, V]` (TFLite's NHWC reshape).
    private func anchorsMajor(_ head: Tensor, values: Int) -> Tensor {
        let (hw, av) = (head.shape[2] * head.shape[3], head.shape[1])
        return permute(head.reshaped([av, hw]), [1, 0]).reshaped([hw * av / values, values])
    }

    /// `input` `[1, 3, 128, 128]` → regressors `[896, 16]`, logits `[896]`.
    public func forward(_ input: Tensor) -> (regressors: Tensor, logits: Tensor) {
        precondition(input.shape == [1, 3, BlazeFace.inputSize, BlazeFace.inputSize], "BlazeFace input \(input.shape)")
        var x = relu(conv(input, "conv2d", stride: 2))
        var f8 = x
        for i in 0..<Self.blockCount {
            x = block(x, i)
            if i == 10 { f8 = x }
        }
        let logits = concat([anchorsMajor(conv(f8, "classificator_8"), values: 1),
                             anchorsMajor(conv(x, "classificator_16"), values: 1)], axis: 0)
        let regressors = concat([anchorsMajor(conv(f8, "regressor_8"), values: 16),
                                 anchorsMajor(conv(x, "regressor_16"), values: 16)], axis: 0)
        return (regressors, logits.reshaped([logits.count]))
    }
}
