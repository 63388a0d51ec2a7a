import Dispatch
import FaceModel
import Networks
import Reconstruction
import Tensor

// The Training module: the training room of the learned core (paper §3.2).
// - FaceOps (this file): the morphable model as differentiable Tensor ops: the whole mesh
//   (`FaceGeometry`) and the projection of its 68 landmarks (`LandmarkProjection`).
// - RenderOps: the renderer (`MeshRendering`), the albedo model (`AlbedoTexture`), the chip warp
//   of L_id (`affineResample`), and `FaceRendering`, which chains them for L_pho and L_id.
// - CoarseLosses: one named function per term of Eq. 2 (Eq. 1 first), `CoarseLossWeights`.
// - FaceDataset / DatasetBuilder: aligned 256² crops with 68 landmarks and person groups.
// - Augmentation: similarity jitter, mirror with landmark re-indexing, colour, blur, noise.
// - BaseTrainer: the recipe of `likeness train-base` (checkpoints, CSV log, validation NME).
// - BaseModel: the trained encoder in use: a photo's face → `FaceCode` and camera in photo pixels.

/// Projected 68 landmarks of a batch of faces as a differentiable op (the face → network link).
///
/// Forward, per batch item b (items in parallel over the thread budget):
///
///     S = LBS(T + B_id β + B_exp ψ, θ)                 (`FaceEvaluator`, FLAME's `lbs`)
///     u_k = s · Π(x_k(S)) + t,  Π(x, y, z) = (x, −y)   (`OrthoCamera`, crop pixels)
///
/// with x_k the model's inner landmarks 17–67 and, for the jaw line 0–16, the point Eq. 1 pairs
/// with the target k_i (the zero-pose boundary landmark k̃ᵢ when N_z > 0, else the nearest
/// silhouette vertex; or the dynamic contour for `.marching`), chosen by `BoundaryCorrespondence`,
/// the one implementation of that matching the classical fit also uses. The correspondences are
/// piecewise constant in the parameters, so they are held fixed in the backward pass.
///
/// Shapes: β `[B, Kβ]`, ψ `[B, Kψ]`, θ `[B, 3J]`, camera `[B, 3]` (s, tx, ty), targets B×68 points;
/// out `[B, 68, 2]`.
/// Backward: `∂L/∂[β ψ θ]_b = J_bᵀ g_b` with `J_b` (136 × (Kβ+Kψ+3J)) the analytic Jacobian of
/// `FaceEvaluator.jacobian(of:)` projected by `project`, and `∂L/∂(s, t)_b = C_bᵀ g_b` with its camera
/// columns (Π(x), (1, 0), (0, 1)).
public final class LandmarkProjection: @unchecked Sendable {
    public let evaluator: FaceEvaluator
    public let correspondence: BoundaryCorrespondence

    public init(model: MorphableModel, boundary: BoundaryMode = .silhouette) throws {
        var model = model
        if boundary == .marching, model.dynamicContour == nil { model.dynamicContour = ContourTables.make(for: model) }
        evaluator = try FaceEvaluator(model: model)
        correspondence = BoundaryCorrespondence(model: model, mode: boundary)
    }

    public var model: MorphableModel { evaluator.model }

    /// What one item's forward pass keeps for its backward pass.
    struct Item {
        var code: FaceCode
        var camera: OrthoCamera
        var output: FaceOutput?
        var points: [SurfaceCombination]
        var points3D: [SIMD3<Float>]
    }

    /// The 68 projected points `[B, 68, 2]` (see the type's doc comment).
    public func callAsFunction(_ code: CoarseCode, targets: [[SIMD2<Float>]]) -> Tensor {
        let b = code.batchSize
        precondition(targets.count == b && targets.allSatisfy { $0.count == 68 }, "68 targets per batch item")
        let (kb, ke, kp) = (code.identity.shape[1], code.expression.shape[1], code.pose.shape[1])
        let out = Tensor(zeros: [b, 68, 2])
        var items = [Item?](repeating: nil, count: b)
        items.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Compute.parallelFor(b, costPerItem: 1 << 20) { range in
                for i in range {
                    let item = self.forward(
                        FaceCode(identity: Array(UnsafeBufferPointer(start: code.identity.data + i * kb, count: kb)),
                                 expression: Array(UnsafeBufferPointer(start: code.expression.data + i * ke, count: ke)),
                                 pose: Array(UnsafeBufferPointer(start: code.pose.data + i * kp, count: kp))),
                        camera: OrthoCamera(scale: code.camera.data[3 * i],
                                            translation: SIMD2(code.camera.data[3 * i + 1], code.camera.data[3 * i + 2])),
                        target: targets[i])
                    for (k, p) in item.points3D.enumerated() where item.output != nil {
                        let u = item.camera.project(p)
                        out.data[i * 136 + 2 * k] = u.x
                        out.data[i * 136 + 2 * k + 1] = u.y
                    }
                    base[i] = item
                }
            }
        }
        let saved = items
        return out.recording([code.identity, code.expression, code.pose, code.camera]) { out in
            let g = out.grad!
            let gb = code.identity.requiresGrad ? code.identity.gradBuffer() : nil
            let ge = code.expression.requiresGrad ? code.expression.gradBuffer() : nil
            let gp = code.pose.requiresGrad ? code.pose.gradBuffer() : nil
            let gc = code.camera.requiresGrad ? code.camera.gradBuffer() : nil
            Compute.parallelFor(b, costPerItem: 1 << 20) { range in
                for i in range {
                    guard let item = saved[i], let output = item.output else { continue }
                    let jac = self.evaluator.jacobian(of: item.points, at: output, code: item.code)
                    let proj = self.evaluator.project(item.points3D, jacobian: jac, camera: item.camera)
                    let cols = proj.parameters.columns
                    proj.parameters.values.withUnsafeBufferPointer { j in
                        for row in 0..<136 {
                            let gr = g[i * 136 + row]
                            if gr == 0 { continue }
                            let jr = j.baseAddress! + row * cols
                            if let gb { for k in 0..<kb { gb[i * kb + k] += gr * jr[k] } }
                            if let ge { for k in 0..<ke { ge[i * ke + k] += gr * jr[kb + k] } }
                            if let gp { for k in 0..<kp { gp[i * kp + k] += gr * jr[kb + ke + k] } }
                            if let gc { for c in 0..<3 { gc[3 * i + c] += gr * proj.camera[3 * row + c] } }
                        }
                    }
                }
            }
        }
    }

    /// One item: evaluate, pick the jaw-line correspondences for `target`, keep the surface points.
    /// A code the model refuses (non-finite) yields no output: its points stay at 0 and get no gradient.
    func forward(_ code: FaceCode, camera: OrthoCamera, target: [SIMD2<Float>]) -> Item {
        guard let output = try? evaluator.evaluate(code) else {
            return Item(code: code, camera: camera, output: nil, points: [], points3D: [])
        }
        let model = evaluator.model
        let boundary = correspondence.select(evaluator, output: output, camera: camera, targets: target)
        let points = boundary.map { $0.0 } + model.landmarks[17...].map { model.combination($0) }
        let points3D = points.map { c in
            zip(c.vertices, c.weights).reduce(SIMD3<Float>.zero) { $0 + $1.1 * output.vertex($1.0) }
        }
        return Item(code: code, camera: camera, output: output, points: points, points3D: points3D)
    }
}

