import Foundation

/// A minimal XML element tree, enough for OpenCV's `opencv_storage` cascade files: elements,
/// their text, no attributes kept, comments/declarations skipped. Internal: only the cascade
/// loader uses it, and OpenCV's files hold nothing more exotic.
struct XMLElement {
    var name: String
    var text = ""
    var children: [XMLElement] = []

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Whitespace-separated numbers of the element's text.
    var numbers: [Double] { text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) } }
    var words: [Substring] { text.split(whereSeparator: \.isWhitespace) }

    struct ParseError: Error { let offset: Int; let reason: String }

    /// Parses a document and returns its root element.
    static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        var stack = [XMLElement(name: "#document")]
        var i = 0
        let n = bytes.count
        func starts(_ s: String, at k: Int) -> Bool {
            let u = Array(s.utf8)
            return k + u.count <= n && Array(bytes[k..<(k + u.count)]) == u
        }
        func find(_ s: String, from k: Int) -> Int? {
            let u = Array(s.utf8)
            var j = k
            while j + u.count <= n {
                if bytes[j] == u[0] && Array(bytes[j..<(j + u.count)]) == u { return j }
                j += 1
            }
            return nil
        }
        while i < n {
            if bytes[i] != UInt8(ascii: "<") {
                let start = i
                while i < n && bytes[i] != UInt8(ascii: "<") { i += 1 }
                stack[stack.count - 1].text += String(decoding: bytes[start..<i], as: UTF8.self)
                continue
            }
            if starts("<!--", at: i) {
                guard let e = find("-->", from: i + 4) else { throw ParseError(offset: i, reason: "unterminated comment") }
                i = e + 3; continue
            }
            if starts("<?", at: i) || starts("<!", at: i) {
                guard let e = find(">", from: i) else { throw ParseError(offset: i, reason: "unterminated declaration") }
                i = e + 1; continue
            }
            guard let close = find(">", from: i) else { throw ParseError(offset: i, reason: "unterminated tag") }
            let inner = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
            i = close + 1
            if inner.hasPrefix("/") {
                let name = inner.dropFirst().trimmingCharacters(in: .whitespaces)
                guard stack.count > 1, stack[stack.count - 1].name == name else {
                    throw ParseError(offset: close, reason: "unexpected </\(name)>")
                }
                let done = stack.removeLast()
                stack[stack.count - 1].children.append(done)
                continue
            }
            let selfClosing = inner.hasSuffix("/")
            let body = selfClosing ? String(inner.dropLast()) : inner
            let name = String(body.split(whereSeparator: \.isWhitespace).first ?? "")
            guard !name.isEmpty else { throw ParseError(offset: i, reason: "empty tag") }
            if selfClosing { stack[stack.count - 1].children.append(XMLElement(name: name)) } else { stack.append(XMLElement(name: name)) }
        }
        guard stack.count == 1 else { throw ParseError(offset: n, reason: "unclosed <\(stack.last!.name)>") }
        return stack[0]
    }
}
