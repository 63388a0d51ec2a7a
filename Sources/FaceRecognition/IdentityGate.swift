import FaceDetect
import Foundation
import Imaging

/// Whose folder is it? The identity gate decides, from the embeddings of every usable photo in a
/// person's folder, which face is the person's and which photos show someone else.
///
/// The reference identity is chosen robustly, without trusting any one photo:
/// 1. link every two photos closer than `threshold − groupingMargin` (0.55 for dlib's 0.6):
///    founding the reference asks for stronger evidence than admitting a photo to it, because
///    among strangers two faces fall within 0.6 about 3 times in 100 (children and faces of one
///    age and origin most), within 0.55 about 7 in 1000 (`likeness eval identity`: on folders of
///    3 strangers a margin of 0.05 halves the folders that publish against none, and keeps every
///    photo of the person in folders of 3 + a stranger; 0.1 catches a few more strangers but loses
///    2.5% of the person's photos);
/// 2. take the largest connected group; the person is whoever it shows. If no two photos link
///    (the largest group is one photo, of two or more) or two groups tie for largest, there is no
///    reference and every photo is rejected, so a folder of strangers publishes nothing;
/// 3. the reference is the group's medoid (the photo with the least total distance to the rest of
///    the group: an actual face, so the pairwise threshold keeps its meaning, and not dragged by
///    a chained outlier as a mean would be);
/// 4. a photo is the person when its distance to the reference is below `threshold` (dlib's 0.6:
///    the model was trained to put one person's faces within it);
/// 5. the person must be in at least half of the photos, otherwise there is no reference either.
/// A folder of one photo has nothing to compare with and is accepted.
public struct IdentityVerdict: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The photo is the person: `distance` to the reference.
        case accepted(distance: Float)
        /// Someone else: `distance` to the reference.
        case differentPerson(distance: Float)
        /// No reference could be chosen (see `IdentityVerdict.problem`); `nearest` is the distance
        /// to the closest other photo.
        case noReference(nearest: Float)
    }

    /// Why no reference could be chosen.
    public enum Problem: Sendable, Equatable {
        /// No two photos are within `threshold − groupingMargin` of each other.
        case noTwoAgree
        /// Several groups of `size` photos each agree within themselves but not with each other.
        case tiedGroups(count: Int, size: Int)
        /// The reference's photos, `size` of them, are fewer than half of the `of` photos.
        case noMajority(size: Int, of: Int)
    }

    public var threshold: Float
    /// Index of the reference photo, nil when there is none.
    public var reference: Int?
    /// Photos in the reference's group.
    public var groupSize: Int
    public var problem: Problem?
    /// One per photo, in input order.
    public var outcomes: [Outcome]

    public var acceptedIndices: [Int] {
        outcomes.indices.filter { if case .accepted = outcomes[$0] { return true }; return false }
    }

    /// A user-readable reason for photo `i`'s rejection (nil when accepted).
    public func reason(_ i: Int) -> String? {
        let t = String(format: "%.2f", threshold)
        switch outcomes[i] {
        case .accepted: return nil
        case let .differentPerson(d):
            return "not the person of this folder: identity distance \(String(format: "%.3f", d)) to the reference face (the medoid of the \(groupSize) photos that agree), threshold \(t)"
        case let .noReference(nearest):
            let nearestText = String(format: "%.3f", nearest)
            switch problem {
            case let .tiedGroups(count, size):
                return "the folder shows \(count) different people with \(size) photos each: cannot tell whose folder it is (threshold \(t)); keep one person's photos"
            case let .noMajority(size, total):
                return "only \(size) of the folder's \(total) photos show one person, fewer than half: cannot tell whose folder it is (this one's nearest other photo is at identity distance \(nearestText), threshold \(t))"
            default:
                return "no two photos in the folder show the same person closely enough to tell whose folder it is (this one's nearest is at identity distance \(nearestText); a reference needs two photos within \(String(format: "%.2f", threshold - IdentityVerdict.groupingMargin)), threshold \(t))"
            }
        }
    }

    /// How much closer than `threshold` two photos must be to found the reference group.
    public static let groupingMargin: Float = 0.05

    /// The verdict for these embeddings (input order is kept; ties break toward earlier photos).
    public static func decide(_ embeddings: [FaceEmbedding], threshold: Float,
                              groupingMargin: Float = IdentityVerdict.groupingMargin) -> IdentityVerdict {
        let n = embeddings.count
        guard n > 1 else {
            return IdentityVerdict(threshold: threshold, reference: n == 1 ? 0 : nil, groupSize: n, problem: nil,
                                   outcomes: Array(repeating: .accepted(distance: 0), count: n))
        }
        var d = [[Float]](repeating: [Float](repeating: 0, count: n), count: n)
        for i in 0..<n { for j in (i + 1)..<n { d[i][j] = embeddings[i].distance(to: embeddings[j]); d[j][i] = d[i][j] } }
        let groups = connectedGroups(d, threshold: threshold - groupingMargin)
        let largest = groups.map(\.count).max()!
        let tied = groups.filter { $0.count == largest }
        let nearest = (0..<n).map { i in (0..<n).filter { $0 != i }.map { d[i][$0] }.min()! }
        func noReference(_ problem: Problem) -> IdentityVerdict {
            IdentityVerdict(threshold: threshold, reference: nil, groupSize: 0, problem: problem,
                            outcomes: nearest.map { .noReference(nearest: $0) })
        }
        if largest == 1 { return noReference(.noTwoAgree) }
        if tied.count > 1 { return noReference(.tiedGroups(count: tied.count, size: largest)) }
        let group = tied[0]
        let reference = group.min { a, b in
            let (sa, sb) = (group.reduce(0) { $0 + d[a][$1] }, group.reduce(0) { $0 + d[b][$1] })
            return sa != sb ? sa < sb : a < b
        }!
        let outcomes: [Outcome] = (0..<n).map { i in
            d[reference][i] < threshold ? .accepted(distance: d[reference][i]) : .differentPerson(distance: d[reference][i])
        }
        let accepted = outcomes.filter { if case .accepted = $0 { return true }; return false }.count
        if 2 * accepted < n { return noReference(.noMajority(size: accepted, of: n)) }
        return IdentityVerdict(threshold: threshold, reference: reference, groupSize: group.count, problem: nil, outcomes: outcomes)
    }

    /// Connected components of the graph linking photos closer than `threshold`, each sorted, in
    /// order of their first photo.
    static func connectedGroups(_ d: [[Float]], threshold: Float) -> [[Int]] {
        let n = d.count
        var label = [Int](repeating: -1, count: n), groups: [[Int]] = []
        for start in 0..<n where label[start] < 0 {
            var stack = [start], members: [Int] = []
            label[start] = groups.count
            while let i = stack.popLast() {
                members.append(i)
                for j in 0..<n where label[j] < 0 && d[i][j] < threshold {
                    label[j] = groups.count
                    stack.append(j)
                }
            }
            groups.append(members.sorted())
        }
        return groups
    }
}

/// The gate as the bundle stage uses it: the model and the threshold.
public struct IdentityGate: Sendable {
    public let model: FaceRecognitionModel
    public let threshold: Float

    public init(model: FaceRecognitionModel, threshold: Float = FaceRecognitionModel.dlibThreshold) {
        self.model = model
        self.threshold = threshold
    }

    /// The verdict on these faces (photo and its 68 landmarks), embedded 16 at a time.
    public func verdict(_ faces: [(image: Image, landmarks: [Point2])]) -> (verdict: IdentityVerdict, embeddings: [FaceEmbedding]) {
        var embeddings: [FaceEmbedding] = []
        for start in stride(from: 0, to: faces.count, by: 16) {
            let batch = faces[start..<min(start + 16, faces.count)]
            embeddings += model.embed(chips: batch.map { model.chip($0.image, landmarks: $0.landmarks) })
        }
        return (IdentityVerdict.decide(embeddings, threshold: threshold), embeddings)
    }
}
