import Foundation
import Imaging

/// One grouped detection of a cascade: its box (the cascade's own convention) and the number of
/// raw window hits merged into it (OpenCV's "neighbours", a confidence).
public struct CascadeDetection: Sendable, Equatable {
    public var box: FaceBox
    public var neighbours: Int
}

/// Multi-scale sliding-window detection with a `CascadeModel`, following OpenCV's
/// `detectMultiScale`: the image is resampled by factors `minScale · scaleFactor^k`, the window
/// slides with a 2-pixel step (1 when the factor exceeds 2; a window rejected by the first stage
/// also skips the next position), and the hits are grouped (`groupRectangles`).
public struct CascadeDetector: Sendable {
    public let model: CascadeModel
    /// Ratio between successive pyramid scales.
    public var scaleFactor: Float = 1.1
    /// Hits a group needs (more than this many) to count as a detection.
    public var minNeighbours = 3
    /// The smallest face width searched for, in pixels of the photo.
    public var minFaceSize: Float = 40

    public init(model: CascadeModel) { self.model = model }

    /// Detections on a one-channel image, largest first.
    public func detect(gray: Image) -> [CascadeDetection] {
        precondition(gray.channels == 1, "CascadeDetector.detect needs a one-channel image")
        let ww = model.windowWidth, wh = model.windowHeight
        var hits: [FaceBox] = []
        // OpenCV's factor sequence 1, s, s², … skipping windows below the minimum size.
        var factor: Float = 1
        while Float(ww) * factor < minFaceSize { factor *= scaleFactor }
        while true {
            let sw = Int((Float(gray.width) / factor).rounded()), sh = Int((Float(gray.height) / factor).rounded())
            if sw < ww || sh < wh { break }
            let scaled = (sw == gray.width && sh == gray.height) ? gray : gray.resizedGrayBilinear(width: sw, height: sh)
            let integral = IntegralImage(gray: scaled, withSquares: model.kind == .haar)
            let evaluator = WindowEvaluator(model: model, integral: integral)
            let step = factor > 2 ? 1 : 2
            let size = Float(Int((Float(ww) * factor).rounded())), sizeY = Float(Int((Float(wh) * factor).rounded()))
            for y in stride(from: 0, through: sh - wh, by: step) {
                var x = 0
                while x <= sw - ww {
                    let result = evaluator.run(x: x, y: y)
                    if result > 0 {
                        hits.append(FaceBox(x: (Float(x) * factor).rounded(), y: (Float(y) * factor).rounded(), width: size, height: sizeY))
                    }
                    if result == 0 { x += step }
                    x += step
                }
            }
            factor *= scaleFactor
        }
        return RectangleGrouping.group(hits, minNeighbours: minNeighbours).sorted { $0.box.area > $1.box.area }
    }
}

/// Evaluates the cascade at windows of one pyramid level, with per-level precomputed offsets
/// into the integral image.
private struct WindowEvaluator {
    let model: CascadeModel
    let integral: IntegralImage
    /// Haar: 4 corner offsets per rect, rects of feature f at `haarStart[f] ..< haarStart[f+1]`.
    var haarOffsets: [Int32] = []
    var haarWeights: [Float] = []
    var haarStart: [Int32] = []
    /// LBP: the 16 grid-corner offsets of each feature's 3×3 blocks.
    var lbpOffsets: [Int32] = []
    let normOffsets: (Int, Int, Int, Int)
    let normArea: Double

    init(model: CascadeModel, integral: IntegralImage) {
        self.model = model
        self.integral = integral
        let st = integral.stride
        func corners(_ x: Int32, _ y: Int32, _ w: Int32, _ h: Int32) -> [Int32] {
            let s = Int32(st)
            return [y * s + x, y * s + x + w, (y + h) * s + x, (y + h) * s + x + w]
        }
        if model.kind == .haar {
            for rects in model.haarFeatures {
                haarStart.append(Int32(haarWeights.count))
                for r in rects { haarOffsets += corners(r.x, r.y, r.w, r.h); haarWeights.append(r.weight) }
            }
            haarStart.append(Int32(haarWeights.count))
        } else {
            for r in model.lbpFeatures {
                for j in 0..<4 { for i in 0..<4 { lbpOffsets.append((r.y + Int32(j) * r.h) * Int32(st) + r.x + Int32(i) * r.w) } }
            }
        }
        let ww = model.windowWidth, wh = model.windowHeight
        normOffsets = (st + 1, st + ww - 1, (wh - 1) * st + 1, (wh - 1) * st + ww - 1)
        normArea = Double((ww - 2) * (wh - 2))
    }

    /// 1 when every stage accepts the window at (x, y); otherwise `-s`, `s` the rejecting stage.
    func run(x: Int, y: Int) -> Int {
        let origin = y * integral.stride + x
        return integral.sum.withUnsafeBufferPointer { sum in
            model.kind == .haar ? runHaar(sum: sum, origin: origin) : runLBP(sum: sum, origin: origin)
        }
    }

    private func boxSum(_ s: UnsafeBufferPointer<Int32>, _ o: UnsafePointer<Int32>, _ origin: Int) -> Int32 {
        s[origin + Int(o[0])] - s[origin + Int(o[1])] - s[origin + Int(o[2])] + s[origin + Int(o[3])]
    }

