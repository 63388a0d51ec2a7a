import Foundation
import Imaging

/// dlib's cascade of regression trees for facial landmarks (Kazemi & Sullivan 2014, "One
/// Millisecond Face Alignment with an Ensemble of Regression Trees"), loaded from dlib's own
/// serialisation (e.g. Debian `libdlib-data`'s `shape_predictor_68_face_landmarks.dat`).
///
/// The shape `S` (N points, stored as 2N floats) lives in the face box's normalised frame, where
/// the box's top-left corner is (0, 0) and its bottom-right corner (1, 1). Starting from the mean
/// shape `S₀`, every cascade level `c`:
/// 1. fits the similarity `A_c` taking `S₀` to the current `S` (linear part only);
/// 2. reads P feature pixels: pixel `i` is `S[anchor_i] + A_c · δ_i`, mapped into the photo
///    through the box and rounded to the nearest pixel; its gray value, or 0 outside the photo;
/// 3. runs T trees: each internal node `j` compares `f[u_j] − f[v_j] > τ_j` (true → left child
///    `2j+1`, false → right `2j+2`) down to a leaf, and adds the leaf's 2N-vector to `S`.
/// The result is `S` mapped through the box into photo coordinates.
///
/// Storage is flat and contiguous per level so the cascade runs from unsafe pointers:
/// `leafValues[level][tree][leaf][2N]`, `splits[level][tree][node]`.
public final class ShapePredictor: @unchecked Sendable {
    /// Where Debian's `libdlib-data` installs the 68-point iBUG model.
    public static let defaultModelPath = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

    /// Number of landmarks (68 for the iBUG model).
    public let pointCount: Int
    public let levelCount: Int
    public let treesPerLevel: Int
    public let splitsPerTree: Int
    public let featuresPerLevel: Int
    /// The mean shape `S₀` in the box's normalised frame, `[x0, y0, x1, y1, ...]`.
    public let meanShape: [Float]

    let anchors: [Int32]          // [level][feature]
    let deltas: [Float]           // [level][feature][2]
    let splitLeft: [UInt16]       // [level][tree][node]: feature index u
    let splitRight: [UInt16]      // [level][tree][node]: feature index v
    let splitThreshold: [Float]   // [level][tree][node]
    let leafValues: [Float]       // [level][tree][leaf][2N]

    var leavesPerTree: Int { splitsPerTree + 1 }

    /// Loads a model file; memory-maps it and parses it in one pass.
    public convenience init(contentsOf url: URL) throws {
        try self.init(data: try DlibModelFile.data(contentsOf: url))
    }

    /// The model at `defaultModelPath`.
    public convenience init() throws {
        try self.init(contentsOf: URL(fileURLWithPath: ShapePredictor.defaultModelPath))
    }

    /// Parses dlib's `shape_predictor` serialisation: version (1), the initial shape
    /// (`matrix<float,0,1>`), the forests (`vector<vector<regression_tree>>`, a tree being
    /// `vector<split_feature{idx1, idx2, thresh}>` then `vector<matrix<float,0,1>>` leaves), the
    /// anchor indices (`vector<vector<unsigned long>>`) and the deltas
    /// (`vector<vector<vector<float,2>>>`).
    public init(data: Data) throws {
        let p = try DlibModelFile.parse(data) { try Parsed(&$0) }
        pointCount = p.meanShape.count / 2
        levelCount = p.levels
        treesPerLevel = p.trees
        splitsPerTree = p.splits
        featuresPerLevel = p.features
        meanShape = p.meanShape
        anchors = p.anchors
        deltas = p.deltas
        splitLeft = p.splitLeft
        splitRight = p.splitRight
        splitThreshold = p.splitThreshold
        leafValues = p.leafValues
    }

    /// Predicts the landmarks of the face in `box` (dlib's box convention: the HOG detector's,
    /// inclusive corners, 0-based) on a one-channel image (see `Image.faceDetectGray()`).
    /// Returns `pointCount` points, 0-based photo coordinates (dlib itself rounds them to integers;
    /// these are not rounded).
    public func predict(gray: Image, box: FaceBox) -> [Point2] {
        precondition(gray.channels == 1, "ShapePredictor.predict needs a one-channel image")
        let n2 = 2 * pointCount
        var shape = meanShape
        var features = [Float](repeating: 0, count: featuresPerLevel)
        let meanPoints = points(of: meanShape)
        let left = Double(box.left), top = Double(box.top)
        let sx = Double(box.right - box.left), sy = Double(box.bottom - box.top)
        let w = gray.width, h = gray.height
        gray.pixels.withUnsafeBufferPointer { pix in
            for level in 0..<levelCount {
                let sim = Similarity2D.fit(from: meanPoints, to: points(of: shape))
                // Step 2: feature pixels relative to the current shape.
                shape.withUnsafeBufferPointer { s in
                    for i in 0..<featuresPerLevel {
                        let k = level * featuresPerLevel + i
                        let anchor = Int(anchors[k])
                        let d = sim.applyLinear(Point2(deltas[2 * k], deltas[2 * k + 1]))
                        let u = d.x + s[2 * anchor], v = d.y + s[2 * anchor + 1]
                        let fx = (left + Double(u) * sx + 0.5).rounded(.down)
                        let fy = (top + Double(v) * sy + 0.5).rounded(.down)
                        // Comparing as Double first also keeps a NaN or huge box from trapping.
                        if fx >= 0 && fy >= 0 && fx < Double(w) && fy < Double(h) {
                            features[i] = Float(pix[Int(fy) * w + Int(fx)])
                        } else {
                            features[i] = 0
                        }
                    }
                }
                // Step 3: the trees of this level.
                runTrees(level: level, features: features, shape: &shape, n2: n2)
            }
        }
        return (0..<pointCount).map { i in
            Point2(Float(left + Double(shape[2 * i]) * sx), Float(top + Double(shape[2 * i + 1]) * sy))
        }
    }

