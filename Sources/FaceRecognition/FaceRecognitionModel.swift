import FaceDetect
import Foundation
import Imaging
import Tensor

/// A 128-d identity embedding of one face (dlib's face descriptor). Two faces are the same person
/// when their Euclidean distance is below the model's threshold (0.6 for dlib's ResNet).
public struct FaceEmbedding: Sendable, Equatable, Codable {
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }

    public func distance(to other: FaceEmbedding) -> Float {
        precondition(values.count == other.values.count, "embeddings of different sizes")
        var s: Float = 0
        for i in values.indices { let d = values[i] - other.values[i]; s += d * d }
        return s.squareRoot()
    }
}

/// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`, Davis King 2017:
/// 29 convolutions, trained with a pairwise metric loss so faces of one person fall within 0.6
/// of each other; 99.38% on LFW), run on the Tensor engine and loaded from dlib's own serialisation.
///
/// The network (`anet_type` of dlib's `dnn_face_recognition_ex.cpp`), on a 150×150 RGB chip
/// normalised as `(v − mean_c)/256`:
/// - stem: conv 7×7/2 (32) → affine → ReLU → max-pool 3×3/2: 150 → 72 → 35;
/// - 14 residual blocks, `relu(B(x) + S(x))` with `B = affine∘conv3×3/1 ∘ relu∘affine∘conv3×3/s`:
///   3 × 32 at 35²; then for 64 (4 blocks), 128 (3), 256 (3) and 256 (1) a first block with stride 2
///   and no padding whose shortcut `S` is a 2×2/2 average pool (35→17→8→3|4→1|2), the others
///   `S = identity`. Where the two differ in channels or size dlib adds them zero-extended
///   (`add_prev`: 256×3×3 + 128×4×4 → 256×4×4; `addZeroExtended`);
/// - global average pool (256) → linear 256→128 without bias: the embedding.
/// dlib's test-time batch-norm layers (`affine_`: `γ·x + β` per channel) are folded into the
/// convolution before them when the model is loaded (`foldChannelAffine`).
public final class FaceRecognitionModel: @unchecked Sendable {
    /// Where `Scripts/setup` installs the model (from the `face-recognition-models` package on PyPI).
    public static let defaultModelPath = "/usr/local/share/likeness/dlib_face_recognition_resnet_model_v1.dat"
    /// sha256 of the model file `Scripts/setup` installs.
    public static let modelSHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
    /// The model file: `LIKENESS_FACE_RECOGNITION_MODEL` when set, otherwise `defaultModelPath`.
    public static var modelPath: String {
        ProcessInfo.processInfo.environment["LIKENESS_FACE_RECOGNITION_MODEL"] ?? defaultModelPath
    }
    /// The licence, for manifests.
    public static let licence = "public domain (dlib-models README, Davis King); CC0-1.0 per the face-recognition-models 0.3.0 package's LICENSE"
    /// The model's own same-person distance threshold (its metric loss's `distance_threshold`).
    public static let dlibThreshold: Float = 0.6

    public let chipSize: Int
    /// Channel means subtracted from the chip (R, G, B).
    public let channelMeans: [Float]
    /// The metric loss's margin and distance threshold, as stored in the file.
    public let lossMargin: Float, distanceThreshold: Float
    let stem: ConvLayer
    let blocks: [ResidualBlock]
    /// `[256, 128]`: the embedding is `pooled · fc`.
    let fc: Tensor

    /// The model in `url` (`modelPath` by default).
    public convenience init(contentsOf url: URL = URL(fileURLWithPath: FaceRecognitionModel.modelPath)) throws {
        try self.init(data: try DlibModelFile.data(contentsOf: url))
    }

    public init(data: Data) throws {
        let net = try DlibModelFile.parse(data) { try DlibResNet(&$0) }
        chipSize = net.inputSize
        channelMeans = net.means
        lossMargin = net.margin
        distanceThreshold = net.threshold
        stem = net.stem
        blocks = net.blocks
        fc = net.fc
    }

    /// The embedding of each chip (`chipSize²` RGB, as `FaceChipExtractor` cuts them).
    public func embed(chips: [Image]) -> [FaceEmbedding] {
        guard !chips.isEmpty else { return [] }
        let out = Autograd.withoutRecording { forward(input(chips)) }
        return (0..<chips.count).map { b in FaceEmbedding(Array(UnsafeBufferPointer(start: out.data + b * 128, count: 128))) }
    }

    /// The embedding of the face with these 68 landmarks (rounded to integer pixels as dlib's
    /// predictor gives them) in an image of any channel count: dlib's `compute_face_descriptor`.
    public func embed(_ image: Image, landmarks: [Point2]) -> FaceEmbedding {
        embed(chips: [chip(image, landmarks: landmarks)])[0]
    }

