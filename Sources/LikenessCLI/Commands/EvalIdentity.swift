import ArgumentParser
import FaceDetect
import FaceRecognition
import Foundation
import Imaging
import Reconstruction

/// `likeness eval identity`: same/different accuracy of dlib's face-recognition embeddings (as the
/// identity gate uses them, on faces found by the default front end) on pairs from one person's
/// folder against folders of other people, and the gate itself on folders with a stranger mixed in.
struct EvalIdentity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Same/different-person accuracy of the identity embedding, and the identity gate on mixed folders.",
        discussion: """
            Same pairs: every two photos of --person. Different pairs: every photo of --person with \
            every photo of each strangers folder. A pair is called "same" when its distance is below \
            --threshold. Also runs the gate on folders of --gate-size photos of the person plus one \
            stranger (is the stranger rejected, are the person's photos kept?) and on folders of \
            --gate-size strangers (is everything rejected?). Writes identity-pairs.csv to --output.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "A folder of photos of one person.")
    var person = "../shared/data/people/george-w-bush"

    @Option(parsing: .upToNextOption, help: "Folders of photos of other people.")
    var strangers = ["../shared/data/faces-utk", "../shared/data/faces-300w/afw"]

    @Option(help: "Photos used per folder (the first, by name).")
    var count = 100

    @Option(help: "The distance threshold.")
    var threshold: Float = FaceRecognitionModel.dlibThreshold

    @Option(help: "How much closer than the threshold two photos must be to found the gate's reference group.")
    var groupingMargin: Float = IdentityVerdict.groupingMargin

    @Option(help: "Photos of the person per simulated gate folder.")
    var gateSize = 8

    @Option(help: "Folder for identity-pairs.csv.")
    var output = "."

    struct Set_ { var name: String; var embeddings: [FaceEmbedding]; var located: Int; var tried: Int }

    func run() throws {
        let model = try FaceRecognitionModel()
        let frontEnd = try FaceFrontEnd.standard()
        let people = try embed(person, model: model, frontEnd: frontEnd)
        let others = try strangers.map { try embed($0, model: model, frontEnd: frontEnd) }
        for set in [people] + others {
            print("\(set.name): \(set.located) of \(set.tried) photos with a usable face")
        }
        var csv = "kind,set,i,j,distance\n"
        var same: [Float] = [], different: [(String, Float)] = []
        for i in people.embeddings.indices { for j in (i + 1)..<people.embeddings.count {
            let d = people.embeddings[i].distance(to: people.embeddings[j])
            same.append(d)
            csv += "same,\(people.name),\(i),\(j),\(d)\n"
        } }
        for set in others { for (i, a) in people.embeddings.enumerated() { for (j, b) in set.embeddings.enumerated() {
            let d = a.distance(to: b)
            different.append((set.name, d))
            csv += "different,\(set.name),\(i),\(j),\(d)\n"
        } } }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try csv.write(toFile: (output as NSString).appendingPathComponent("identity-pairs.csv"), atomically: true, encoding: .utf8)

        let t = threshold
        func rate(_ values: [Float], _ ok: (Float) -> Bool) -> Double { Double(values.filter(ok).count) / Double(max(values.count, 1)) }
        print(String(format: "threshold %.2f", t))
        print(String(format: "same pairs       %6d  called same      %.4f   distance mean %.3f, max %.3f",
                     same.count, rate(same) { $0 < t }, mean(same), same.max() ?? 0))
        for set in others {
            let ds = different.filter { $0.0 == set.name }.map(\.1)
            print(String(format: "different pairs  %6d  called different %.4f   distance mean %.3f, min %.3f   (%@)",
                         ds.count, rate(ds) { $0 >= t }, mean(ds), ds.min() ?? 0, set.name))
        }
        let allDifferent = different.map(\.1)
        let accuracy = (Double(same.filter { $0 < t }.count) + Double(allDifferent.filter { $0 >= t }.count))
            / Double(same.count + allDifferent.count)
        let balanced = (rate(same) { $0 < t } + rate(allDifferent) { $0 >= t }) / 2
        print(String(format: "accuracy %.4f over %d pairs, balanced (mean of the two rates) %.4f", accuracy, same.count + allDifferent.count, balanced))
        let best = stride(from: Float(0.30), through: 0.90, by: 0.01).map { c -> (Float, Double) in
            (c, (rate(same) { $0 < c } + rate(allDifferent) { $0 >= c }) / 2)
        }.max { $0.1 < $1.1 }!
        print(String(format: "best threshold on these pairs %.2f (balanced accuracy %.4f)", best.0, best.1))
        var strangerPairs: [Float] = []
        let all = others.flatMap(\.embeddings)
        for i in all.indices { for j in (i + 1)..<all.count { strangerPairs.append(all[i].distance(to: all[j])) } }
        print(String(format: "stranger pairs   %6d  called different %.4f   (every two photos of the strangers folders)",
                     strangerPairs.count, rate(strangerPairs) { $0 >= t }))
        gate(people, others, threshold: threshold)
        print("threshold sweep: same = same pairs called same; diff = person-stranger pairs called different; strangers = stranger pairs called different;")
        print("  gate = stranger rejected / person's photos kept in person+stranger folders; empty = stranger folders publishing nothing")
        for c: Float in [0.45, 0.50, 0.55, 0.60, 0.65] {
            let g = gateFigures(people, others, threshold: c)
            print(String(format: "  %.2f  same %.4f  diff %.4f  strangers %.4f  gate %.4f / %.4f  empty %d of %d",
                         c, rate(same) { $0 < c }, rate(allDifferent) { $0 >= c }, rate(strangerPairs) { $0 >= c },
                         g.caught, g.kept, g.empty, g.folders))
        }
    }

    /// The gate on simulated folders: the person's photos in groups of `gateSize` plus one stranger,
    /// and folders of `gateSize` strangers.
    func gate(_ people: Set_, _ others: [Set_], threshold: Float) {
        let k = max(1, gateSize)
        guard people.embeddings.count >= k else { return print("gate: fewer than \(k) photos of the person") }
        let g = gateFigures(people, others, threshold: threshold)
        print(String(format: "gate, %d folders of %d photos of the person + 1 stranger: stranger rejected in %.4f, person's photos kept %.4f",
                     g.mixed, k, g.caught, g.kept))
        print("gate, \(g.folders) folders of \(k) strangers: nothing accepted in \(g.empty)")
    }

    /// Fraction of mixed folders whose stranger is rejected, fraction of the person's photos kept,
    /// and how many stranger-only folders publish nothing.
    func gateFigures(_ people: Set_, _ others: [Set_], threshold: Float) -> (mixed: Int, caught: Double, kept: Double, empty: Int, folders: Int) {
        let p = people.embeddings, k = max(1, min(gateSize, p.count))
        let strangersAll = others.flatMap(\.embeddings)
        var caught = 0, lostPerson = 0, keptPerson = 0
        for (n, stranger) in strangersAll.enumerated() {
            let start = (n * k) % (p.count - k + 1)
            let accepted = Set(IdentityVerdict.decide(Array(p[start..<(start + k)]) + [stranger], threshold: threshold, groupingMargin: groupingMargin).acceptedIndices)
            if !accepted.contains(k) { caught += 1 }
            keptPerson += (0..<k).filter { accepted.contains($0) }.count
            lostPerson += (0..<k).filter { !accepted.contains($0) }.count
        }
        var empty = 0, folders = 0
        for start in stride(from: 0, to: strangersAll.count - k + 1, by: k) {
            folders += 1
            if IdentityVerdict.decide(Array(strangersAll[start..<(start + k)]), threshold: threshold, groupingMargin: groupingMargin).acceptedIndices.isEmpty { empty += 1 }
        }
        return (strangersAll.count, Double(caught) / Double(max(strangersAll.count, 1)),
                Double(keptPerson) / Double(max(keptPerson + lostPerson, 1)), empty, folders)
    }

    func embed(_ folder: String, model: FaceRecognitionModel, frontEnd: FaceFrontEnd) throws -> Set_ {
        let url = URL(fileURLWithPath: folder)
        let names = Array(try FileManager.default.contentsOfDirectory(atPath: folder).filter {
            PhotoIntake.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.hasPrefix(".")
        }.sorted().prefix(count))
        var embeddings: [FaceEmbedding] = []
        var progress = Progress(url.lastPathComponent, total: names.count)
        for (i, name) in names.enumerated() {
            defer { progress.update(i + 1) }
            guard let image = try? ImageDecoder.decode(contentsOf: url.appendingPathComponent(name)),
                  let face = try? frontEnd.locate(in: image) else { continue }
            embeddings.append(model.embed(image, landmarks: face.landmarks))
        }
        return Set_(name: url.lastPathComponent, embeddings: embeddings, located: embeddings.count, tried: names.count)
    }

    func mean(_ v: [Float]) -> Float { v.isEmpty ? 0 : v.reduce(0, +) / Float(v.count) }
}
