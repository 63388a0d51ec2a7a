import Foundation
import Imaging
import Tensor

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
    /// The smallest face width searched for, in pixels of the photo (a 48 px cascade box is a
    /// ~43 px dlib box: smaller than `FaceFrontEnd.minimumFaceWidth`, so a too-small face is still
    /// found and reported as such rather than as no face).
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
            let size = Float(Int((Float(ww) * factor).rounded())), sizeY = Float(Int((Float(wh) * factor).rounded()))
            for (x, y) in LevelScanner(model: model, integral: integral).scan(step: factor > 2 ? 1 : 2) {
                hits.append(FaceBox(x: (Float(x) * factor).rounded(), y: (Float(y) * factor).rounded(), width: size, height: sizeY))
            }
            factor *= scaleFactor
        }
        return RectangleGrouping.group(hits, minNeighbours: minNeighbours).sorted { $0.box.area > $1.box.area }
    }
}

/// Evaluates the cascade at every window position of one pyramid level. All arrays are read
/// through unsafe pointers taken once per level: the scan visits ~10⁵ windows per photo.
private struct LevelScanner {
    let model: CascadeModel
    let integral: IntegralImage
    /// Haar: 4 corner offsets per rect, the rects of feature f at `haarStart[f] ..< haarStart[f+1]`.
    var haarOffsets: [Int32] = []
    var haarWeights: [Float] = []
    var haarStart: [Int32] = []
    /// LBP: the 16 grid-corner offsets of each feature's 3×3 blocks.
    var lbpOffsets: [Int32] = []

    init(model: CascadeModel, integral: IntegralImage) {
        self.model = model
        self.integral = integral
        let st = Int32(integral.stride)
        if model.kind == .haar {
            for rects in model.haarFeatures {
                haarStart.append(Int32(haarWeights.count))
                for r in rects {
                    haarOffsets += [r.y * st + r.x, r.y * st + r.x + r.w, (r.y + r.h) * st + r.x, (r.y + r.h) * st + r.x + r.w]
                    haarWeights.append(r.weight)
                }
            }
            haarStart.append(Int32(haarWeights.count))
        } else {
            for r in model.lbpFeatures {
                for j in 0..<Int32(4) { for i in 0..<Int32(4) { lbpOffsets.append((r.y + j * r.h) * st + r.x + i * r.w) } }
            }
        }
    }

    /// Window origins (x, y) in this level's pixels that pass every stage, scanning rows with
    /// `step` and skipping one extra position after a first-stage rejection (as OpenCV does).
    func scan(step: Int) -> [(Int, Int)] {
        var hits: [(Int, Int)] = []
        let ww = model.windowWidth, wh = model.windowHeight, st = integral.stride
        let normA = st + 1, normB = st + ww - 1, normC = (wh - 1) * st + 1, normD = (wh - 1) * st + ww - 1
        let normArea = Double((ww - 2) * (wh - 2))
        let isHaar = model.kind == .haar
        integral.sum.withUnsafeBufferPointer { sumBuf in
        integral.squares.withUnsafeBufferPointer { sqBuf in
        model.nodes.withUnsafeBufferPointer { nodes in
        model.weaks.withUnsafeBufferPointer { weaks in
        model.leaves.withUnsafeBufferPointer { leaves in
        model.subsets.withUnsafeBufferPointer { subsets in
        haarOffsets.withUnsafeBufferPointer { hOffs in
        haarWeights.withUnsafeBufferPointer { hWeights in
        haarStart.withUnsafeBufferPointer { hStart in
        lbpOffsets.withUnsafeBufferPointer { lOffs in
            let sum = sumBuf.baseAddress!
            @inline(__always) func featureValue(_ f: Int, _ origin: Int, _ invNorm: Float) -> Float {
                if isHaar {
                    var v: Float = 0
                    for r in Int(hStart[f])..<Int(hStart[f + 1]) {
                        let o = hOffs.baseAddress! + 4 * r
                        let box = sum[origin + Int(o[0])] &- sum[origin + Int(o[1])] &- sum[origin + Int(o[2])] &+ sum[origin + Int(o[3])]
                        v += hWeights[r] * Float(box)
                    }
                    return v * invNorm
                }
                let p = lOffs.baseAddress! + 16 * f
                @inline(__always) func block(_ k: Int) -> Int32 {
                    sum[origin + Int(p[k])] &- sum[origin + Int(p[k + 1])] &- sum[origin + Int(p[k + 4])] &+ sum[origin + Int(p[k + 5])]
                }
                let c = block(5)
                var code = 0
                if block(0) >= c { code |= 128 }
                if block(1) >= c { code |= 64 }
                if block(2) >= c { code |= 32 }
                if block(6) >= c { code |= 16 }
                if block(10) >= c { code |= 8 }
                if block(9) >= c { code |= 4 }
                if block(8) >= c { code |= 2 }
                if block(4) >= c { code |= 1 }
                return Float(code)
            }
            @inline(__always) func goesLeft(_ node: CascadeModel.Node, _ value: Float) -> Bool {
                if isHaar { return value < node.threshold }
                let c = Int(value)
                return subsets[Int(node.subset) + (c >> 5)] & (Int32(1) << Int32(c & 31)) != 0
            }
            /// 1 when every stage accepts; otherwise `-s` for the rejecting stage `s`.
            @inline(__always) func run(_ origin: Int) -> Int {
                var invNorm: Float = 1
                if isHaar {
                    let valsum = Double(sum[origin + normA] &- sum[origin + normB] &- sum[origin + normC] &+ sum[origin + normD])
                    let q = sqBuf.baseAddress!
                    let valsq = q[origin + normA] - q[origin + normB] - q[origin + normC] + q[origin + normD]
                    let nf2 = normArea * valsq - valsum * valsum
                    invNorm = Float(nf2 > 0 ? 1 / nf2.squareRoot() : 1)
                }
                for (si, stage) in model.stages.enumerated() {
                    var total: Float = 0
                    for wi in stage.firstWeak..<(stage.firstWeak + stage.weakCount) {
                        let weak = weaks[wi]
                        var index = 0
                        while true {
                            let node = nodes[Int(weak.firstNode) + index]
                            let next = goesLeft(node, featureValue(Int(node.feature), origin, invNorm)) ? node.left : node.right
                            if next <= 0 { total += leaves[Int(weak.firstLeaf) - Int(next)]; break }
                            index = Int(next)
                        }
                    }
                    if total < stage.threshold - 1e-5 { return -si }
                }
                return 1
            }
            // Rows in interleaved bands across the cores; each band fills its own hit list.
            let rows = Array(stride(from: 0, through: integral.height - wh, by: step))
            let bands = min(rows.count, 2 * max(1, ProcessInfo.processInfo.activeProcessorCount))
            var perBand = [[(Int, Int)]](repeating: [], count: bands)
            perBand.withUnsafeMutableBufferPointer { out in
                Compute.concurrentPerform(iterations: bands) { band in
                    var found: [(Int, Int)] = []
                    for r in stride(from: band, to: rows.count, by: bands) {
                        let y = rows[r]
                        var x = 0
                        while x <= integral.width - ww {
                            let result = run(y * st + x)
                            if result > 0 { found.append((x, y)) }
                            if result == 0 { x += step }
                            x += step
                        }
                    }
                    out[band] = found
                }
            }
            hits = perBand.flatMap { $0 }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        }}}}}}}}}}
        return hits
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