    /// dlib's face chip for these landmarks (rounded to integers first, as dlib's points are).
    public func chip(_ image: Image, landmarks: [Point2]) -> Image {
        let rounded = landmarks.map { Point2($0.x.rounded(), $0.y.rounded()) }
        let rgb = image.channels == 3 ? image : image.converted(channels: 3)
        return FaceChipExtractor.extract(rgb, .dlib(landmarks: rounded, size: chipSize, padding: 0.25))
    }

    /// `[B, 3, S, S]` from RGB chips: `(v − mean_c)/256`.
    public func input(_ chips: [Image]) -> Tensor {
        let s = chipSize, plane = s * s
        let x = Tensor(uninitialized: [chips.count, 3, s, s])
        for (b, chip) in chips.enumerated() {
            precondition(chip.width == s && chip.height == s && chip.channels == 3, "chips must be \(s)×\(s) RGB")
            chip.pixels.withUnsafeBufferPointer { p in
                for c in 0..<3 {
                    let dst = x.data + (b * 3 + c) * plane, mean = channelMeans[c]
                    for i in 0..<plane { dst[i] = (Float(p[3 * i + c]) - mean) / 256 }
                }
            }
        }
        return x
    }

    /// The network on a normalised batch `[B, 3, S, S]` → `[B, 128]` (differentiable in `x`).
    public func forward(_ x: Tensor) -> Tensor {
        var h = maxPool2d(relu(stem(x)), kernel: 3, stride: 2)
        for block in blocks { h = block(h) }
        let pooled = mean(h, axes: [2, 3])
        return matmul(pooled, fc)
    }

    /// Multiply-adds of one embedding (for the benchmark's GFLOP/s).
    public var multiplyAdds: Int {
        var size = (chipSize - stem.kernel + 2 * stem.padding) / stem.stride + 1
        var total = stem.multiplyAdds(outSize: size)
        size = (size - 3) / 2 + 1
        for block in blocks {
            let out = (size - block.first.kernel + 2 * block.first.padding) / block.first.stride + 1
            total += block.first.multiplyAdds(outSize: out) + block.second.multiplyAdds(outSize: out)
            size = block.downsamples ? max(out, (size - 2) / 2 + 1) : out
        }
        return total + fc.count
    }
}

/// A convolution with its affine folded in: weight `[O, C, k, k]`, bias `[O]`.
struct ConvLayer {
    let weight: Tensor, bias: Tensor
    let stride: Int, padding: Int
    var kernel: Int { weight.shape[2] }

    func callAsFunction(_ x: Tensor) -> Tensor { conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding) }

    func multiplyAdds(outSize: Int) -> Int { weight.count * outSize * outSize }
}

/// `relu(second(relu(first(x))) ⊕ shortcut(x))`, the shortcut a 2×2/2 average pool when the block
/// downsamples, `⊕` dlib's zero-extended addition.
struct ResidualBlock {
    let first: ConvLayer, second: ConvLayer
    let downsamples: Bool

    func callAsFunction(_ x: Tensor) -> Tensor {
        let branch = second(relu(first(x)))
        return relu(addZeroExtended(branch, downsamples ? avgPool2d(x, kernel: 2, stride: 2) : x))
    }
}

/// The parse of dlib's serialised `anet_type`.
///
/// dlib writes a network outside-in: each layer's version number, then its sub-network, then the
/// layer's own details (after the sub-network, so details come input-first). Concretely:
/// `1 "loss_metric_2" margin threshold`; one version per layer down to the input (2 for a
/// computational layer, 1 for a tag or skip, which hold nothing else); the input layer's add_layer
/// (version 3: `"input_rgb_image_sized"`, three channel means, rows, columns, then the first
/// conv's details and the layer trailer with `_sample_expansion_factor`); then every other layer's
/// details and trailer (three bools and three empty tensors: gradients and caches) from the input
/// outwards. The tags carry the residual wiring, which dlib keeps in the C++ type rather than the
/// file; the parse reads the layers as blocks and checks that the version sequence is exactly
/// the one dlib's `residual`/`residual_down` templates produce for them.
struct DlibResNet {
    var margin: Float = 0, threshold: Float = 0
    var means: [Float] = []
    var inputSize = 0
    var stem: ConvLayer!
    var blocks: [ResidualBlock] = []
    var fc: Tensor!

