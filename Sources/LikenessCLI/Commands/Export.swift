import ArgumentParser
import Assets
import FaceModel
import Foundation
import Imaging

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a head model as glTF binary (GLB) or OBJ.",
        discussion: """
        The model is Likeness' embedded head unless an ICT-FaceKit FaceXModel folder (--ict) or a \
        FLAME .npz made by Scripts/flame_to_npz.py (--flame) is given. GLB carries every expression blendshape as a named morph \
        target (mesh.extras.targetNames), the model's joints as a glTF skin (rotate a joint node to turn the head, open \
        the jaw or move an eye) and an optional embedded texture; OBJ carries only the mesh with UVs and normals.
        """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Identity coefficients β, comma-separated, in standard deviations, each within ±5 (default: the template).")
    var identity: String?

    @Option(help: "A texture image (PNG/JPEG/…) to embed as the base colour.")
    var texture: String?

    @Option(name: .shortAndLong, help: "Output file; .glb or .obj decides the format.")
    var output: String

    func validate() throws {
        let ext = URL(fileURLWithPath: output).pathExtension.lowercased()
        guard ["glb", "obj"].contains(ext) else { throw ValidationError("the output must end in .glb or .obj, not .\(ext)") }
    }

    func run() throws {
        let logger = global.makeLogger("likeness.export")
        let model = try modelOptions.load()
        let beta = try FaceCoefficientOptions.identity(identity, for: model)
        let image = try texture.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)) }
        let url = URL(fileURLWithPath: output)
        let wrote: String
        if url.pathExtension.lowercased() == "obj" {
            try ObjWriter.write(model, identity: beta, texture: image, to: url)
            wrote = "\(model.vertexCount) vertices; OBJ has no blendshapes or joints, so the model's "
                + "\(counted(model.expressionCount, "expression")) are not in it (write .glb for them)"
        } else {
            try GLBExporter.export(model, identity: beta, texture: image, to: url)
            wrote = "\(model.vertexCount) vertices, \(counted(model.expressionCount, "blendshape")) as morph targets, "
                + "a skin of \(counted(model.joints.count, "joint")) (\(model.joints.map(\.name).joined(separator: ", ")))"
        }
        logger.info("wrote \(url.path): \(model.info.name) \(wrote) (\(model.info.licence))")
    }
}
