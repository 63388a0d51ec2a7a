import FaceModel
import Networks
import Reconstruction
import Render
import Tensor

/// The renderer as a differentiable op over a batch (the paper's I_r, §3.1–3.2).
///
/// Forward, per batch item b (items in parallel; each frame's shading loop shares the budget),
/// `Renderer.render`:
///
///     I_r(p) = A_b(uv(p)) ⊙ Σₖ l_{b,k} Hₖ(n̂(p))   where a triangle of S_b covers p, else 0
/// with the orthographic camera u = s_b·Π(v) + t_b (render pixels).
///
/// Shapes: vertices `[B, N, 3]` (model space), camera `[B, 3]` (s, tx, ty), lighting `[B, 27]` (SH
/// 9 bands × RGB, `SphericalHarmonics` layout), albedo `[B, d, d, 3]` (`TextureMap` layout) →
/// image `[B, H, W, 3]`; optionally a displacement map D `[B, 1, e, e]` (metres along the normal, UV
/// in `TextureMap` row order) that bump-maps the shading normals (§3.3, the detail renders of
/// L_phoD); not differentiable: `coverage` `[B, H, W, 1]` ∈ {0, 1} and `mask`
/// `[B, H, W, 1]` = coverage ∩ skin (pixels whose UV falls on face, nose or lip triangles: the
/// regions `PhotometricFit` takes as skin, through the renderer's UV skin mask).
/// Backward: `Renderer.backward` at the forward pass's visibility (each covered pixel keeps its
/// triangle; silhouette motion is not differentiated) gives ∂L/∂positions, ∂L/∂(s, t), ∂L/∂l and
/// ∂L/∂A (and ∂L/∂D) for the upstream ∂L/∂I_r. An item the renderer refuses (non-positive scale) renders black
/// with an empty mask and gets no gradient.
public final class MeshRendering: @unchecked Sendable {
    public let renderer: Renderer
    let mesh: RenderMesh
    public let skinMask: TextureMap

    /// What `callAsFunction` returns.
    public struct Frame {
        /// `[B, H, W, 3]`, differentiable.
        public var image: Tensor
        /// `[B, H, W, 1]`: covered pixels.
        public var coverage: Tensor
        /// `[B, H, W, 1]`: covered skin pixels (the L_pho mask).
        public var mask: Tensor
        /// Each item's pixel → triangle assignment (nil for a refused item), for a re-render at
        /// fixed visibility.
        public var visibility: [Rasterization?]
    }

    public init(model: MorphableModel, width: Int, height: Int,
                skinRegions: Set<FaceRegion> = [.face, .nose, .lips], maskSize: Int = 256) throws {
        renderer = try Renderer(width: width, height: height)
        mesh = try RenderMesh(model: model)
        skinMask = try TextureMap.skinMask(for: model, size: maskSize, regions: skinRegions)
    }

    struct Saved {
        var mesh: RenderMesh
        var scene: RenderScene
        var output: RenderOutput
    }

