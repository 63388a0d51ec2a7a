import ArgumentParser
import FaceModel
import Foundation
import Imaging
import Render

/// `likeness render`: renders a mesh with a given camera into preview PNGs (shaded grey,
/// textured, landmarks, contact sheet).
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a model with given parameters (grey, textured, landmarks, contact sheet).",
        discussion: """
            Without --obj renders the procedural test head. Writes grey.png, textured.png, \
            landmarks.png and sheet.png into --output. The camera is u = s·Π(R v) + t in pixels \
            (x right, y down); by default it frames the mesh, --scale/--tx/--ty set it explicitly.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "An OBJ mesh with UVs (e.g. ICT-FaceKit's generic_neutral_mesh.obj).")
    var obj: String?
    @Option(help: "Keep only triangles whose vertices are all below this index (ICT-FaceKit face: 9409).")
    var vertexLimit: Int?
    @Option(help: "Comma-separated vertex ids to mark as landmarks.")
    var landmarkVertices: String?
    @Option(help: "Albedo texture (PNG/JPEG); default a UV checker.")
    var texture: String?
    @Option(help: "Photo to composite over (its size sets the render size).")
    var photo: String?
    @Option(help: "Render width and height when there is no photo.")
    var size = 256
    @Option(help: "Head yaw in degrees (positive turns the face towards image +x).")
    var yaw: Float = 0
    @Option(help: "Head pitch in degrees (positive tilts the face up).")
    var pitch: Float = 0
    @Option(help: "Camera scale s in pixels per model unit (default: frame the mesh).")
    var scale: Float?
    @Option(help: "Camera translation t_x in pixels.") var tx: Float?
    @Option(help: "Camera translation t_y in pixels.") var ty: Float?
    @Option(help: "Output folder.") var output = "render-preview"

    func run() throws {
        let mesh = try loadMesh()
        let background = try photo.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)).converted(channels: 3) }
        let width = background?.width ?? size, height = background?.height ?? size
        guard (1...8192).contains(width), (1...8192).contains(height) else {
            throw ValidationError("render size must be 1...8192 pixels")
        }
        let camera = makeCamera(mesh: mesh, width: width, height: height)
        let albedo = try texture.map { TextureMap(image: try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)).converted(channels: 3)) }
            ?? ProceduralHead.checkerAlbedo(size: 256)
        let grey = try Preview.grey(mesh: mesh, camera: camera, width: width, height: height, background: background)
        let textured = try Preview.textured(mesh: mesh, albedo: albedo, camera: camera, width: width, height: height,
                                            background: background)
        let ids = try parseIDs(landmarkVertices)
        let marked = Preview.landmarks(on: background ?? grey, points: Preview.project(vertices: ids, mesh: mesh, camera: camera))
        let sheet = Preview.contactSheet([grey, textured, marked])
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, image) in [("grey", grey), ("textured", textured), ("landmarks", marked), ("sheet", sheet)] {
            try PNGEncoder.encode(image).write(to: folder.appendingPathComponent("\(name).png"))
        }
        print("rendered \(mesh.vertexCount) vertices, \(mesh.triangleCount) triangles at \(width)×\(height), "
              + "s = \(camera.scale), t = (\(camera.translation.x), \(camera.translation.y)) → \(folder.path)")
    }

    private func loadMesh() throws -> RenderMesh {
        guard let obj else { return ProceduralHead.mesh() }
        let parsed = try ObjMesh(contentsOf: URL(fileURLWithPath: obj))
        guard !parsed.uvTriangles.isEmpty else { throw ValidationError("\(obj) has no texture coordinates") }
        var triangles: [Int32] = [], uvTriangles: [Int32] = []
        let limit = Int32(vertexLimit ?? Int(Int32.max))
        for f in 0..<(parsed.triangles.count / 3) {
            let corners = parsed.triangles[(3 * f)..<(3 * f + 3)]
            guard corners.allSatisfy({ $0 < limit }) else { continue }
            triangles += corners
            uvTriangles += parsed.uvTriangles[(3 * f)..<(3 * f + 3)]
        }
        return try RenderMesh(positions: parsed.positions, triangles: triangles, uvs: parsed.uvs, uvTriangles: uvTriangles)
    }

    private func makeCamera(mesh: RenderMesh, width: Int, height: Int) -> OrthoCamera {
        let radians = Float.pi / 180
        let rotation = Rodrigues.matrix([0, yaw * radians, 0]) * Rodrigues.matrix([-pitch * radians, 0, 0])
        let used = Set(mesh.triangles.map(Int.init))
        var rotated: [Float] = []
        for i in used { let v = rotation * SIMD3(mesh.positions[3 * i], mesh.positions[3 * i + 1], mesh.positions[3 * i + 2]); rotated += [v.x, v.y, v.z] }
        var camera = OrthoCamera.framing(positions: rotated, width: width, height: height)
        camera.rotation = rotation
        if let scale { camera.scale = scale }
        if let tx { camera.translation.x = tx }
        if let ty { camera.translation.y = ty }
        return camera
    }

    private func parseIDs(_ text: String?) throws -> [Int] {
        guard let text, !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw ValidationError("--landmark-vertices: '\(part)' is not a vertex id")
            }
            return id
        }
    }
}
