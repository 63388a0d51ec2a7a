import Foundation
import Imaging
import Render

extension WrinkleRig {
    /// `wrinkles.json`, the rig's description for engines (schema in `Docs/wrinkles.md`). Paths
    /// are relative to the JSON file's folder.
    public struct Document: Codable, Sendable, Equatable {
        public var format: String
        public var version: Int
        public var uv: String
        /// d: every map is d×d.
        public var size: Int
        public var displacement: Displacement
        public var normalMap: String
        public var normalMapConvention: String
        public var wrinkles: [Entry]
        public var blend: Blend

        public struct Displacement: Codable, Sendable, Equatable {
            public var neutral: String
            public var encoding: DisplacementEncoding
        }

        public struct Entry: Codable, Sendable, Equatable {
            public var blendshape: String
            public var morphTargetIndex: Int
            public var displacement: String
            public var normalMap: String
            public var mask: String
            public var weightCurve: WeightCurve

            enum CodingKeys: String, CodingKey {
                case blendshape, morphTargetIndex = "morph_target_index", displacement, normalMap = "normal_map", mask
                case weightCurve = "weight_curve"
            }
        }

        public struct Blend: Codable, Sendable, Equatable {
            public var displacement: String
            public var normalMap: String
            enum CodingKeys: String, CodingKey { case displacement, normalMap = "normal_map" }
        }

        enum CodingKeys: String, CodingKey {
            case format, version, uv, size, displacement, normalMap = "normal_map"
            case normalMapConvention = "normal_map_convention", wrinkles, blend
        }

        public static let formatName = "likeness-wrinkles"
        public static let currentVersion = 1
        static let uvConvention = "embedded head UV (mesh.uvs, TEXCOORD_0 of head.glb), v = 0 at the image's bottom; "
            + "texel (i, j) centre u = (i + 0.5)/d, v = 1 - (j + 0.5)/d"
        static let normalMapText = "tangent space, glTF normalTexture: rgb = (n + 1)/2, +X = +u, +Y = +v (OpenGL, green up), "
            + "+Z out of the surface, MikkTSpace tangents"
        static let blendRule = Blend(
            displacement: "D(w) = D_neutral + sum_k c_k(clamp(w[morph_target_index_k], 0, 1)) * M_k * (D_k - D_neutral); "
                + "c_k = weight_curve: linear w, smoothstep 3w^2 - 2w^3",
            normalMap: "bake from D(w), or per texel a_k = c_k(w) * M_k and n = normalize(N_neutral + sum_k a_k (N_k - N_neutral)) "
                + "with N = n / n_z, n = 2 rgb - 1 (the slopes (x/z, y/z, 1) are linear in D, so they blend exactly)")
    }

    public static let documentName = "wrinkles.json"
    static let detailsFolder = "details"

    /// The document describing this rig's files.
    public var document: Document {
        let folder = Self.detailsFolder
        return Document(
            format: Document.formatName, version: Document.currentVersion, uv: Document.uvConvention, size: size,
            displacement: .init(neutral: "\(folder)/neutral-displacement.png", encoding: .standard),
            normalMap: "\(folder)/neutral-normal.png", normalMapConvention: Document.normalMapText,
            wrinkles: wrinkles.map { w in
                Document.Entry(blendshape: w.blendshape, morphTargetIndex: w.morphTargetIndex,
                               displacement: "\(folder)/wrinkle-\(w.blendshape).png",
                               normalMap: "\(folder)/wrinkle-\(w.blendshape)-normal.png",
                               mask: "\(folder)/mask-\(w.blendshape).png", weightCurve: w.weightCurve)
            },
            blend: Document.blendRule)
    }

    /// Writes `wrinkles.json` and its PNGs into `folder` (16-bit displacements in
    /// `DisplacementEncoding.standard`, 8-bit RGB normal maps baked on `mesh` by
    /// `TextureMap.normalMap`, 8-bit grey masks); returns the document.
    @discardableResult
    public func write(to folder: URL, mesh: RenderMesh) throws -> Document {
        let document = self.document
        let atlas = try UVAtlas(mesh: mesh, size: size)
        func put(_ data: @autoclosure () throws -> Data, _ relative: String) throws {
            let url = folder.appendingPathComponent(relative)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data().write(to: url, options: .atomic)
            } catch { throw ExportError.writeFailed(path: url.path, reason: "\(error)") }
        }
        func normals(_ d: TextureMap) throws -> Data {
            try PNGEncoder.encode(TextureMap.normalMap(displacement: d, mesh: mesh, atlas: atlas).image())
        }
        let encoding = document.displacement.encoding
        try put(PNGEncoder.encode(encoding.image(neutral)), document.displacement.neutral)
        try put(normals(neutral), document.normalMap)
        for (wrinkle, entry) in zip(wrinkles, document.wrinkles) {
            try put(PNGEncoder.encode(encoding.image(wrinkle.displacement)), entry.displacement)
            try put(normals(wrinkle.displacement), entry.normalMap)
            try put(PNGEncoder.encode(wrinkle.mask.image()), entry.mask)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try put(encoder.encode(document), Self.documentName)
        return document
    }

    /// Reads a rig from its `wrinkles.json` (normal maps are derived, so not read). Throws
    /// `Error.unsupported` for another format or version, `ExportError.readFailed` for a missing
    /// or unreadable file.
    public init(contentsOf url: URL) throws {
        let folder = url.deletingLastPathComponent()
        func read(_ relative: String) throws -> Data {
            let file = folder.appendingPathComponent(relative)
            do { return try Data(contentsOf: file) } catch { throw ExportError.readFailed(path: file.path, reason: "\(error)") }
        }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: try read(url.lastPathComponent)) } catch let error as DecodingError {
            throw ExportError.readFailed(path: url.path, reason: "not a wrinkle rig document: \(error)")
        }
        guard document.format == Document.formatName, document.version == Document.currentVersion else {
            throw Error.unsupported("\(document.format) version \(document.version) (this reader knows \(Document.formatName) \(Document.currentVersion))")
        }
        let encoding = document.displacement.encoding
        func displacement(_ relative: String) throws -> TextureMap {
            try encoding.displacement(ImageDecoder.decodeGray16(read(relative)))
        }
        try self.init(neutral: displacement(document.displacement.neutral), wrinkles: document.wrinkles.map { entry in
            Wrinkle(blendshape: entry.blendshape, morphTargetIndex: entry.morphTargetIndex,
                    displacement: try displacement(entry.displacement),
                    mask: TextureMap(image: try ImageDecoder.decode(read(entry.mask)).converted(channels: 1)),
                    weightCurve: entry.weightCurve)
        })
    }

    /// The head GLB's material details for this rig: the neutral normal map as `normalTexture` and
    /// `extras.likeness_wrinkles` naming the rig's document (relative to the GLB).
    public func glbDetails(mesh: RenderMesh, documentPath: String = WrinkleRig.documentName) throws -> GLBMaterialDetails {
        GLBMaterialDetails(normalMap: try TextureMap.normalMap(displacement: neutral, mesh: mesh).image(),
                           materialExtras: ["likeness_wrinkles": documentPath])
    }
}
