import Foundation

/// Errors reading landmark files and annotated folders.
public enum PtsError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)
    case wrongPointCount(path: String, declared: Int, found: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .malformed(path, line, reason): return "\(path), line \(line): \(reason)"
        case let .wrongPointCount(path, declared, found):
            return "\(path) declares \(declared) points but holds \(found)"
        }
    }
}

/// The `.pts` landmark format of iBUG/300-W.
///
/// Coordinates in a `.pts` file are **1-based** (the centre of the top-left pixel is (1, 1));
/// FaceDetect works **0-based** everywhere (centre of the top-left pixel is (0, 0)), so reading
/// subtracts 1 and writing adds 1. Two layouts are read and written:
/// ```
/// version: 1          (the 300-W header, optional)
/// n_points:  68
/// {
/// 357.417253 308.455774
/// ...
/// }
/// ```
/// or bare `x y` lines without header and braces.
public enum PtsFormat {
    /// Parses `.pts` text into 0-based points. `path` only names the file in errors.
    public static func parse(_ text: String, path: String = "<pts>") throws -> [Point2] {
        var points: [Point2] = []
        var declared: Int?
        var inBraces = false, sawBraces = false
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let lineNumber = index + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("version") { continue }
            if line.hasPrefix("n_points") {
                let value = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) }
                guard let v = value, let n = Int(v), n >= 0 else {
                    throw PtsError.malformed(path: path, line: lineNumber, reason: "bad n_points")
                }
                declared = n
                continue
            }
            if line == "{" { inBraces = true; sawBraces = true; continue }
            if line == "}" { inBraces = false; continue }
            guard !sawBraces || inBraces else {
                throw PtsError.malformed(path: path, line: lineNumber, reason: "a point outside the braces")
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard fields.count == 2, let x = Float(fields[0]), let y = Float(fields[1]), x.isFinite, y.isFinite else {
                throw PtsError.malformed(path: path, line: lineNumber, reason: "expected two numbers, found \"\(line)\"")
            }
            points.append(Point2(x - 1, y - 1))
        }
        if let n = declared, n != points.count {
            throw PtsError.wrongPointCount(path: path, declared: n, found: points.count)
        }
        return points
    }

    /// Formats 0-based points as `.pts` text (1-based), with the 300-W header unless `header` is false.
    public static func format(_ points: [Point2], header: Bool = true) -> String {
        var out = header ? "version: 1\nn_points:  \(points.count)\n{\n" : ""
        for p in points { out += String(format: "%.6f %.6f\n", Double(p.x) + 1, Double(p.y) + 1) }
        if header { out += "}\n" }
        return out
    }

    public static func read(contentsOf url: URL) throws -> [Point2] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PtsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(text, path: url.path)
    }

    public static func write(_ points: [Point2], to url: URL, header: Bool = true) throws {
        do { try format(points, header: header).write(to: url, atomically: true, encoding: .utf8) } catch {
            throw PtsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// One annotated photo: an image file and its landmarks (0-based).
public struct AnnotatedImage: Sendable {
    public let imageURL: URL
    public let landmarks: [Point2]
    /// The file name without extension, e.g. `1051618982_1`.
    public var name: String { imageURL.deletingPathExtension().lastPathComponent }
    /// The tight box around the annotated landmarks (the "landmark box" of the detection figures).
    public var landmarkBox: FaceBox { FaceBox(enclosing: landmarks) }

    public init(imageURL: URL, landmarks: [Point2]) {
        self.imageURL = imageURL
        self.landmarks = landmarks
    }
}

/// Reads folders of images with a `.pts` file of the same name beside each (300-W layout).
public enum AnnotatedFolder {
    /// The image extensions looked for beside a `.pts` file, in order.
    public static let imageExtensions = ["jpg", "jpeg", "png", "JPG", "JPEG", "PNG", "webp", "heic"]

    /// Every `<name>.pts` with an image `<name>.<ext>` beside it, sorted by name. A `.pts` without
    /// an image is skipped; a malformed `.pts` is a `PtsError`.
    public static func read(_ folder: URL) throws -> [AnnotatedImage] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw PtsError.unreadable(path: folder.path, reason: error.localizedDescription)
        }
        let present = Set(names)
        var out: [AnnotatedImage] = []
        for name in names.sorted() where name.hasSuffix(".pts") {
            let stem = String(name.dropLast(4))
            guard let ext = imageExtensions.first(where: { present.contains(stem + "." + $0) }) else { continue }
            let points = try PtsFormat.read(contentsOf: folder.appendingPathComponent(name))
            out.append(AnnotatedImage(imageURL: folder.appendingPathComponent(stem + "." + ext), landmarks: points))
        }
        return out
    }
}