    /// Renders each item (see the type's doc). With `fixedVisibility`, item b keeps the pixel →
    /// triangle assignment given (the map the backward pass differentiates).
    public func callAsFunction(vertices: Tensor, camera: Tensor, lighting: Tensor, albedo: Tensor,
                               displacement: Tensor? = nil, fixedVisibility: [Rasterization?]? = nil) -> Frame {
        let b = vertices.shape[0], n = mesh.vertexCount
        precondition(vertices.shape == [b, n, 3], "vertices \(vertices.shape) for a mesh of \(n) vertices")
        precondition(camera.shape == [b, 3] && lighting.shape == [b, 27], "camera [B, 3] and lighting [B, 27]")
        precondition(albedo.rank == 4 && albedo.shape[0] == b && albedo.shape[3] == 3 && albedo.shape[1] == albedo.shape[2],
                     "albedo [B, d, d, 3], got \(albedo.shape)")
        let (w, h, d) = (renderer.width, renderer.height, albedo.shape[1])
        let pixels = w * h, texels = d * d * 3
        let e = displacement?.shape[3] ?? 0, displacementTexels = e * e
        if let displacement {
            precondition(displacement.shape == [b, 1, e, e], "displacement [B, 1, e, e], got \(displacement.shape)")
        }
        let image = Tensor(zeros: [b, h, w, 3]), coverage = Tensor(zeros: [b, h, w, 1]), mask = Tensor(zeros: [b, h, w, 1])
        var saved = [Saved?](repeating: nil, count: b)
        saved.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Compute.parallelFor(b, costPerItem: 1 << 22) { range in
                for i in range {
                    var itemMesh = self.mesh
                    itemMesh.positions = Array(UnsafeBufferPointer(start: vertices.data + i * 3 * n, count: 3 * n))
                    let c = camera.data + 3 * i
                    guard let light = try? SphericalHarmonics(coefficients: Array(UnsafeBufferPointer(start: lighting.data + 27 * i, count: 27))),
                          let texture = try? TextureMap(width: d, height: d, channels: 3,
                                                        data: Array(UnsafeBufferPointer(start: albedo.data + i * texels, count: texels)))
                    else { continue }
                    let bump = displacement.flatMap {
                        try? TextureMap(width: e, height: e, channels: 1,
                                        data: Array(UnsafeBufferPointer(start: $0.data + i * displacementTexels, count: displacementTexels)))
                    }
                    let scene = RenderScene(camera: OrthoCamera(scale: c[0], translation: SIMD2(c[1], c[2])), lighting: light,
                                            albedo: texture, displacement: bump, skinMask: self.skinMask)
                    let output: RenderOutput
                    do {
                        if let fixed = fixedVisibility?[i] {
                            output = try self.renderer.render(mesh: itemMesh, scene: scene, fixedVisibility: fixed)
                        } else {
                            output = try self.renderer.render(mesh: itemMesh, scene: scene)
                        }
                    } catch { continue }
                    output.image.data.withUnsafeBufferPointer { (image.data + i * 3 * pixels).update(from: $0.baseAddress!, count: 3 * pixels) }
                    output.mask.withUnsafeBufferPointer { (mask.data + i * pixels).update(from: $0.baseAddress!, count: pixels) }
                    for p in output.rasterization.coveredPixels { coverage.data[i * pixels + Int(p)] = 1 }
                    base[i] = Saved(mesh: itemMesh, scene: scene, output: output)
                }
            }
        }
        let items = saved
        let out = image.recording([vertices, camera, lighting, albedo] + (displacement.map { [$0] } ?? [])) { out in
            let g = out.grad!
            let gv = vertices.requiresGrad ? vertices.gradBuffer() : nil
            let gc = camera.requiresGrad ? camera.gradBuffer() : nil
            let gl = lighting.requiresGrad ? lighting.gradBuffer() : nil
            let ga = albedo.requiresGrad ? albedo.gradBuffer() : nil
            let gd = displacement?.requiresGrad == true ? displacement!.gradBuffer() : nil
            Compute.parallelFor(b, costPerItem: 1 << 22) { range in
                for i in range {
                    guard let item = items[i] else { continue }
                    let upstream = Array(UnsafeBufferPointer(start: g + i * 3 * pixels, count: 3 * pixels))
                    guard let d = try? self.renderer.backward(mesh: item.mesh, scene: item.scene, output: item.output,
                                                              imageGradient: upstream) else { continue }
                    if let gv { for k in 0..<(3 * n) { gv[i * 3 * n + k] += d.positions[k] } }
                    if let gc {
                        gc[3 * i] += d.cameraScale
                        gc[3 * i + 1] += d.cameraTranslation.x
                        gc[3 * i + 2] += d.cameraTranslation.y
                    }
                    if let gl { for k in 0..<27 { gl[27 * i + k] += d.lighting[k] } }
                    if let ga { for k in 0..<texels { ga[i * texels + k] += d.albedo[k] } }
                    if let gd, let dd = d.displacement { for k in 0..<displacementTexels { gd[i * displacementTexels + k] += dd[k] } }
                }
            }
        }
        return Frame(image: out, coverage: coverage, mask: mask, visibility: items.map { $0?.output.rasterization })
    }
}