/// The posed mesh of a batch of faces as a differentiable op (what the renderer consumes).
///
/// Forward, per batch item b (items in parallel over the thread budget), `FaceEvaluator.evaluate`:
///
///     S_b = LBS(T + B_id β_b + B_exp ψ_b + B_pose f(θ_b), J(β_b, ψ_b), θ_b)
///
/// Shapes: β `[B, Kβ]`, ψ `[B, Kψ]`, θ `[B, 3J]` → vertices `[B, N, 3]` (metres, model space).
/// Backward: the vector–Jacobian product `FaceEvaluator.vertexGradient` — Bᵀg for the blendshapes,
/// the skinning and the kinematic chain reversed for θ (and for β, ψ through the rest joints) —
/// never the 3N × (Kβ+Kψ+3J) Jacobian. A code the model refuses (non-finite) gives a zero mesh
/// and no gradient.
public final class FaceGeometry: @unchecked Sendable {
    public let evaluator: FaceEvaluator

    public init(evaluator: FaceEvaluator) { self.evaluator = evaluator }
    public convenience init(model: MorphableModel) throws { self.init(evaluator: try FaceEvaluator(model: model)) }

    public var model: MorphableModel { evaluator.model }

    /// The vertices `[B, N, 3]` of `identity` β `[B, Kβ]`, `expression` ψ `[B, Kψ]`, `pose` θ `[B, 3J]`.
    public func callAsFunction(identity: Tensor, expression: Tensor, pose: Tensor) -> Tensor {
        let b = identity.shape[0], n = model.vertexCount
        let (kb, ke, kp) = (identity.shape[1], expression.shape[1], pose.shape[1])
        precondition(expression.shape[0] == b && pose.shape[0] == b, "one β, ψ, θ per batch item")
        let out = Tensor(zeros: [b, n, 3])
        var saved = [(FaceCode, FaceOutput)?](repeating: nil, count: b)
        saved.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Compute.parallelFor(b, costPerItem: 1 << 20) { range in
                for i in range {
                    let code = FaceCode(identity: Array(UnsafeBufferPointer(start: identity.data + i * kb, count: kb)),
                                        expression: Array(UnsafeBufferPointer(start: expression.data + i * ke, count: ke)),
                                        pose: Array(UnsafeBufferPointer(start: pose.data + i * kp, count: kp)))
                    guard let output = try? self.evaluator.evaluate(code) else { continue }
                    output.vertices.withUnsafeBufferPointer { (out.data + i * 3 * n).update(from: $0.baseAddress!, count: 3 * n) }
                    base[i] = (code, output)
                }
            }
        }
        let items = saved
        return out.recording([identity, expression, pose]) { out in
            let g = out.grad!
            let gb = identity.requiresGrad ? identity.gradBuffer() : nil
            let ge = expression.requiresGrad ? expression.gradBuffer() : nil
            let gp = pose.requiresGrad ? pose.gradBuffer() : nil
            Compute.parallelFor(b, costPerItem: 1 << 20) { range in
                for i in range {
                    guard let item = items[i] else { continue }
                    let (code, output) = item
                    let d = self.evaluator.vertexGradient(g + i * 3 * n, at: output, code: code)
                    if let gb { for k in 0..<kb { gb[i * kb + k] += d.identity[k] } }
                    if let ge { for k in 0..<ke { ge[i * ke + k] += d.expression[k] } }
                    if let gp { for k in 0..<kp { gp[i * kp + k] += d.pose[k] } }
                }
            }
        }
    }

    /// The mesh of a decoded code (β, ψ, θ of `code`).
    public func callAsFunction(_ code: CoarseCode) -> Tensor {
        self(identity: code.identity, expression: code.expression, pose: code.pose)
    }
}
