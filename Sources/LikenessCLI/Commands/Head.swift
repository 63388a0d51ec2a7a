import ArgumentParser
import FaceModel
import Foundation

/// `likeness head`: inspect the embedded head model (dump its arrays for the render script).
struct Head: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Inspect the embedded head model.",
        subcommands: [HeadDump.self]
    )
}

/// Writes the embedded head's arrays as raw little-endian files plus a JSON header, the input of
/// `Scripts/head_render.py`.
struct HeadDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the embedded head's arrays (raw float32/int32 + header.json) to a folder."
    )

    @Argument(help: "Output folder.")
    var output: String

    func run() throws {
        let start = Date()
        let model = EmbeddedHead.make()
        let seconds = Date().timeIntervalSince(start)
        let dir = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func write<T>(_ name: String, _ array: [T]) throws {
            try array.withUnsafeBytes { try Data($0).write(to: dir.appendingPathComponent(name)) }
        }
        try write("template.f32", model.template)
        try write("triangles.i32", model.triangles)
        try write("uvs.f32", model.uvs)
        try write("uvTriangles.i32", model.uvTriangles)
        try write("identity.f32", model.identityBasis)
        try write("expression.f32", model.expressionBasis)
        try write("regions.u8", model.vertexRegions.map { $0.rawValue })
        try write("skinWeights.f32", model.skinWeights)
        try write("jointRegressor.f32", model.jointRegressor)
        let lm = model.landmarks.flatMap { [Float($0.triangle), $0.barycentric.x, $0.barycentric.y, $0.barycentric.z] }
        try write("landmarks.f32", lm)
        let header: [String: Any] = [
            "vertexCount": model.vertexCount, "triangleCount": model.triangleCount,
            "identityCount": model.identityCount, "expressionNames": model.expressionNames,
            "joints": model.joints.map { $0.name }, "contentHash": model.info.contentHash,
            "version": model.info.version, "buildSeconds": seconds,
        ]
        try JSONSerialization.data(withJSONObject: header, options: [.prettyPrinted, .sortedKeys])
            .write(to: dir.appendingPathComponent("header.json"))
        print("embedded head: \(model.vertexCount) vertices, \(model.triangleCount) triangles, built in \(String(format: "%.2f", seconds)) s → \(output)")
    }
}
