import Foundation

/// `extensionsUsed` and `extensionsRequired` cut down to the extensions the document uses.
///
/// assimp 5.2's glTF2 exporter lists extensions a file does not use: `FB_ngon_encoding` always
/// (its constructor sets it for every file) and `KHR_materials_volume` for every material
/// (`GetMatVolume` tests `!= aiReturn_SUCCESS`, so a material without volume properties counts as
/// having one, whose default values are then not written). glTF validators warn about them and a
/// strict loader may refuse a file naming an extension it lacks. An extension counts as used when
/// some `extensions` object anywhere in the document has it as a key; a list left empty is
/// removed (glTF wants at least one entry when the key is present). Everything else in the file
/// is kept byte for byte.
enum GLTFExtensions {
    static let listKeys = ["extensionsUsed", "extensionsRequired"]

    /// Rewrites the GLB (or .gltf) file at `url` in place when its lists name unused extensions.
    static func pruneUnused(in url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ExportError.readFailed(path: url.path, reason: "\(error)") }
        let rewritten: Data?
        if data.starts(with: Array("glTF".utf8)) {
            rewritten = try GLBContainer(data, path: url.path).replacingJSON { try pruned($0, path: url.path) }
        } else {
            rewritten = try pruned(data, path: url.path)
        }
        guard let rewritten else { return }
        do { try rewritten.write(to: url, options: .atomic) } catch {
            throw ExportError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// The JSON with unused extensions taken out of the lists, or nil when there is nothing to take out.
    static func pruned(_ json: Data, path: String) throws -> Data? {
        guard let document = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw ExportError.readFailed(path: path, reason: "the glTF JSON does not parse")
        }
        let used = usedExtensions(document)
        var text = String(decoding: json, as: UTF8.self)
        var changed = false
        for key in listKeys {
            guard let listed = document[key] as? [String] else { continue }
            let kept = listed.filter(used.contains)
            guard kept != listed, let member = memberRange(of: key, in: text) else { continue }
            if kept.isEmpty {
                text.removeSubrange(withComma(member, in: text))
            } else {
                let list = kept.map { "\"\($0)\"" }.joined(separator: ",")
                text.replaceSubrange(member, with: "\"\(key)\":[\(list)]")
            }
            changed = true
        }
        guard changed else { return nil }
        let result = Data(text.utf8)
        // The surgery must leave a document that parses and lists exactly what is used.
        guard let check = try? JSONSerialization.jsonObject(with: result) as? [String: Any],
              listKeys.allSatisfy({ ((check[$0] as? [String]) ?? []).allSatisfy(used.contains) }) else {
            throw ExportError.writeFailed(path: path, reason: "could not rewrite extensionsUsed")
        }
        return result
    }

    /// Keys of every `extensions` object in the document.
    static func usedExtensions(_ value: Any) -> Set<String> {
        var found = Set<String>()
        if let object = value as? [String: Any] {
            for (key, child) in object {
                if key == "extensions", let extensions = child as? [String: Any] { found.formUnion(extensions.keys) }
                found.formUnion(usedExtensions(child))
            }
        } else if let array = value as? [Any] {
            for child in array { found.formUnion(usedExtensions(child)) }
        }
        return found
    }

    /// The range of the member `"key":[…]` (extension names hold no brackets).
    static func memberRange(of key: String, in text: String) -> Range<String.Index>? {
        guard let start = text.range(of: "\"\(key)\""),
              let open = text[start.upperBound...].firstIndex(where: { !$0.isWhitespace }), text[open] == ":",
              let bracket = text[text.index(after: open)...].firstIndex(where: { !$0.isWhitespace }), text[bracket] == "[",
              let close = text[bracket...].firstIndex(of: "]") else { return nil }
        return start.lowerBound..<text.index(after: close)
    }

    /// `member` with one neighbouring comma, so removing it leaves valid JSON.
    static func withComma(_ member: Range<String.Index>, in text: String) -> Range<String.Index> {
        var lower = member.lowerBound, upper = member.upperBound
        let before = text[..<lower].lastIndex(where: { !$0.isWhitespace })
        let after = text[upper...].firstIndex(where: { !$0.isWhitespace })
        if let before, text[before] == "," {
            lower = before
        } else if let after, text[after] == "," {
            upper = text.index(after: after)
        }
        return lower..<upper
    }
}

/// A GLB file: 12-byte header (magic, version 2, length), a JSON chunk, then the other chunks.
struct GLBContainer {
    let data: Data
    let jsonRange: Range<Int>

    init(_ data: Data, path: String) throws {
        self.data = data
        func word(_ offset: Int) -> Int {
            data.count >= offset + 4 ? (0..<4).reduce(0) { $0 | Int(data[data.startIndex + offset + $1]) << (8 * $1) } : -1
        }
        let length = word(12)
        guard word(4) == 2, word(8) == data.count, word(16) == 0x4E4F_534A, length >= 0, 20 + length <= data.count else {
            throw ExportError.readFailed(path: path, reason: "not a GLB 2.0 file with a JSON chunk")
        }
        jsonRange = 20..<(20 + length)
    }

    /// The file with its JSON chunk replaced by `transform`'s result (padded with spaces to 4
    /// bytes), or nil when `transform` returns nil.
    func replacingJSON(_ transform: (Data) throws -> Data?) throws -> Data? {
        let start = data.startIndex
        guard var json = try transform(data.subdata(in: (start + jsonRange.lowerBound)..<(start + jsonRange.upperBound))) else {
            return nil
        }
        while json.count % 4 != 0 { json.append(0x20) }
        let rest = data.subdata(in: (start + jsonRange.upperBound)..<data.endIndex)
        func bytes(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var out = Data(data.prefix(8))
        out += bytes(12 + 8 + json.count + rest.count)
        out += bytes(json.count)
        out += Array("JSON".utf8)
        out += json
        out += rest
        return out
    }
}