    private func runHaar(sum: UnsafeBufferPointer<Int32>, origin: Int) -> Int {
        let (a, b, c, d) = normOffsets
        let valsum = Double(sum[origin + a] - sum[origin + b] - sum[origin + c] + sum[origin + d])
        let sq = integral.squares
        let valsq = sq[origin + a] - sq[origin + b] - sq[origin + c] + sq[origin + d]
        let nf2 = normArea * valsq - valsum * valsum
        let invNorm = Float(nf2 > 0 ? 1 / nf2.squareRoot() : 1)
        return haarOffsets.withUnsafeBufferPointer { offs in
            haarWeights.withUnsafeBufferPointer { weights in
                evaluateStages { feature in
                    let start = Int(haarStart[feature]), end = Int(haarStart[feature + 1])
                    var v: Float = 0
                    for r in start..<end { v += weights[r] * Float(boxSum(sum, offs.baseAddress! + 4 * r, origin)) }
                    return v * invNorm
                } decide: { node, value in value < node.threshold }
            }
        }
    }

    private func runLBP(sum: UnsafeBufferPointer<Int32>, origin: Int) -> Int {
        lbpOffsets.withUnsafeBufferPointer { offs in
            model.subsets.withUnsafeBufferPointer { subsets in
                evaluateStages { feature in
                    let p = offs.baseAddress! + 16 * feature
                    func block(_ i: Int, _ j: Int) -> Int32 {
                        let k = 4 * j + i
                        return sum[origin + Int(p[k])] - sum[origin + Int(p[k + 1])] - sum[origin + Int(p[k + 4])] + sum[origin + Int(p[k + 5])]
                    }
                    let centre = block(1, 1)
                    var code = 0
                    code |= block(0, 0) >= centre ? 128 : 0
                    code |= block(1, 0) >= centre ? 64 : 0
                    code |= block(2, 0) >= centre ? 32 : 0
                    code |= block(2, 1) >= centre ? 16 : 0
                    code |= block(2, 2) >= centre ? 8 : 0
                    code |= block(1, 2) >= centre ? 4 : 0
                    code |= block(0, 2) >= centre ? 2 : 0
                    code |= block(0, 1) >= centre ? 1 : 0
                    return Float(code)
                } decide: { node, value in
                    let c = Int(value)
                    return subsets[Int(node.subset) + (c >> 5)] & (Int32(1) << Int32(c & 31)) != 0
                }
            }
        }
    }

    /// Runs the stages; `feature(f)` gives feature f's value, `decide(node, value)` whether the
    /// window goes to the node's left child.
    @inline(__always)
    private func evaluateStages(feature: (Int) -> Float, decide: (CascadeModel.Node, Float) -> Bool) -> Int {
        model.nodes.withUnsafeBufferPointer { nodes in
            model.leaves.withUnsafeBufferPointer { leaves in
                for (si, stage) in model.stages.enumerated() {
                    var total: Float = 0
                    for wi in stage.firstWeak..<(stage.firstWeak + stage.weakCount) {
                        let weak = model.weaks[wi]
                        var index = 0
                        while true {
                            let node = nodes[Int(weak.firstNode) + index]
                            let next = decide(node, feature(Int(node.feature))) ? node.left : node.right
                            if next <= 0 { total += leaves[Int(weak.firstLeaf) - Int(next)]; break }
                            index = Int(next)
                        }
                    }
                    if total < stage.threshold - 1e-5 { return -si }
                }
                return 1
            }
        }
    }
}

/// OpenCV's `groupRectangles`: hits are partitioned into classes of similar boxes (all four edges
/// within `δ = ε·(min(w₁,w₂) + min(h₁,h₂))/2`), each class with more than `minNeighbours` hits
/// becomes its average box, and a box lying inside a stronger one is dropped.
enum RectangleGrouping {
    static func group(_ boxes: [FaceBox], minNeighbours: Int, eps: Float = 0.2) -> [CascadeDetection] {
        let n = boxes.count
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) where similar(boxes[i], boxes[j], eps) {
                let a = root(i), b = root(j)
                if a != b { parent[b] = a }
            }
        }
        var sums: [Int: (x: Float, y: Float, w: Float, h: Float, n: Int)] = [:]
        for i in 0..<n {
            let r = root(i), b = boxes[i]
            let s = sums[r] ?? (0, 0, 0, 0, 0)
            sums[r] = (s.x + b.left, s.y + b.top, s.w + b.width, s.h + b.height, s.n + 1)
        }
        let groups: [CascadeDetection] = sums.values.filter { $0.n > minNeighbours }.map { s in
            let k = Float(s.n)
            return CascadeDetection(box: FaceBox(x: (s.x / k).rounded(), y: (s.y / k).rounded(),
                                                 width: (s.w / k).rounded(), height: (s.h / k).rounded()), neighbours: s.n)
        }
        return groups.enumerated().filter { i, g in
            !groups.enumerated().contains { j, other in
                guard i != j else { return false }
                let dx = (other.box.width * eps).rounded(), dy = (other.box.height * eps).rounded()
                let inside = g.box.left >= other.box.left - dx && g.box.top >= other.box.top - dy
                    && g.box.right <= other.box.right + dx && g.box.bottom <= other.box.bottom + dy
                return inside && (other.neighbours > max(3, g.neighbours) || g.neighbours < 3)
            }
        }.map { $0.element }
    }

    private static func similar(_ a: FaceBox, _ b: FaceBox, _ eps: Float) -> Bool {
        let delta = eps * (min(a.width, b.width) + min(a.height, b.height)) * 0.5
        return abs(a.left - b.left) <= delta && abs(a.top - b.top) <= delta
            && abs(a.right - b.right) <= delta && abs(a.bottom - b.bottom) <= delta
    }
}
