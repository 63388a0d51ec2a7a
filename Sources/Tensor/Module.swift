/// A network component with hierarchically named parameters.
///
/// A module lists its own parameters and its child modules by local name; the full name of a
/// parameter joins the path with dots, PyTorch style (`blocks.3.mlp.fc1.weight`). Names are what
/// checkpoints store and what freezing selects on.
public protocol Module: AnyObject {
    /// This module's own parameters, by local name (e.g. `weight`, `bias`).
    var localParameters: [(String, Tensor)] { get }
    /// Child modules, by local name (e.g. `blocks.3` for the fourth block, `mlp`).
    var children: [(String, Module)] { get }
}

extension Module {
    public var localParameters: [(String, Tensor)] { [] }
    public var children: [(String, Module)] { [] }

    /// Every parameter in the tree with its dotted name, depth-first in declaration order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var out = localParameters.map { (name: $0.0, tensor: $0.1) }
        for (prefix, child) in children {
            out += child.namedParameters.map { (name: prefix + "." + $0.name, tensor: $0.tensor) }
        }
        return out
    }

    /// All parameter tensors.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }
    /// The parameters that currently receive gradients (what an optimiser should be given).
    public var trainableParameters: [Tensor] { parameters.filter(\.requiresGrad) }
    /// Total number of scalars in the parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The parameter with this full name, if any.
    public func parameter(named name: String) -> Tensor? {
        namedParameters.first { $0.name == name }?.tensor
    }

    /// Makes exactly the parameters whose full name satisfies `isTrainable` receive gradients;
    /// all others are frozen (`requiresGrad = false`).
    public func setTrainable(where isTrainable: (String) -> Bool) {
        for (name, t) in namedParameters { t.requiresGrad = isTrainable(name) }
    }

    /// Freezes (or unfreezes) every parameter.
    public func setTrainable(_ trainable: Bool) { setTrainable { _ in trainable } }

    /// Clears every parameter's gradient.
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}