    init(_ r: inout DlibReader) throws {
        guard try r.readSigned() == 1, try r.readString() == "loss_metric_2" else {
            throw DlibModelError.unsupportedLayout("not a dlib metric-loss network (loss_metric_2)")
        }
        margin = try r.readFloat()
        threshold = try r.readFloat()
        var versions: [Int] = []
        while true {
            let v = try r.readSigned()
            if v == 3 { break }
            guard v == 1 || v == 2, versions.count < 10_000 else {
                throw DlibModelError.malformed(offset: r.offset, what: "layer version \(v)")
            }
            versions.append(v)
        }
        guard try r.readString() == "input_rgb_image_sized" else { throw DlibModelError.unsupportedLayout("input is not input_rgb_image_sized") }
        means = try (0..<3).map { _ in try r.readFloat() }
        let rows = try r.readUnsigned(), cols = try r.readUnsigned()
        guard rows == cols, rows > 0 else { throw DlibModelError.unsupportedLayout("input of \(rows)×\(cols)") }
        inputSize = rows
        var layers: [Layer] = [try Layer(&r)]
        try Layer.skipTrailer(&r, input: true)
        // Only computational layers (version 2) have details; tags and skips have none.
        let computational = versions.filter { $0 == 2 }.count
        for _ in 0..<computational {
            layers.append(try Layer(&r))
            try Layer.skipTrailer(&r, input: false)
        }
        guard r.isAtEnd else { throw DlibModelError.malformed(offset: r.offset, what: "trailing bytes") }
        try assemble(layers, versions: versions)
    }

    /// Groups the layers (input first) into stem, blocks and head, and checks the wiring.
    private mutating func assemble(_ layers: [Layer], versions: [Int]) throws {
        var i = 0
        func next() throws -> Layer {
            guard i < layers.count else { throw DlibModelError.unsupportedLayout("the network ends early") }
            defer { i += 1 }
            return layers[i]
        }
        func conv() throws -> ConvLayer {
            guard case let .conv(w, b, stride, pad) = try next(), case let .affine(g, beta) = try next() else {
                throw DlibModelError.unsupportedLayout("expected a convolution followed by an affine layer at layer \(i)")
            }
            let (fw, fb) = foldChannelAffine(weight: w, bias: b, scale: g, shift: beta)
            return ConvLayer(weight: fw, bias: fb, stride: stride, padding: pad)
        }
        func expect(_ kind: String, _ ok: (Layer) -> Bool) throws {
            guard ok(try next()) else { throw DlibModelError.unsupportedLayout("expected \(kind) at layer \(i - 1)") }
        }
        // Expected versions input-first: 2 per computational layer after the input's, 1 per tag/skip.
        var expected: [Int] = []
        stem = try conv()
        expected += [2]                       // the stem's affine (the conv is the input add_layer)
        try expect("relu", { if case .relu = $0 { return true }; return false })
        try expect("max_pool 3×3/2", { if case .pool(3, 2, 0, true) = $0 { return true }; return false })
        expected += [2, 2]
        while i < layers.count, case .conv = layers[i] {
            let first = try conv()
            try expect("relu", { if case .relu = $0 { return true }; return false })
            let second = try conv()
            var downsamples = false
            if case .pool(2, 2, 0, false) = layers[i] {
                i += 1
                downsamples = true
            }
            try expect("add_prev", { if case .addPrevious = $0 { return true }; return false })
            try expect("relu", { if case .relu = $0 { return true }; return false })
            // tag1, block (5 layers), [tag2, skip1, avg_pool], add_prev, relu.
            expected += [1, 2, 2, 2, 2, 2] + (downsamples ? [1, 1, 2] : []) + [2, 2]
            guard second.stride == 1, downsamples == (first.stride != 1) else {
                throw DlibModelError.unsupportedLayout("a residual block whose stride and shortcut disagree")
            }
            blocks.append(ResidualBlock(first: first, second: second, downsamples: downsamples))
        }
        try expect("global average pool", { if case .pool(0, 1, 0, false) = $0 { return true }; return false })
        guard case let .fc(weights, inputs, outputs) = try next(), i == layers.count else {
            throw DlibModelError.unsupportedLayout("expected the network to end in fc_no_bias")
        }
        expected += [2, 2]
        guard expected == versions.reversed() else {
            throw DlibModelError.unsupportedLayout("the tag/skip wiring is not dlib's residual network")
        }
        guard inputs == blocks.last?.second.weight.shape[0] else {
            throw DlibModelError.unsupportedLayout("fc of \(inputs) inputs after \(blocks.last?.second.weight.shape[0] ?? 0) channels")
        }
        fc = Tensor(weights, shape: [inputs, outputs])
    }
}

