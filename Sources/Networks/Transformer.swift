import Foundation
import Tensor

/// Multi-head self-attention: `proj(attention(qkv(x)))`, `x` `[B, T, D]`.
public final class MultiHeadAttention: Module {
    public let qkv: Linear, proj: Linear
    public let heads: Int

    public init(dim: Int, heads: Int, using g: inout SeededGenerator) {
        precondition(dim % heads == 0, "dim \(dim) is not divisible by \(heads) heads")
        qkv = Linear(dim, 3 * dim, using: &g)
        proj = Linear(dim, dim, using: &g)
        self.heads = heads
    }

    public var children: [(String, Module)] { [("qkv", qkv), ("proj", proj)] }
    public func callAsFunction(_ x: Tensor) -> Tensor { proj(selfAttention(qkv: qkv(x), heads: heads)) }
}

/// Houlsby bottleneck adapter: `a(h) = h + up(GELU(down(h)))`, `down` `D → r`, `up` `r → D`.
///
/// Residual, with `up` zero-initialised (weight and bias), so a freshly inserted adapter returns
/// its input exactly and the network's outputs do not change until the adapter is trained.
/// In a block it sits after the feed-forward layer, before the residual sum that feeds the next
/// layer norm (paper §3.4, "after the feed-forward layer, preceding layer normalization").
public final class Adapter: Module {
    public let down: Linear, up: Linear

    public init(dim: Int, bottleneck: Int, using g: inout SeededGenerator) {
        down = Linear(dim, bottleneck, using: &g)
        up = Linear(zeros: bottleneck, dim)
    }

    public var children: [(String, Module)] { [("down", down), ("up", up)] }
    public func callAsFunction(_ h: Tensor) -> Tensor { h + up(gelu(down(h))) }
}

/// Pre-LN transformer block:
/// `x ← x + attn(norm1(x))`, `h = mlp(norm2(x))`, `h ← adapter(h)` if present, `x ← x + h`.
public final class TransformerBlock: Module {
    public let norm1: LayerNorm, attn: MultiHeadAttention, norm2: LayerNorm, mlp: MLP
    /// An optional person-specific adapter after the feed-forward layer.
    public var adapter: Adapter?

    public init(dim: Int, heads: Int, mlpRatio: Int = 4, using g: inout SeededGenerator) {
        norm1 = LayerNorm(dim)
        attn = MultiHeadAttention(dim: dim, heads: heads, using: &g)
        norm2 = LayerNorm(dim)
        mlp = MLP(dim, hidden: dim * mlpRatio, dim, using: &g)
    }

    public var children: [(String, Module)] {
        [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", mlp)] + (adapter.map { [("adapter", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let x = x + attn(norm1(x))
        var h = mlp(norm2(x))
        if let adapter { h = adapter(h) }
        return x + h
    }
}

/// A stack of transformer blocks named `blocks.<i>`, with adapter management.
public protocol BlockStack: Module {
    var blocks: [TransformerBlock] { get }
}

extension BlockStack {
    /// Inserts a fresh (identity) adapter with the given bottleneck width into each chosen block
    /// (all blocks when `blocks` is nil), replacing any adapter already there.
    public func insertAdapters(bottleneck: Int, blocks chosen: [Int]? = nil, using g: inout SeededGenerator) {
        for i in chosen ?? Array(blocks.indices) {
            let dim = blocks[i].norm1.weight.count
            blocks[i].adapter = Adapter(dim: dim, bottleneck: bottleneck, using: &g)
        }
    }

    /// Removes every adapter (back to the base model).
    public func removeAdapters() { blocks.forEach { $0.adapter = nil } }

    /// True for the parameter names that belong to adapters (`blocks.<i>.adapter.…`).
    public static func isAdapterParameter(_ name: String) -> Bool { name.contains(".adapter.") }
}

extension BlockStack {
    /// Saves only the adapters (`blocks.<i>.adapter.…`), separate from the base weights.
    public func saveAdapters(to url: URL) throws {
        try Checkpoint.save(self, to: url, selection: Self.isAdapterParameter, metadata: ["content": "adapters"])
    }

    /// Loads adapters saved by `saveAdapters`: inserts an adapter (of the stored bottleneck width)
    /// into exactly the blocks the file has adapters for, removes the others, then loads their
    /// weights. The base weights are not touched. On error the adapters are left as they were.
    public func loadAdapters(from url: URL) throws {
        let file = try SafeTensorsFile.read(contentsOf: url)
        let previous = blocks.map(\.adapter)
        var g = SeededGenerator(seed: 0)
        removeAdapters()
        for (i, block) in blocks.enumerated() {
            guard let down = file["blocks.\(i).adapter.down.weight"], down.shape.count == 2 else { continue }
            block.adapter = Adapter(dim: block.norm1.weight.count, bottleneck: down.shape[0], using: &g)
        }
        do {
            try Checkpoint.load(into: self, from: file, selection: Self.isAdapterParameter)
        } catch {
            for (block, adapter) in zip(blocks, previous) { block.adapter = adapter }
            throw error
        }
    }
}
