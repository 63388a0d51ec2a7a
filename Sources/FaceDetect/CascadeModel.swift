import Foundation

/// Errors loading an OpenCV cascade.
public enum CascadeError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the cascade \(path): \(reason)"
        case let .malformed(why): return "malformed OpenCV cascade: \(why)"
        case let .unsupported(why): return "unsupported OpenCV cascade: \(why)"
        }
    }
}

/// A boosted cascade of OpenCV's current XML format (`opencv_storage/cascade`, stage type BOOST),
/// with Haar-like or LBP features, as shipped in Debian's `opencv-data`.
///
/// A window passes stage `s` when the sum of its weak classifiers' leaf values is at least the
/// stage threshold. A weak classifier is a small tree: node `j` sends the window to `left_j` when
/// - Haar: `f_j(window) / (A · σ) < τ_j`, with `f_j = Σ_k w_k · Σ(rect_k)` and `A · σ` the
///   window's pixel-count × standard deviation over its interior (the window inset by 1 pixel);
/// - LBP: bit `c` of the node's 256-bit category subset is set, where `c` is the feature's
///   8-bit local binary pattern: the 3×3 block sums around the centre block compared with it
///   (≥ → 1), clockwise from the top-left block as the most significant bit;
/// and to `right_j` otherwise; a child ≤ 0 is leaf `-child`.
public struct CascadeModel: Sendable {
    public enum FeatureKind: String, Sendable { case haar = "HAAR", lbp = "LBP" }

    public let kind: FeatureKind
    public let windowWidth: Int
    public let windowHeight: Int

    struct Stage: Sendable { var threshold: Float; var firstWeak: Int; var weakCount: Int }
    struct Node: Sendable { var left: Int32; var right: Int32; var feature: Int32; var threshold: Float; var subset: Int32 }
    struct Weak: Sendable { var firstNode: Int32; var firstLeaf: Int32 }
    struct HaarRect: Sendable { var x, y, w, h: Int32; var weight: Float }
    struct BlockRect: Sendable { var x, y, w, h: Int32 }

    var stages: [Stage] = []
    var weaks: [Weak] = []
    var nodes: [Node] = []
    var leaves: [Float] = []
    var subsets: [Int32] = []            // LBP: 8 words per node
    var haarFeatures: [[HaarRect]] = []
    var lbpFeatures: [BlockRect] = []

