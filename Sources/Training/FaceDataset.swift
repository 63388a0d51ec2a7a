import Foundation

/// A training set of aligned face crops on disk (never in git): `dataset.json` (this manifest) and
/// `crops.u8`, the crops one after another, each `cropSize² × 3` bytes RGB, row-major.
///
/// Landmarks are 68 iBUG points in crop pixels (0-based). `person` groups samples of one person
/// (a folder of one person, a video; a photo of a many-person collection is its own person), which
/// is what the shape-consistency loss L_sc pairs on.
public struct FaceDatasetManifest: Codable, Sendable {
    public static let currentVersion = 1

    public struct Sample: Codable, Sendable, Equatable {
        /// Position in `crops.u8`.
        public var index: Int
        public var source: String
        public var name: String
        public var person: String
        /// 136 numbers: x₀, y₀, x₁, y₁, … in crop pixels.
        public var landmarks: [Float]
        /// Where the landmarks come from: `pts` (annotation) or `detector` (pseudo-label).
        public var labels: String
        /// Which landmarks aligned the crop: `detector` (as at inference) or `pts`.
        public var alignedBy: String
        /// Mean distance of the crop's landmarks to the alignment template, over the template's
        /// outer-eye-corner distance: how far the face is from a frontal mean face (the reliability
        /// measure the builder rejects on).
        public var templateResidual: Float
        /// The exact parameters of a synthetic face (`SyntheticFaceGenerator`); nil for photos.
        public var parameters: SyntheticFaceParameters? = nil
    }

    public struct Rejected: Codable, Sendable, Equatable {
        public var source: String
        public var name: String
        public var code: String
        public var reason: String
    }

    public var version = FaceDatasetManifest.currentVersion
    public var cropSize: Int
    public var created: String
    public var sources: [String]
    public var samples: [Sample]
    public var rejected: [Rejected]
    /// The `templateResidual` above which pseudo-labelled faces were rejected.
    public var maximumTemplateResidual: Float
}

/// A dataset loaded for training: the manifest and all crops in memory.
public final class FaceDataset: @unchecked Sendable {
    public let manifest: FaceDatasetManifest
    public let crops: Data
    public var cropSize: Int { manifest.cropSize }
    public var count: Int { manifest.samples.count }
    var bytesPerCrop: Int { cropSize * cropSize * 3 }

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case unsupportedVersion(Int)
        case truncated(expected: Int, found: Int)
        case mixedCropSizes(Int, Int)
        public var description: String {
            switch self {
            case .missing(let path): return "not a Likeness dataset: \(path) is missing (make one with `likeness dataset build`)"
            case .unsupportedVersion(let v): return "dataset version \(v) is not supported (this build reads \(FaceDatasetManifest.currentVersion))"
            case let .truncated(expected, found): return "crops.u8 holds \(found) bytes, the manifest needs \(expected)"
            case let .mixedCropSizes(a, b): return "datasets of \(a)² and \(b)² crops cannot be trained on together"
            }
        }
    }

    /// An in-memory dataset: `crops` holds the samples' RGB crops in index order.
    public init(manifest: FaceDatasetManifest, crops: Data) {
        self.manifest = manifest
        self.crops = crops
    }

    public init(directory: URL) throws {
        let manifestURL = directory.appendingPathComponent("dataset.json")
        let cropsURL = directory.appendingPathComponent("crops.u8")
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { throw LoadError.missing(manifestURL.path) }
        guard FileManager.default.fileExists(atPath: cropsURL.path) else { throw LoadError.missing(cropsURL.path) }
        let manifest = try JSONDecoder().decode(FaceDatasetManifest.self, from: Data(contentsOf: manifestURL))
        guard manifest.version == FaceDatasetManifest.currentVersion else { throw LoadError.unsupportedVersion(manifest.version) }
        let crops = try Data(contentsOf: cropsURL, options: .mappedIfSafe)
        let needed = (manifest.samples.map(\.index).max().map { $0 + 1 } ?? 0) * manifest.cropSize * manifest.cropSize * 3
        guard crops.count >= needed else { throw LoadError.truncated(expected: needed, found: crops.count) }
        self.manifest = manifest
        self.crops = crops
    }

    /// Several datasets of one crop size as one (their samples in order, indices renumbered).
    public convenience init(merging parts: [FaceDataset]) throws {
        guard let first = parts.first else { throw LoadError.missing("no dataset given") }
        if parts.count == 1 { self.init(manifest: first.manifest, crops: first.crops); return }
        guard let odd = parts.first(where: { $0.cropSize != first.cropSize }) else {
            var samples: [FaceDatasetManifest.Sample] = []
            var crops = Data(capacity: parts.reduce(0) { $0 + $1.count } * first.bytesPerCrop)
            for part in parts {
                for i in 0..<part.count {
                    var sample = part.manifest.samples[i]
                    sample.index = samples.count
                    samples.append(sample)
                    part.withCrop(i) { crops.append($0, count: part.bytesPerCrop) }
                }
            }
            var manifest = first.manifest
            manifest.sources = parts.flatMap(\.manifest.sources)
            manifest.samples = samples
            manifest.rejected = parts.flatMap(\.manifest.rejected)
            self.init(manifest: manifest, crops: crops)
            return
        }
        throw LoadError.mixedCropSizes(first.cropSize, odd.cropSize)
    }

    /// The crop bytes of sample `i` (position in `manifest.samples`).
    public func withCrop<R>(_ i: Int, _ body: (UnsafePointer<UInt8>) -> R) -> R {
        let offset = manifest.samples[i].index * bytesPerCrop
        return crops.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset) }
    }

    /// Landmarks of sample `i` as points.
    public func landmarks(_ i: Int) -> [SIMD2<Float>] {
        let l = manifest.samples[i].landmarks
        return (0..<68).map { SIMD2(l[2 * $0], l[2 * $0 + 1]) }
    }
}