    @inline(__always)
    private func runTrees(level: Int, features: [Float], shape: inout [Float], n2: Int) {
        let splits = splitsPerTree, leaves = leavesPerTree
        features.withUnsafeBufferPointer { f in
            splitLeft.withUnsafeBufferPointer { u in
                splitRight.withUnsafeBufferPointer { v in
                    splitThreshold.withUnsafeBufferPointer { thr in
                        leafValues.withUnsafeBufferPointer { leafs in
                            shape.withUnsafeMutableBufferPointer { s in
                                for t in 0..<treesPerLevel {
                                    let tree = level * treesPerLevel + t
                                    let nodeBase = tree * splits
                                    var node = 0
                                    while node < splits {
                                        let j = nodeBase + node
                                        node = f[Int(u[j])] - f[Int(v[j])] > thr[j] ? 2 * node + 1 : 2 * node + 2
                                    }
                                    let leaf = leafs.baseAddress! + (tree * leaves + node - splits) * n2
                                    for q in 0..<n2 { s[q] += leaf[q] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func points(of shape: [Float]) -> [Point2] {
        (0..<pointCount).map { Point2(shape[2 * $0], shape[2 * $0 + 1]) }
    }
}

/// The parse of one model file, before it is frozen into a `ShapePredictor`.
private struct Parsed {
    var meanShape: [Float] = []
    var levels = 0, trees = 0, splits = 0, features = 0
    var anchors: [Int32] = []
    var deltas: [Float] = []
    var splitLeft: [UInt16] = []
    var splitRight: [UInt16] = []
    var splitThreshold: [Float] = []
    var leafValues: [Float] = []

    init(_ r: inout DlibReader) throws {
        let version = try r.readSigned()
        guard version == 1 else { throw DlibModelError.unsupportedVersion(version) }
        _ = try r.readFloatMatrix(into: &meanShape)
        guard !meanShape.isEmpty, meanShape.count % 2 == 0 else {
            throw DlibModelError.unsupportedLayout("the mean shape has \(meanShape.count) values")
        }
        try readForests(&r)
        try readAnchors(&r)
        try readDeltas(&r)
        guard r.isAtEnd else { throw DlibModelError.malformed(offset: r.offset, what: "trailing bytes") }
    }

    private mutating func readForests(_ r: inout DlibReader) throws {
        levels = try r.readLength()
        for level in 0..<levels {
            let treeCount = try r.readLength()
            if level == 0 { trees = treeCount }
            guard treeCount == trees, trees > 0 else { throw DlibModelError.unsupportedLayout("levels with different tree counts") }
            for _ in 0..<treeCount { try readTree(&r) }
        }
    }

    private mutating func readTree(_ r: inout DlibReader) throws {
        let splitCount = try r.readLength()
        if splitLeft.isEmpty {
            splits = splitCount
            let leafCount = splitCount + 1
            guard leafCount & (leafCount - 1) == 0 else { throw DlibModelError.unsupportedLayout("trees are not full") }
            let total = levels * trees * splits
            splitLeft.reserveCapacity(total); splitRight.reserveCapacity(total); splitThreshold.reserveCapacity(total)
            leafValues.reserveCapacity(levels * trees * leafCount * meanShape.count)
        }
        guard splitCount == splits else { throw DlibModelError.unsupportedLayout("trees of different depths") }
        for _ in 0..<splitCount {
            let start = r.offset
            let u = try r.readUnsigned(), v = try r.readUnsigned()
            guard u <= Int(UInt16.max), v <= Int(UInt16.max) else {
                throw DlibModelError.malformed(offset: start, what: "feature index out of range")
            }
            splitLeft.append(UInt16(u)); splitRight.append(UInt16(v))
            splitThreshold.append(try r.readFloat())
        }
        let leafCount = try r.readLength()
        guard leafCount == splits + 1 else { throw DlibModelError.unsupportedLayout("\(leafCount) leaves for \(splits) splits") }
        for _ in 0..<leafCount {
            let n = try r.readFloatMatrix(into: &leafValues)
            guard n == meanShape.count else { throw DlibModelError.unsupportedLayout("a leaf of \(n) values") }
        }
    }

    private mutating func readAnchors(_ r: inout DlibReader) throws {
        guard try r.readLength() == levels else { throw DlibModelError.unsupportedLayout("anchor levels ≠ forest levels") }
        for level in 0..<levels {
            let n = try r.readLength()
            if level == 0 { features = n }
            guard n == features else { throw DlibModelError.unsupportedLayout("levels with different feature counts") }
            for _ in 0..<n {
                let start = r.offset
                let a = try r.readUnsigned()
                guard a < meanShape.count / 2 else { throw DlibModelError.malformed(offset: start, what: "anchor \(a) out of range") }
                anchors.append(Int32(a))
            }
        }
        guard splitLeft.allSatisfy({ Int($0) < features }), splitRight.allSatisfy({ Int($0) < features }) else {
            throw DlibModelError.malformed(offset: r.offset, what: "a split reads a feature the level does not have")
        }
    }

    private mutating func readDeltas(_ r: inout DlibReader) throws {
        guard try r.readLength() == levels else { throw DlibModelError.unsupportedLayout("delta levels ≠ forest levels") }
        for _ in 0..<levels {
            guard try r.readLength() == features else { throw DlibModelError.unsupportedLayout("delta count ≠ feature count") }
            for _ in 0..<(2 * features) { deltas.append(try r.readFloat()) }
        }
    }
}
