#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reverse-mode differentiation: a tape of coarse operations over forward/backward kernel pairs.
///
/// ## Why this design
/// Two designs were on the table: explicit llm.c-style forward/backward pairs wired by hand for one
/// fixed network, or a tape. We use both layers:
/// - **Kernels** are plain forward/backward function pairs over raw buffers with the shapes in
///   their doc comments (`linearForward`/`linearBackward`, `attentionForward`/`attentionBackward`,
///   …), written llm.c-style: whole-tensor loops, sgemm for every contraction, no per-element
///   allocation, bias and scaling fused into the GEMM (`beta = 1`).
/// - **A tape** sequences them. Each recorded node is one *whole* operation (a Linear, a fused
///   attention, a LayerNorm), so a ViT-Tiny training step records ~200 nodes; the cost of a closure
///   and a topological sort over 200 nodes is microseconds against ~100 ms of kernels. In exchange,
///   the graph is free to vary — adapters inserted or not, MAE masking, UNet skips, and losses that
///   the reconstruction module composes through rendering — which hand-wired pairs would force every
///   caller to re-derive and re-order.
///
/// Speed on CPU comes from the kernels, not from avoiding a tape: buffers come from a size-keyed pool
/// (`BufferPool`), so a second step allocates nothing new; a frozen parameter (`requiresGrad = false`)
/// makes its op skip the weight-gradient GEMM; intermediate gradients are released as soon as their
/// node has run; inference (`Autograd.withoutRecording`) records nothing and keeps no activations.
///
/// ## Semantics
/// - `loss.backward()` seeds ∂L/∂loss = 1 (or a given seed for a non-scalar output, e.g. a gradient
///   computed by a renderer) and runs each node once in reverse topological order.
/// - Gradients **accumulate** into leaves (`+=`): call the optimiser's `zeroGrad()` between steps, or
///   skip it to accumulate over micro-batches.
/// - A graph is consumed by its reverse pass (the saved activations are freed).
public enum Autograd {
    /// Whether operations on this thread record backward nodes. Off inside `withoutRecording`.
    ///
    /// Per thread, so one thread's inference (a daemon job, a validation pass, a benchmark) never
    /// switches off another thread's training; `Compute.parallelFor`'s workers take the state of
    /// the thread that started the loop.
    public static var isRecording: Bool { pthread_getspecific(notRecordingKey) == nil }

    /// Runs `body` without recording on this thread (inference: no graph, activations freed as they go).
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try with(recording: false, body)
    }

    /// Runs `body` with this thread's recording switched on or off, restored afterwards.
    static func with<R>(recording: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(notRecordingKey)
        pthread_setspecific(notRecordingKey, recording ? nil : UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(notRecordingKey, previous) }
        return try body()
    }

    /// Thread-specific flag: non-nil while recording is off (threads start recording).
    private static let notRecordingKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()
}

/// One recorded operation: the inputs it must propagate to and its backward function, which reads
/// `output.grad` and accumulates into each input's `gradBuffer()` that `requiresGrad`.
final class Node {
    var inputs: [Tensor]
    var backward: ((Tensor) -> Void)?
    init(inputs: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Makes this freshly computed tensor differentiable: attaches `backward` if recording is on
    /// and any of `inputs` requires a gradient; returns `self`.
    ///
    /// This is how every op is built, and how other modules add their own (a rasteriser, a mesh
    /// deformation): compute the output with a forward kernel, then
    /// `return out.recording([a, b]) { out in … }` where the closure reads `out.grad!` (∂L/∂out,
    /// same shape) and **adds** ∂L/∂input into `input.gradBuffer()` for each input whose
    /// `requiresGrad` is true. Capture the inputs (and any saved intermediates) in the closure,
    /// never `out` itself — it is passed in, which avoids a reference cycle.
    @discardableResult
    public func recording(_ inputs: [Tensor], _ backward: @escaping (Tensor) -> Void) -> Tensor {
        guard Autograd.isRecording, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        node = Node(inputs: inputs, backward: backward)
        return self
    }

    /// Runs the reverse pass from this tensor.
    /// - Parameter seed: ∂L/∂self, same shape; nil means ones (use for a scalar loss).
    public func backward(seed: Tensor? = nil) {
        precondition(requiresGrad, "backward() from a tensor that does not require gradients")
        let g = gradBuffer()
        if let seed {
            precondition(seed.count == count, "seed \(seed.shape) for tensor \(shape)")
            for i in 0..<count { g[i] += seed.data[i] }
        } else {
            for i in 0..<count { g[i] += 1 }
        }
        for t in topologicalOrder().reversed() {
            guard let node = t.node else { continue }
            if t.gradStorage != nil, let run = node.backward { run(t) }
            node.backward = nil
            node.inputs = []
            t.node = nil
            if !t.retainsGrad && t !== self { t.gradStorage = nil }
        }
    }

    /// Tensors reachable through recorded nodes, each after all of its inputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (t, next) = stack.popLast() {
            let inputs = t.node?.inputs ?? []
            if next < inputs.count {
                stack.append((t, next + 1))
                let child = inputs[next]
                if child.node != nil, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(t)
            }
        }
        return order
    }
}