/// The albedo model as a linear op: A(α) = μ + Σₖ αₖ σₖ uₖ (`AlbedoModel`, α in standard deviations).
///
/// Shapes: α `[B, K]` (K ≤ the model's components; the first K are used) → texture `[B, d, d, 3]`.
/// Forward: one GEMM `α · basis[0..<K]` plus the broadcast mean; backward: `∂L/∂α = ∂L/∂A · basisᵀ`
/// (the GEMM's own backward).
public final class AlbedoTexture: @unchecked Sendable {
    public let size: Int
    public let componentCount: Int
    /// `[1, d·d·3]` and `[K, d·d·3]`, constants.
    let mean: Tensor
    let basis: Tensor

    public init(model: AlbedoModel, components: Int) {
        precondition(components >= 0 && components <= model.componentCount,
                     "\(components) albedo components of a model with \(model.componentCount)")
        size = model.size
        componentCount = components
        mean = Tensor(model.mean, shape: [1, model.entryCount])
        basis = Tensor(Array(model.basis[0..<(components * model.entryCount)]), shape: [components, model.entryCount])
    }

    /// The textures `[B, d, d, 3]` of `alpha` `[B, K]`.
    public func callAsFunction(_ alpha: Tensor) -> Tensor {
        precondition(alpha.rank == 2 && alpha.shape[1] == componentCount, "α [B, \(componentCount)], got \(alpha.shape)")
        let flat = componentCount == 0 ? broadcast(mean, to: [alpha.shape[0], mean.shape[1]]) : matmul(alpha, basis) + mean
        return flat.reshaped([alpha.shape[0], size, size, 3])
    }
}

/// The face of a decoded code rendered into the crop, as L_pho and L_id see it: mesh
/// (`FaceGeometry`), albedo (`AlbedoTexture`), render (`MeshRendering`) at `crop / factor` pixels.
///
/// The crop's camera maps to the render by (s, t)/factor (pixel i of the render covers crop pixels
/// [f·i, f·i + f), so a point at crop pixel u is at u/f). Needs a code with α and SH light
/// (`CoarseEncoderConfiguration.albedoCount` > 0, `regressesLighting`).
public final class FaceRendering: @unchecked Sendable {
    public let geometry: FaceGeometry
    public let albedo: AlbedoTexture
    public let rendering: MeshRendering
    public let factor: Int

    public init(geometry: FaceGeometry, albedoModel: AlbedoModel, components: Int, cropSize: Int, factor: Int) throws {
        precondition(factor >= 1 && cropSize % factor == 0, "render factor \(factor) of a \(cropSize) crop")
        try albedoModel.checkPairs(with: geometry.model)
        self.geometry = geometry
        albedo = AlbedoTexture(model: albedoModel, components: components)
        rendering = try MeshRendering(model: geometry.model, width: cropSize / factor, height: cropSize / factor)
        self.factor = factor
    }

    public var size: Int { rendering.renderer.width }

    /// The render of `code` (which must carry α and SH light).
    public func callAsFunction(_ code: CoarseCode) -> MeshRendering.Frame {
        guard let alpha = code.albedo, let light = code.lighting else {
            preconditionFailure("the photometric losses need an encoder that regresses albedo and SH light")
        }
        return rendering(vertices: geometry(code), camera: code.camera * (1 / Float(factor)), lighting: light,
                         albedo: albedo(alpha))
    }

    /// The photometric target `[B, r, r, 3]` in [0, 1] of encoder inputs `[B, 3, S, S]` (normalised
    /// by `CoarseEncoder.normalise`: v = x/4 + ½), box-averaged by the render factor. Constant.
    public func target(_ images: Tensor) -> Tensor {
        let (b, s, f) = (images.shape[0], images.shape[2], factor)
        let r = s / f
        let out = Tensor(zeros: [b, r, r, 3])
        let inv = 1 / Float(f * f)
        for i in 0..<b {
            for c in 0..<3 {
                let plane = images.data + (i * 3 + c) * s * s
                for y in 0..<r {
                    for x in 0..<r {
                        var sum: Float = 0
                        for dy in 0..<f { for dx in 0..<f { sum += plane[(f * y + dy) * s + f * x + dx] } }
                        out.data[((i * r + y) * r + x) * 3 + c] = sum * inv / 4 + 0.5
                    }
                }
            }
        }
        return out
    }
}
