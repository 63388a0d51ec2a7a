import ArgumentParser
import Assets
import FaceModel
import Foundation
import Imaging
import Reconstruction
import Render

/// `likeness render`: renders a mesh with a given camera into preview PNGs (shaded grey,
/// textured, landmarks, contact sheet).
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a model with given parameters (grey, textured, landmarks, contact sheet).",
        discussion: """
            Renders the embedded head by default, or --ict (ICT-FaceKit FaceXModel folder, face \
            area), --flame (FLAME .pkl/.npz) or --obj (a plain mesh with UVs); --procedural renders \
            the procedural test head. Model parameters: --expression name=weight (repeatable), \
            --identity β₀,β₁,…. Writes grey.png, textured.png, landmarks.png and sheet.png into \
            --output. The camera is u = s·Π(R v) + t in pixels (x right, y down); by default it \
            frames the face (the model's landmarks) or the whole mesh, --scale/--tx/--ty set it explicitly.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "ICT-FaceKit FaceXModel folder (renders its face area).")
    var ict: String?
    @Option(help: "FLAME model file (.pkl or .npz).")
    var flame: String?
    @Option(help: "An OBJ mesh with UVs (no model parameters).")
    var obj: String?
    @Flag(help: "Render the procedural test head (an ellipsoid with a nose).")
    var procedural = false
    @Option(help: "Expression blendshape weight, name=weight (repeatable; 0…1 for ARKit blendshapes, else ±5 standard deviations).")
    var expression: [String] = []
    @Option(help: "Identity coefficients β (comma-separated, in standard deviations, each within ±5).")
    var identity: String?
    @Option(help: "Joint rotation, joint=x,y,z (axis-angle in degrees, e.g. jaw=8,0,0; repeatable).")
    var pose: [String] = []
    @Option(help: "With --obj: keep only triangles whose vertices are all below this index.")
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
    @Option(help: "Displacement map (grey PNG; 0…255 ↦ −1…+1 cm along the normal, 128 = none).")
    var displacement: String?
    @Option(help: "A bundle's wrinkle rig (the bundle folder or its wrinkles.json): the displacement blended by the --expression weights, on the bundle's identity unless --identity is given.")
    var details: String?
    @Flag(help: "Also unwrap the photo (or, without one, the textured render) into UV space.")
    var unwrap = false
    @Option(help: "Output folder.") var output = "render-preview"

    func run() throws {
        let (mesh, embeddings) = try loadSubject()
        let background = try photo.map { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)).converted(channels: 3) }
        let width = background?.width ?? size, height = background?.height ?? size
        guard (1...8192).contains(width), (1...8192).contains(height) else {
            throw ValidationError("render size must be 1...8192 pixels")
        }
        let camera = makeCamera(mesh: mesh, landmarks: embeddings, width: width, height: height)
        let albedo = try texture.map { TextureMap(image: try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: $0)).converted(channels: 3)) }
            ?? ProceduralHead.checkerAlbedo(size: 256)
        guard displacement == nil || details == nil else { throw ValidationError("choose --displacement or --details") }
        let details = try displacement.map(loadDisplacement) ?? detailRig().map {
            $0.blend(weights: try FaceCoefficientOptions.expression(expression, for: EmbeddedHead.make()))
        }
        let grey = try Preview.textured(mesh: mesh, albedo: try TextureMap(width: 1, height: 1, fill: [0.75, 0.75, 0.75]),
                                        camera: camera, width: width, height: height, displacement: details,
                                        background: background)
        let textured = try Preview.textured(mesh: mesh, albedo: albedo, camera: camera, width: width, height: height,
                                            displacement: details, background: background)
        let points = Preview.project(embeddings, mesh: mesh, camera: camera)
            + Preview.project(vertices: try parseIDs(landmarkVertices), mesh: mesh, camera: camera)
        let marked = Preview.landmarks(on: background ?? grey, points: points)
        var images = [("grey", grey), ("textured", textured), ("landmarks", marked)]
        if unwrap {
            let source = TextureMap(image: background ?? textured)
            let unwrapped = try UVUnwrapper.unwrap(photo: source, mesh: mesh, camera: camera,
                                                   atlas: UVAtlas(mesh: mesh, size: 256))
            images += [("unwrapped", unwrapped.texture.image()), ("visibility", Preview.visibility(unwrapped))]
        }
        images.append(("sheet", Preview.contactSheet(images.map(\.1))))
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, image) in images {
            try PNGEncoder.encode(image).write(to: folder.appendingPathComponent("\(name).png"))
        }
        print("rendered \(mesh.vertexCount) vertices, \(mesh.triangleCount) triangles at \(width)×\(height), "
              + "s = \(camera.scale), t = (\(camera.translation.x), \(camera.translation.y)) → \(folder.path)")
    }

    /// The mesh to render and the surface points to mark (the model's 68 landmarks).
    private func loadSubject() throws -> (RenderMesh, [LandmarkEmbedding]) {
        let sources = [ict != nil, flame != nil, obj != nil, procedural].filter { $0 }.count
        guard sources <= 1 else { throw ValidationError("choose one of --ict, --flame, --obj, --procedural") }
        if procedural || obj != nil {
            guard expression.isEmpty, identity == nil, pose.isEmpty else {
                throw ValidationError("--expression, --identity and --pose need a morphable model (--ict, --flame or the embedded head)")
            }
            return (try obj.map(loadOBJ) ?? ProceduralHead.mesh(), [])
        }
        let model: MorphableModel
        if let ict {
            model = try ICTFaceKitImporter.load(URL(fileURLWithPath: ict), faceOnly: true)
        } else if let flame {
            model = try FlameImporter.load(URL(fileURLWithPath: flame))
        } else {
            model = EmbeddedHead.make()
        }
        return (try RenderMesh(model: model, positions: try posedPositions(model)), model.landmarks)
    }

    /// The model's vertices for the requested parameters (the template when there are none).
    private func posedPositions(_ model: MorphableModel) throws -> [Float] {
        var code = FaceCode.neutral(for: model)
        code.expression = try FaceCoefficientOptions.expression(expression, for: model)
        let beta = try identity == nil ? (bundleIdentity() ?? []) : FaceCoefficientOptions.identity(identity, for: model)
        code.identity.replaceSubrange(0..<min(beta.count, code.identity.count), with: beta.prefix(code.identity.count))
        for item in pose {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let angles = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Float($0) } : []
            guard angles.count == 3, angles.allSatisfy(\.isFinite) else {
                throw ValidationError("--pose wants joint=x,y,z in degrees, got '\(item)'")
            }
            guard let j = model.joints.firstIndex(where: { $0.name == parts[0] }) else {
                let known = model.joints.isEmpty ? "none" : model.joints.map(\.name).joined(separator: ", ")
                throw ValidationError("the model has no joint '\(parts[0])' (it has: \(known))")
            }
            code.setRotation(SIMD3(angles[0], angles[1], angles[2]) * (Float.pi / 180), ofJoint: j)
        }
        if code == FaceCode.neutral(for: model) { return model.template }
        return try FaceEvaluator(model: model).evaluate(code).vertices
    }

    private func loadOBJ(_ path: String) throws -> RenderMesh {
        let parsed = try ObjMesh(contentsOf: URL(fileURLWithPath: path))
        guard !parsed.uvTriangles.isEmpty else { throw ValidationError("\(path) has no texture coordinates") }
        var triangles: [Int32] = [], uvTriangles: [Int32] = []
        let limit = Int32(clamping: vertexLimit ?? Int(Int32.max))
        for f in 0..<(parsed.triangles.count / 3) {
            let corners = parsed.triangles[(3 * f)..<(3 * f + 3)]
            guard corners.allSatisfy({ $0 < limit }) else { continue }
            triangles += corners
            uvTriangles += parsed.uvTriangles[(3 * f)..<(3 * f + 3)]
        }
        return try RenderMesh(positions: parsed.positions, triangles: triangles, uvs: parsed.uvs, uvTriangles: uvTriangles)
    }

    /// Frames the face (the 68 landmarks, filling 55% of the frame like an aligned face crop) when
    /// the model has landmarks, else the whole mesh (80%); --scale/--tx/--ty override.
    private func makeCamera(mesh: RenderMesh, landmarks: [LandmarkEmbedding], width: Int, height: Int) -> OrthoCamera {
        let radians = Float.pi / 180
        let rotation = Rodrigues.matrix([0, yaw * radians, 0]) * Rodrigues.matrix([-pitch * radians, 0, 0])
        let points = landmarks.isEmpty ? mesh.positions : mesh.surfacePoints(landmarks)
        var rotated = points
        for i in stride(from: 0, to: points.count, by: 3) {
            let v = rotation * SIMD3(points[i], points[i + 1], points[i + 2])
            (rotated[i], rotated[i + 1], rotated[i + 2]) = (v.x, v.y, v.z)
        }
        var camera = OrthoCamera.framing(positions: rotated, width: width, height: height,
                                         fill: landmarks.isEmpty ? 0.8 : 0.55)
        camera.rotation = rotation
        if let scale { camera.scale = scale }
        if let tx { camera.translation.x = tx }
        if let ty { camera.translation.y = ty }
        return camera
    }

    /// The rig `--details` names (nil without it).
    private func detailRig() throws -> WrinkleRig? {
        guard let details else { return nil }
        guard ict == nil, flame == nil, obj == nil, !procedural else { throw ValidationError("--details needs the embedded head") }
        let url = URL(fileURLWithPath: details)
        return try WrinkleRig(contentsOf: url.pathExtension == "json" ? url : url.appendingPathComponent(WrinkleRig.documentName))
    }

    /// The identity in the `summary.json` beside the `--details` rig, if any.
    private func bundleIdentity() throws -> [Float]? {
        guard let details else { return nil }
        var folder = URL(fileURLWithPath: details)
        if folder.pathExtension == "json" { folder.deleteLastPathComponent() }
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("summary.json")) else { return nil }
        if let record = try? JSONDecoder().decode(ReconstructionRecord.self, from: data) { return record.summary.identity }
        return try? JSONDecoder().decode(PersonFitSummary.self, from: data).identity
    }

    /// A grey image as a displacement map in metres: D = (value/255 − ½)·0.02, so D ∈ [−0.01, 0.01].
    private func loadDisplacement(_ path: String) throws -> TextureMap {
        let grey = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path)).converted(channels: 1)
        return try TextureMap(width: grey.width, height: grey.height, channels: 1,
                              data: grey.pixels.map { (Float($0) / 255 - 0.5) * 0.02 })
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
