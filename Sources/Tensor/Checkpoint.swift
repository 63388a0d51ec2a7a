import Foundation

/// Saving and loading a module's parameters by name, as safetensors (built on `SafeTensorsFile`).
///
/// A checkpoint maps each full parameter name (`blocks.3.mlp.fc1.weight`) to its tensor. A
/// `selection` predicate on names picks a subset on both sides, which is how adapters (and the other
/// person-specific parameters) are saved and loaded on their own, separate from the base weights:
/// a base checkpoint excludes them, an adapter checkpoint holds only them, and loading one never
/// touches the parameters the other holds.
///
/// Loading is all-or-nothing: the file is checked against the module first — missing, unexpected
/// and mis-shaped names are collected into one `CheckpointError.mismatch` — and only a fully
/// matching file is copied into the parameters, so a bad file leaves the model unchanged.
public enum Checkpoint {
    /// The named parameters of `module` that satisfy `selection`, as a safetensors file.
    public static func file(of module: Module, selection: (String) -> Bool = { _ in true },
                            dtype: SafeTensorsDType = .f32, metadata: [String: String]? = nil) throws -> SafeTensorsFile {
        var file = try SafeTensorsFile(metadata: metadata)
        for (name, t) in module.namedParameters where selection(name) {
            try file.set(SafeTensor(shape: t.shape, floats: t.values, dtype: dtype), named: name)
        }
        return file
    }

    /// Writes the selected parameters of `module` to `url`.
    public static func save(_ module: Module, to url: URL, selection: (String) -> Bool = { _ in true },
                            dtype: SafeTensorsDType = .f32, metadata: [String: String]? = nil) throws {
        try file(of: module, selection: selection, dtype: dtype, metadata: metadata).write(to: url)
    }

    /// Reads `url` and copies its tensors into the selected parameters of `module`.
    /// - Throws: `CheckpointError.mismatch` listing every missing, unexpected and mis-shaped name
    ///   (nothing is loaded then), or the `SafeTensorsError` of an unreadable file.
    public static func load(into module: Module, from url: URL, selection: (String) -> Bool = { _ in true }) throws {
        try load(into: module, from: SafeTensorsFile.read(contentsOf: url), selection: selection)
    }

    /// Copies the tensors of `file` (those satisfying `selection`) into `module`; see `load(into:from:selection:)`.
    public static func load(into module: Module, from file: SafeTensorsFile, selection: (String) -> Bool = { _ in true }) throws {
        let expected = module.namedParameters.filter { selection($0.name) }
        let stored = Set(file.names.filter(selection))
        let missing = expected.map(\.name).filter { !stored.contains($0) }
        let unexpected = stored.subtracting(expected.map(\.name)).sorted()
        var misshaped: [CheckpointError.ShapeMismatch] = []
        var values: [(Tensor, [Float])] = []
        for (name, t) in expected {
            guard let s = file[name] else { continue }
            guard s.shape == t.shape else {
                misshaped.append(.init(name: name, expected: t.shape, found: s.shape))
                continue
            }
            values.append((t, try s.floats()))
        }
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty else {
            throw CheckpointError.mismatch(missing: missing, unexpected: unexpected, misshaped: misshaped)
        }
        for (t, v) in values { v.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) } }
    }
}

/// A checkpoint that does not fit the module it is loaded into.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    public struct ShapeMismatch: Equatable, Sendable {
        public let name: String
        public let expected: [Int], found: [Int]

        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
    }

    /// `missing`: parameters of the module absent from the file; `unexpected`: tensors of the file
    /// the module does not have; `misshaped`: present in both with different shapes.
    case mismatch(missing: [String], unexpected: [String], misshaped: [ShapeMismatch])

    public var description: String {
        guard case let .mismatch(missing, unexpected, misshaped) = self else { return "" }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing \(missing.count): \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected \(unexpected.count): \(unexpected.joined(separator: ", "))") }
        if !misshaped.isEmpty {
            parts.append("mis-shaped \(misshaped.count): "
                         + misshaped.map { "\($0.name) (model \($0.expected), file \($0.found))" }.joined(separator: ", "))
        }
        return "The checkpoint does not match the model; nothing was loaded. " + parts.joined(separator: "; ")
    }
}
