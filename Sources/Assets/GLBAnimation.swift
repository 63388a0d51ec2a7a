import Foundation

/// Adds a glTF 2.0 animation to a GLB that assimp wrote: assimp 5.2's glTF2 exporter writes node
/// channels only (`ExportAnimations` walks `aiAnimation::mChannels`, never `mMorphMeshChannels`),
/// so the morph-target `weights` channel cannot come from it; the GLB's JSON chunk is edited here
/// instead and the keyframe arrays appended to its BIN chunk.
///
/// The animation (LINEAR samplers, keyed at `times` seconds):
/// - `weights` on the node holding the mesh: N×K values, K = the mesh's morph-target count, in the
///   order of its targets (`mesh.extras.targetNames`);
/// - `rotation` (unit quaternions x, y, z, w) of the head: on the skin's root joint (`global`) when
///   the mesh is skinned — a skinned mesh ignores its own node's transform (glTF 2.0 §3.7.3), so
///   only a joint turns it; the key is composed with the joint's rest rotation — else on a new
///   parent node `head` at `pivot` (model units), whose child — the mesh's node — is shifted by
///   −pivot, so the head turns about the pivot;
/// - `rotation` of further skin joints by name (`jointRotations`, e.g. `jaw`, `leftEye`,
///   `rightEye`): one quaternion per key, composed with the joint's rest rotation like the head's,
///   sharing the weights' key times.
///
/// GLB layout (glTF 2.0 §4.4): a 12-byte header (magic `glTF`, version 2, total length), a JSON
/// chunk padded with spaces and a BIN chunk padded with zeros, both to 4 bytes.
public enum GLBAnimation {
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case notGLB(String)
        case mismatch(String)
        public var description: String {
            switch self {
            case .notGLB(let why): return "not a GLB assimp wrote: \(why)"
            case .mismatch(let why): return "animation does not fit the mesh: \(why)"
            }
        }
    }

    /// Rewrites `url` with the animation added. `weights[i]` has one value per morph target;
    /// `rotations` is empty (no head channel) or has one quaternion per key; `jointRotations`
    /// names joints of the mesh's skin (a name the skin lacks, or a count other than the keys', is
    /// a `mismatch`), each with one quaternion per key.
    public static func add(to url: URL, name: String, times: [Float], weights: [[Float]], rotations: [SIMD4<Float>],
                           jointRotations: [(joint: String, rotations: [SIMD4<Float>])] = [], pivot: SIMD3<Float>) throws {
        let data = try Data(contentsOf: url)
        var (json, bin) = try split(data)
        guard !times.isEmpty, weights.count == times.count, rotations.isEmpty || rotations.count == times.count else {
            throw Error.mismatch("\(times.count) times, \(weights.count) weight keys, \(rotations.count) rotation keys")
        }
        guard zip(times.dropFirst(), times).allSatisfy({ $0 > $1 }) else { throw Error.mismatch("key times must increase") }
        guard var nodes = json["nodes"] as? [[String: Any]], var meshes = json["meshes"] as? [[String: Any]],
              let meshNode = nodes.firstIndex(where: { $0["mesh"] != nil }), let meshIndex = nodes[meshNode]["mesh"] as? Int,
              meshIndex < meshes.count else { throw Error.notGLB("no node holds a mesh") }
        let primitives = meshes[meshIndex]["primitives"] as? [[String: Any]] ?? []
        let targetCount = (primitives.first?["targets"] as? [Any])?.count ?? 0
        guard targetCount > 0, weights.allSatisfy({ $0.count == targetCount }) else {
            throw Error.mismatch("the mesh has \(targetCount) morph targets, the keys \(weights.first?.count ?? 0) weights")
        }
        if meshes[meshIndex]["weights"] == nil { meshes[meshIndex]["weights"] = [Float](repeating: 0, count: targetCount) }
        var bufferViews = json["bufferViews"] as? [[String: Any]] ?? []
        var accessors = json["accessors"] as? [[String: Any]] ?? []
        func append(_ values: [Float], type: String, count: Int, bounds: Bool) -> Int {
            let view = values.withUnsafeBytes { appendView(Data($0), bin: &bin, bufferViews: &bufferViews) }
            var accessor: [String: Any] = ["bufferView": view, "componentType": 5126, "count": count, "type": type]
            if bounds { accessor["min"] = [values.min()!]; accessor["max"] = [values.max()!] }
            accessors.append(accessor)
            return accessors.count - 1
        }
        let input = append(times, type: "SCALAR", count: times.count, bounds: true)
        let weightOutput = append(weights.flatMap { $0 }, type: "SCALAR", count: times.count * targetCount, bounds: false)
        var samplers: [[String: Any]] = [["input": input, "output": weightOutput, "interpolation": "LINEAR"]]
        var channels: [[String: Any]] = [["sampler": 0, "target": ["node": meshNode, "path": "weights"]]]
        /// A rotation channel on joint node `joint`: the keys composed with its rest rotation.
        func keyJoint(_ joint: Int, _ rotations: [SIMD4<Float>]) {
            let rest = (nodes[joint]["rotation"] as? [Float]).flatMap { $0.count == 4 ? SIMD4($0[0], $0[1], $0[2], $0[3]) : nil }
                ?? SIMD4<Float>(0, 0, 0, 1)
            let keys = rotations.map { multiply($0, rest) }
            let rotationOutput = append(keys.flatMap { [$0.x, $0.y, $0.z, $0.w] }, type: "VEC4", count: times.count, bounds: false)
            samplers.append(["input": input, "output": rotationOutput, "interpolation": "LINEAR"])
            channels.append(["sampler": samplers.count - 1, "target": ["node": joint, "path": "rotation"]])
        }
        let skinJoints = joints(of: meshNode, nodes: nodes, skins: json["skins"] as? [[String: Any]] ?? [])
        let jointNodes = try jointRotations.map { joint, keys -> Int in
            guard let node = skinJoints.first(where: { nodes[$0]["name"] as? String == joint }) else {
                throw Error.mismatch("the mesh's skin has no joint '\(joint)'")
            }
            guard keys.count == times.count else { throw Error.mismatch("\(times.count) times, \(keys.count) '\(joint)' rotation keys") }
            return node
        }
        if !rotations.isEmpty, let joint = rootJoint(of: meshNode, nodes: nodes, skins: json["skins"] as? [[String: Any]] ?? []) {
            keyJoint(joint, rotations)
        } else if !rotations.isEmpty {
            let rotationOutput = append(rotations.flatMap { [$0.x, $0.y, $0.z, $0.w] }, type: "VEC4", count: times.count, bounds: false)
            // The pivot node takes the mesh node's place in its parent (or in the scene's roots).
            let head = nodes.count
            nodes.append(["name": "head", "translation": [pivot.x, pivot.y, pivot.z], "children": [meshNode]])
            let shift = nodes[meshNode]["translation"] as? [Float] ?? [0, 0, 0]
            nodes[meshNode]["translation"] = [shift[0] - pivot.x, shift[1] - pivot.y, shift[2] - pivot.z]
            var reparented = false
            for i in nodes.indices where i != head {
                if var children = nodes[i]["children"] as? [Int], let k = children.firstIndex(of: meshNode) {
                    children[k] = head
                    nodes[i]["children"] = children
                    reparented = true
                }
            }
            if !reparented, var scenes = json["scenes"] as? [[String: Any]] {
                for s in scenes.indices {
                    if var roots = scenes[s]["nodes"] as? [Int], let k = roots.firstIndex(of: meshNode) { roots[k] = head; scenes[s]["nodes"] = roots }
                }
                json["scenes"] = scenes
            }
            samplers.append(["input": input, "output": rotationOutput, "interpolation": "LINEAR"])
            channels.append(["sampler": samplers.count - 1, "target": ["node": head, "path": "rotation"]])
        }
        for (node, joint) in zip(jointNodes, jointRotations) { keyJoint(node, joint.rotations) }
        try finish(&json, bin: &bin, nodes: nodes, meshes: meshes, bufferViews: bufferViews, accessors: accessors,
                   animation: ["name": name, "samplers": samplers, "channels": channels], url: url)
    }

    /// The skinned mesh's root joint (named `global`, else the skin's first joint), or nil.
    static func rootJoint(of meshNode: Int, nodes: [[String: Any]], skins: [[String: Any]]) -> Int? {
        let joints = joints(of: meshNode, nodes: nodes, skins: skins)
        return joints.first { nodes[$0]["name"] as? String == "global" } ?? joints.first
    }

    /// The joint nodes of the mesh node's skin (empty when it has none).
    static func joints(of meshNode: Int, nodes: [[String: Any]], skins: [[String: Any]]) -> [Int] {
        guard let skin = nodes[meshNode]["skin"] as? Int, skin < skins.count else { return [] }
        return (skins[skin]["joints"] as? [Int] ?? []).filter { $0 < nodes.count }
    }

    /// The names of the joints of the skin of the GLB's mesh (empty for an unskinned mesh).
    public static func skinJointNames(of url: URL) throws -> [String] {
        let (json, _) = try split(try Data(contentsOf: url))
        guard let nodes = json["nodes"] as? [[String: Any]], let meshNode = nodes.firstIndex(where: { $0["mesh"] != nil }) else {
            throw Error.notGLB("no node holds a mesh")
        }
        return joints(of: meshNode, nodes: nodes, skins: json["skins"] as? [[String: Any]] ?? []).compactMap { nodes[$0]["name"] as? String }
    }

    /// Hamilton product a ⊗ b of quaternions (x, y, z, w): rotate by b, then by a.
    static func multiply(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4(a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
              a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
              a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
              a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z)
    }

    /// Stores the animation and the edited arrays in the JSON, pads BIN and writes the GLB.
    static func finish(_ json: inout [String: Any], bin: inout Data, nodes: [[String: Any]], meshes: [[String: Any]],
                       bufferViews: [[String: Any]], accessors: [[String: Any]], animation: [String: Any], url: URL) throws {
        var animations = json["animations"] as? [[String: Any]] ?? []
        animations.append(animation)
        json["animations"] = animations
        json["nodes"] = nodes
        json["meshes"] = meshes
        json["bufferViews"] = bufferViews
        json["accessors"] = accessors
        try write(json, bin: bin, to: url)
    }

    /// Appends `bytes` to the BIN chunk at a 4-byte boundary as a new buffer view of buffer 0;
    /// returns the view's index.
    static func appendView(_ bytes: Data, bin: inout Data, bufferViews: inout [[String: Any]]) -> Int {
        while bin.count % 4 != 0 { bin.append(0) }
        bufferViews.append(["buffer": 0, "byteOffset": bin.count, "byteLength": bytes.count])
        bin.append(bytes)
        return bufferViews.count - 1
    }

    /// Writes the GLB of `json` and `bin` (padded to 4 bytes, buffer 0's byteLength set) to `url`.
    static func write(_ json: [String: Any], bin: Data, to url: URL) throws {
        var json = json, bin = bin
        while bin.count % 4 != 0 { bin.append(0) }
        var buffers = json["buffers"] as? [[String: Any]] ?? [[:]]
        buffers[0]["byteLength"] = bin.count
        json["buffers"] = buffers
        try join(json, bin).write(to: url, options: .atomic)
    }

    /// The JSON object and BIN chunk of a GLB.
    static func split(_ data: Data) throws -> ([String: Any], Data) {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        guard bytes.count >= 20, bytes[0..<4] == [0x67, 0x6C, 0x54, 0x46], u32(4) == 2 else { throw Error.notGLB("no glTF 2 header") }
        let jsonLength = u32(12)
        guard u32(16) == 0x4E4F534A, 20 + jsonLength <= bytes.count else { throw Error.notGLB("no JSON chunk") }
        guard let json = try JSONSerialization.jsonObject(with: Data(bytes[20..<20 + jsonLength])) as? [String: Any] else {
            throw Error.notGLB("the JSON chunk is not an object")
        }
        var bin = Data()
        let binStart = 20 + jsonLength
        if binStart + 8 <= bytes.count, u32(binStart + 4) == 0x004E4942 {
            let length = u32(binStart)
            guard binStart + 8 + length <= bytes.count else { throw Error.notGLB("the BIN chunk is cut") }
            bin = Data(bytes[(binStart + 8)..<(binStart + 8 + length)])
        }
        return (json, bin)
    }

    static func join(_ json: [String: Any], _ bin: Data) throws -> Data {
        var text = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        while text.count % 4 != 0 { text.append(0x20) }
        var out = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: [0x67, 0x6C, 0x54, 0x46]); u32(2); u32(12 + 8 + text.count + (bin.isEmpty ? 0 : 8 + bin.count))
        u32(text.count); u32(0x4E4F534A); out.append(text)
        if !bin.isEmpty { u32(bin.count); u32(0x004E4942); out.append(bin) }
        return out
    }
}