/// One layer's details as read from the file.
enum Layer {
    case conv(weight: Tensor, bias: Tensor, stride: Int, padding: Int)
    case affine(scale: [Float], shift: [Float])
    case relu
    /// `kernel` 0 is dlib's `avg_pool_everything`.
    case pool(kernel: Int, stride: Int, padding: Int, max: Bool)
    case addPrevious
    case fc(weights: [Float], inputs: Int, outputs: Int)

    init(_ r: inout DlibReader) throws {
        let start = r.offset
        let kind = try r.readString()
        switch kind {
        case "con_4", "con_5", "con_6":
            let params = try r.readTensor().values
            let filters = try r.readSigned()
            let (kh, kw, sy, sx, py, px) = try Layer.window(&r)
            let shape = try Layer.alias(&r), biasShape = try Layer.alias(&r)
            for _ in 0..<4 { _ = try r.readFloat() }   // learning-rate and weight-decay multipliers
            var useBias = true
            if kind != "con_4" { useBias = try r.readBool() }
            if kind == "con_6" { _ = try r.readBool() }   // use_relu: a fused ReLU, never set here
            guard kh == kw, sy == sx, py == px, shape == [filters, shape[1], kh, kw], useBias,
                  biasShape[1] == filters, params.count == shape.reduce(1, *) + filters else {
                throw DlibModelError.unsupportedLayout("a convolution of \(shape), stride \(sy)×\(sx), padding \(py)×\(px)")
            }
            let n = shape.reduce(1, *)
            self = .conv(weight: Tensor(Array(params[..<n]), shape: shape), bias: Tensor(Array(params[n...]), shape: [filters]),
                         stride: sy, padding: py)
        case "affine_", "affine_2":
            let params = try r.readTensor().values
            let gamma = try Layer.alias(&r), beta = try Layer.alias(&r)
            let mode = try r.readSigned()
            if kind == "affine_2" { _ = try r.readBool() }
            let c = gamma.reduce(1, *)
            guard mode == 0, beta.reduce(1, *) == c, params.count == 2 * c else {
                throw DlibModelError.unsupportedLayout("an affine layer in mode \(mode) of \(params.count) parameters")
            }
            self = .affine(scale: Array(params[..<c]), shift: Array(params[c...]))
        case "relu_", "relu_2":
            if kind == "relu_2" { _ = try r.readBool() }
            self = .relu
        case "max_pool_2", "avg_pool_2":
            let (kh, kw, sy, sx, py, px) = try Layer.window(&r)
            guard kh == kw, sy == sx, py == px else { throw DlibModelError.unsupportedLayout("a \(kh)×\(kw) pool") }
            self = .pool(kernel: kh, stride: sy, padding: py, max: kind == "max_pool_2")
        case "add_prev_":
            self = .addPrevious
        case "fc_2", "fc_3":
            let outputs = try r.readUnsigned(), inputs = try r.readUnsigned()
            let params = try r.readTensor().values
            _ = try Layer.alias(&r)
            _ = try Layer.alias(&r)
            let biasMode = try r.readSigned()
            for _ in 0..<4 { _ = try r.readFloat() }
            if kind == "fc_3" { _ = try r.readBool() }
            guard biasMode == 1, params.count == inputs * outputs else {
                throw DlibModelError.unsupportedLayout("an fc layer with bias or of \(params.count) parameters")
            }
            self = .fc(weights: params, inputs: inputs, outputs: outputs)
        default:
            throw DlibModelError.malformed(offset: start, what: "unexpected layer '\(kind.prefix(40))'")
        }
    }

    /// A window's rows, columns, vertical and horizontal stride and padding.
    static func window(_ r: inout DlibReader) throws -> (Int, Int, Int, Int, Int, Int) {
        let v = try (0..<6).map { _ in try r.readSigned() }
        return (v[0], v[1], v[2], v[3], v[4], v[5])
    }

    /// An `alias_tensor`'s shape (version 1 and four sizes).
    static func alias(_ r: inout DlibReader) throws -> [Int] {
        let start = r.offset
        guard try r.readSigned() == 1 else { throw DlibModelError.malformed(offset: start, what: "alias_tensor version") }
        return try (0..<4).map { _ in try r.readSigned() }
    }

    /// What add_layer writes after a layer's details: three bools, x_grad, the cached output and
    /// the parameter gradient (empty in a saved model), and for the input layer the sample
    /// expansion factor.
    static func skipTrailer(_ r: inout DlibReader, input: Bool) throws {
        for _ in 0..<3 { _ = try r.readBool() }
        for _ in 0..<3 { _ = try r.readTensor() }
        if input { _ = try r.readSigned() }
    }
}