    /// Debian `opencv-data` locations of the frontal-face cascades.
    public static let haarDirectory = "/usr/share/opencv4/haarcascades"
    public static let lbpDirectory = "/usr/share/opencv4/lbpcascades"

    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: url)) } catch {
            throw CascadeError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(xml: bytes)
    }

    public init(xml bytes: [UInt8]) throws {
        let root: XMLElement
        do { root = try XMLElement.parse(bytes) } catch let e as XMLElement.ParseError {
            throw CascadeError.malformed("XML at byte \(e.offset): \(e.reason)")
        }
        guard let cascade = root.child("opencv_storage")?.child("cascade") else {
            throw CascadeError.unsupported("no <opencv_storage><cascade> (the old pre-2.4 format is not read)")
        }
        guard cascade.child("stageType")?.text.trimmingCharacters(in: .whitespacesAndNewlines) == "BOOST" else {
            throw CascadeError.unsupported("stage type is not BOOST")
        }
        let kindText = cascade.child("featureType")?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard let kind = FeatureKind(rawValue: kindText) else { throw CascadeError.unsupported("feature type \(kindText)") }
        guard let w = cascade.child("width")?.numbers.first, let h = cascade.child("height")?.numbers.first, w >= 3, h >= 3 else {
            throw CascadeError.malformed("missing window size")
        }
        self.kind = kind
        windowWidth = Int(w)
        windowHeight = Int(h)
        try readStages(cascade.child("stages"))
        try readFeatures(cascade.child("features"))
        try validate()
    }

    private mutating func readStages(_ element: XMLElement?) throws {
        guard let element, !element.children.isEmpty else { throw CascadeError.malformed("no stages") }
        let nodeWidth = kind == .haar ? 4 : 11
        for stage in element.children {
            guard let t = stage.child("stageThreshold")?.numbers.first, let weakList = stage.child("weakClassifiers") else {
                throw CascadeError.malformed("a stage without threshold or weak classifiers")
            }
            stages.append(Stage(threshold: Float(t), firstWeak: weaks.count, weakCount: weakList.children.count))
            for weak in weakList.children {
                let nodeText = weak.child("internalNodes")?.words ?? []
                let leafValues = weak.child("leafValues")?.numbers ?? []
                guard !nodeText.isEmpty, nodeText.count % nodeWidth == 0, !leafValues.isEmpty else {
                    throw CascadeError.malformed("stage \(stages.count - 1): a weak classifier with \(nodeText.count) node numbers "
                        + "(a multiple of \(nodeWidth) expected) and \(leafValues.count) leaves")
                }
                weaks.append(Weak(firstNode: Int32(nodes.count), firstLeaf: Int32(leaves.count)))
                leaves += leafValues.map(Float.init)
                for k in stride(from: 0, to: nodeText.count, by: nodeWidth) {
                    try appendNode(Array(nodeText[k..<(k + nodeWidth)]))
                }
            }
        }
    }

    private mutating func appendNode(_ f: [Substring]) throws {
        guard let left = Int32(f[0]), let right = Int32(f[1]), let feature = Int32(f[2]) else {
            throw CascadeError.malformed("a node with non-integer links")
        }
        var node = Node(left: left, right: right, feature: feature, threshold: 0, subset: -1)
        if kind == .haar {
            guard let t = Float(f[3]) else { throw CascadeError.malformed("a node threshold") }
            node.threshold = t
        } else {
            node.subset = Int32(subsets.count)
            for word in f[3..<11] {
                guard let v = Int64(word) else { throw CascadeError.malformed("an LBP subset word") }
                subsets.append(Int32(truncatingIfNeeded: v))
            }
        }
        nodes.append(node)
    }

    private mutating func readFeatures(_ element: XMLElement?) throws {
        guard let element else { throw CascadeError.malformed("no features") }
        for feature in element.children {
            if kind == .haar {
                if let tilted = feature.child("tilted")?.numbers.first, tilted != 0 {
                    throw CascadeError.unsupported("tilted Haar features")
                }
                guard let rects = feature.child("rects") else { throw CascadeError.malformed("a Haar feature without rects") }
                var out: [HaarRect] = []
                for r in rects.children {
                    let v = r.numbers
                    guard v.count == 5 else { throw CascadeError.malformed("a Haar rect of \(v.count) numbers") }
                    out.append(HaarRect(x: Int32(v[0]), y: Int32(v[1]), w: Int32(v[2]), h: Int32(v[3]), weight: Float(v[4])))
                }
                guard (1...3).contains(out.count) else { throw CascadeError.malformed("a Haar feature of \(out.count) rects") }
                haarFeatures.append(out)
            } else {
                guard let v = feature.child("rect")?.numbers, v.count == 4 else { throw CascadeError.malformed("an LBP feature rect") }
                lbpFeatures.append(BlockRect(x: Int32(v[0]), y: Int32(v[1]), w: Int32(v[2]), h: Int32(v[3])))
            }
        }
    }

    /// Every index in range and every feature inside the window, so evaluation needs no checks.
    private func validate() throws {
        let featureCount = kind == .haar ? haarFeatures.count : lbpFeatures.count
        for (wi, weak) in weaks.enumerated() {
            let nodeEnd = wi + 1 < weaks.count ? Int(weaks[wi + 1].firstNode) : nodes.count
            let leafEnd = wi + 1 < weaks.count ? Int(weaks[wi + 1].firstLeaf) : leaves.count
            let nodeCount = nodeEnd - Int(weak.firstNode), leafCount = leafEnd - Int(weak.firstLeaf)
            for node in nodes[Int(weak.firstNode)..<nodeEnd] {
                guard node.feature >= 0, Int(node.feature) < featureCount else { throw CascadeError.malformed("feature index out of range") }
                for child in [node.left, node.right] {
                    guard child > 0 ? Int(child) < nodeCount : Int(-child) < leafCount else {
                        throw CascadeError.malformed("tree link out of range")
                    }
                }
            }
        }
        for rects in haarFeatures {
            for r in rects where r.x < 0 || r.y < 0 || r.w < 0 || r.h < 0 || Int(r.x + r.w) > windowWidth || Int(r.y + r.h) > windowHeight {
                throw CascadeError.malformed("a Haar rect outside the window")
            }
        }
        for r in lbpFeatures where r.x < 0 || r.y < 0 || r.w <= 0 || r.h <= 0 || Int(r.x + 3 * r.w) > windowWidth || Int(r.y + 3 * r.h) > windowHeight {
            throw CascadeError.malformed("an LBP feature outside the window")
        }
    }
}
