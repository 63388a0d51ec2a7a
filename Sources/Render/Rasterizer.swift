import Dispatch
import FaceModel
import Foundation
import Tensor

/// Which triangles the rasteriser skips.
public enum FaceCulling: Sendable {
    /// Rasterise every triangle (UV-space atlases, open meshes seen from behind).
    case none
    /// Skip triangles that are clockwise in the y-down image, i.e. whose screen-space signed area
    /// A = (x₁−x₀)×(x₂−x₀) ≥ 0. With s > 0 these are exactly the model's back faces, because
    /// triangles are counter-clockwise from outside in the y-up model frame and Π flips y.
    case backFaces
}

/// The result of rasterising a triangle mesh: for every pixel the nearest triangle (z-buffer,
/// larger depth wins), its barycentric coordinates at the pixel centre, and the depth.
///
/// Shapes: `triangleIndex` H×W (−1 = background), `barycentrics` H×W×3 (b₀, b₁, b₂; zero on
/// background), `depth` H×W (−∞ on background), `coveredPixels` the covered pixel indices
/// y·W + x in row-major order. Barycentrics are affine in pixel coordinates (orthographic
/// projection), b(p) = M⁻¹·[p; 1] for M = [x₀ x₁ x₂; 1 1 1]; the per-triangle rows of M⁻¹ are
/// kept in `setup` for the backward pass.
public struct Rasterization: Sendable {
    public let width: Int
    public let height: Int
    public internal(set) var triangleIndex: [Int32]
    public internal(set) var barycentrics: [Float]
    public internal(set) var depth: [Float]
    public internal(set) var coveredPixels: [Int32]
    /// Per triangle (F×6): origin x₀, y₀ and ∂b₁/∂x, ∂b₁/∂y, ∂b₂/∂x, ∂b₂/∂y; all zero for
    /// culled or degenerate triangles.
    let setup: [Float]

    /// The pixel coverage mask, H×W, 1 where a triangle is visible.
    public var coverage: [Float] { triangleIndex.map { $0 >= 0 ? 1 : 0 } }

    /// Interpolates a per-vertex attribute (N×C, indexed by `triangles`) at every covered pixel:
    /// out[p] = Σᵢ bᵢ(p)·attr[triangle(p)ᵢ]; H×W×C, zero on background. Use it for colours,
    /// normals or any other per-vertex quantity (UVs with seams go through `Renderer`).
    public func interpolate(_ attribute: [Float], channels: Int, triangles: [Int32]) -> [Float] {
        var out = [Float](repeating: 0, count: width * height * channels)
        for p32 in coveredPixels {
            let p = Int(p32), t = Int(triangleIndex[p])
            for k in 0..<3 {
                let b = barycentrics[3 * p + k], v = Int(triangles[3 * t + k])
                for c in 0..<channels { out[p * channels + c] += b * attribute[v * channels + c] }
            }
        }
        return out
    }
}

/// A scan-converting z-buffer rasteriser for triangles given in pixel coordinates.
public enum Rasterizer {
    /// Rasterises F triangles with vertices `screen` (N×2 pixels, x right, y down) and `depth`
    /// (N, larger = nearer) into a `width`×`height` image, testing pixel centres (x+½, y+½)
    /// with inclusive edges (shared edges are resolved by the z-buffer, so no cracks).
    /// Rows are split into bands processed concurrently (both cores); no per-pixel allocation.
    public static func rasterize(screen: [Float], depth: [Float], triangles: [Int32],
                                 width: Int, height: Int, culling: FaceCulling) -> Rasterization {
        let triangleCount = triangles.count / 3
        let (setup, bounds) = triangleSetup(screen: screen, triangles: triangles, culling: culling)
        var triangleIndex = [Int32](repeating: -1, count: width * height)
        var bary = [Float](repeating: 0, count: width * height * 3)
        var zbuf = [Float](repeating: -.infinity, count: width * height)
        let bands = max(1, min(height, 2 * ProcessInfo.processInfo.activeProcessorCount))
        triangleIndex.withUnsafeMutableBufferPointer { ids in
            bary.withUnsafeMutableBufferPointer { bp in
                zbuf.withUnsafeMutableBufferPointer { zp in
                    setup.withUnsafeBufferPointer { sp in
                      bounds.withUnsafeBufferPointer { bb in
                        depth.withUnsafeBufferPointer { dp in
                            triangles.withUnsafeBufferPointer { tp in
                                let target = RasterTarget(ids: ids.baseAddress!, bary: bp.baseAddress!,
                                                          depth: zp.baseAddress!, width: width)
                                let source = RasterSource(setup: sp.baseAddress!, bounds: bb.baseAddress!,
                                                          vertexDepth: dp.baseAddress!,
                                                          triangles: tp.baseAddress!, count: triangleCount)
                                Compute.concurrentPerform(iterations: bands) { band in
                                    let y0 = height * band / bands, y1 = height * (band + 1) / bands
                                    rasterizeBand(rows: y0..<y1, source: source, target: target)
                                }
                            }
                        }
                      }
                    }
                }
            }
        }
        var covered = [Int32]()
        covered.reserveCapacity(width * height / 2)
        for p in 0..<(width * height) where triangleIndex[p] >= 0 { covered.append(Int32(p)) }
        return Rasterization(width: width, height: height, triangleIndex: triangleIndex, barycentrics: bary,
                             depth: zbuf, coveredPixels: covered, setup: setup)
    }

    /// Projects `mesh` with `camera` (u = s·Π(R v) + t) and rasterises it, depth = (R v)_z.
    public static func rasterize(mesh: RenderMesh, camera: OrthoCamera, width: Int, height: Int,
                                 culling: FaceCulling = .backFaces) -> Rasterization {
        let cameraSpace = mesh.rotated(by: camera.rotation)
        let screen = camera.withoutRotation.project(positions: cameraSpace.positions)
        var z = [Float](repeating: 0, count: mesh.vertexCount)
        for i in 0..<mesh.vertexCount { z[i] = cameraSpace.positions[3 * i + 2] }
        return rasterize(screen: screen, depth: z, triangles: mesh.triangles, width: width, height: height,
                         culling: culling)
    }

    /// Per-triangle origin and barycentric slopes, computed in Double relative to vertex 0 so that
    /// small triangles keep full precision. With e₁ = x₁−x₀, e₂ = x₂−x₀, A = e₁×e₂, d = p−x₀:
    /// b₁ = (d×e₂)/A, b₂ = (e₁×d)/A, b₀ = 1 − b₁ − b₂.
    /// Also returns each triangle's pixel-centre bounding box (F×4: minX, maxX, minY, maxY; empty
    /// for skipped triangles). Triangles are split between the cores.
    static func triangleSetup(screen: [Float], triangles: [Int32], culling: FaceCulling)
        -> (setup: [Float], bounds: [Int32]) {
        let count = triangles.count / 3
        var setup = [Float](repeating: 0, count: count * 6)
        var bounds = [Int32](repeating: 0, count: count * 4)
        let chunks = max(1, min(count / 2048, ProcessInfo.processInfo.activeProcessorCount))
        screen.withUnsafeBufferPointer { sp in
            triangles.withUnsafeBufferPointer { tp in
                setup.withUnsafeMutableBufferPointer { out in
                    bounds.withUnsafeMutableBufferPointer { box in
                        let job = SetupJob(screen: sp.baseAddress!, triangles: tp.baseAddress!,
                                           setup: out.baseAddress!, bounds: box.baseAddress!, culling: culling)
                        Compute.concurrentPerform(iterations: chunks) { chunk in
                            for t in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) { job.run(t) }
                        }
                    }
                }
            }
        }
        return (setup, bounds)
    }

    /// Rasterises every triangle's part inside `rows`.
    static func rasterizeBand(rows: Range<Int>, source: RasterSource, target: RasterTarget) {
        let width = target.width
        for t in 0..<source.count {
            let box = source.bounds + 4 * t
            let minY = max(rows.lowerBound, Int(box[2])), maxY = min(rows.upperBound - 1, Int(box[3]))
            if minY > maxY { continue }
            let minX = max(0, Int(box[0])), maxX = min(width - 1, Int(box[1]))
            if minX > maxX { continue }
            let s = source.setup + 6 * t
            let x0 = s[0], y0 = s[1], a1 = s[2], c1 = s[3], a2 = s[4], c2 = s[5]
            let i0 = Int(source.triangles[3 * t]), i1 = Int(source.triangles[3 * t + 1])
            let i2 = Int(source.triangles[3 * t + 2])
            let z0 = source.vertexDepth[i0], dz1 = source.vertexDepth[i1] - z0, dz2 = source.vertexDepth[i2] - z0
            let eps: Float = -1e-5
            let a0 = -(a1 + a2), c0 = -(c1 + c2)
            let r0 = a0 == 0 ? 0 : 1 / a0, r1 = a1 == 0 ? 0 : 1 / a1, r2 = a2 == 0 ? 0 : 1 / a2
            let narrow = maxX - minX < 6
            for y in minY...maxY {
                let dy = Float(y) + 0.5 - y0
                // The row's span where all three barycentrics are ≥ eps (each is affine in x),
                // widened by a pixel; the per-pixel test below stays the exact criterion.
                var lo = Float(minX), hi = Float(maxX)
                func clip(_ slope: Float, _ reciprocal: Float, _ offset: Float) {  // slope·dx + offset ≥ eps
                    // Clamped to the box first so the integer floor cannot overflow.
                    let edge = min(max((eps - offset) * reciprocal + x0 - 0.5, lo - 2), hi + 2)
                    if slope > 0 {
                        lo = max(lo, Float(floorToInt(edge) - 1))
                    } else if slope < 0 {
                        hi = min(hi, Float(floorToInt(edge) + 1))
                    } else if offset < eps {
                        hi = lo - 1
                    }
                }
                if narrow == false {  // small boxes: testing every pixel is cheaper than clipping
                    clip(a1, r1, c1 * dy)
                    clip(a2, r2, c2 * dy)
                    clip(a0, r0, 1 + c0 * dy)
                    if lo > hi { continue }
                }
                let row = y * width
                var dx = lo + 0.5 - x0
                for x in Int(lo)...Int(hi) {
                    defer { dx += 1 }
                    let b1 = a1 * dx + c1 * dy, b2 = a2 * dx + c2 * dy, b0 = 1 - b1 - b2
                    if b1 < eps || b2 < eps || b0 < eps { continue }
                    let z = z0 + b1 * dz1 + b2 * dz2
                    let p = row + x
                    if z <= target.depth[p] { continue }
                    target.depth[p] = z
                    target.ids[p] = Int32(t)
                    target.bary[3 * p] = b0
                    target.bary[3 * p + 1] = b1
                    target.bary[3 * p + 2] = b2
                }
            }
        }
    }
}

/// Raw views the band workers read; each band writes only its own rows of `RasterTarget`.
struct RasterSource: @unchecked Sendable {
    let setup: UnsafePointer<Float>
    let bounds: UnsafePointer<Int32>
    let vertexDepth: UnsafePointer<Float>
    let triangles: UnsafePointer<Int32>
    let count: Int
}

/// One triangle's setup (see `Rasterizer.triangleSetup`), written through raw pointers so the
/// triangles can be split between threads.
struct SetupJob: @unchecked Sendable {
    let screen: UnsafePointer<Float>
    let triangles: UnsafePointer<Int32>
    let setup: UnsafeMutablePointer<Float>
    let bounds: UnsafeMutablePointer<Int32>
    let culling: FaceCulling

    func run(_ t: Int) {
        let i0 = Int(triangles[3 * t]), i1 = Int(triangles[3 * t + 1]), i2 = Int(triangles[3 * t + 2])
        let x0 = Double(screen[2 * i0]), y0 = Double(screen[2 * i0 + 1])
        let e1x = Double(screen[2 * i1]) - x0, e1y = Double(screen[2 * i1 + 1]) - y0
        let e2x = Double(screen[2 * i2]) - x0, e2y = Double(screen[2 * i2 + 1]) - y0
        let area = e1x * e2y - e1y * e2x
        let box = bounds + 4 * t
        if abs(area) < 1e-10 || (culling == .backFaces && area >= 0) || !area.isFinite {
            (box[0], box[1], box[2], box[3]) = (1, 0, 1, 0)  // empty
            for k in 0..<6 { setup[6 * t + k] = 0 }
            return
        }
        // First and last pixel centres inside the box: ⌈min − ½⌉ and ⌊max − ½⌋ (clamped, and by
        // truncation: libm's ceil/floor are calls on baseline x86-64).
        @inline(__always) func floorPixel(_ v: Double) -> Int32 {
            let c = min(1e8, max(-1e8, v)), i = Int32(c)
            return c < Double(i) ? i - 1 : i
        }
        func ceilPixel(_ v: Double) -> Int32 { -floorPixel(-v) }
        box[0] = ceilPixel(min(x0, x0 + e1x, x0 + e2x) - 0.5)
        box[1] = floorPixel(max(x0, x0 + e1x, x0 + e2x) - 0.5)
        box[2] = ceilPixel(min(y0, y0 + e1y, y0 + e2y) - 0.5)
        box[3] = floorPixel(max(y0, y0 + e1y, y0 + e2y) - 0.5)
        let inverse = 1 / area
        let s = setup + 6 * t
        s[0] = Float(x0)
        s[1] = Float(y0)
        s[2] = Float(e2y * inverse)
        s[3] = Float(-e2x * inverse)
        s[4] = Float(-e1y * inverse)
        s[5] = Float(e1x * inverse)
    }
}

struct RasterTarget: @unchecked Sendable {
    let ids: UnsafeMutablePointer<Int32>
    let bary: UnsafeMutablePointer<Float>
    let depth: UnsafeMutablePointer<Float>
    let width: Int
}

extension Rasterization {
    /// The same pixel → triangle assignment with barycentrics recomputed for moved vertices
    /// (`screen`, N×2); barycentrics may leave [0, 1]. This is the map the backward pass
    /// differentiates ("fixed visibility"), used to check it against finite differences.
    func reassigned(screen: [Float], triangles: [Int32]) -> Rasterization {
        let (setup, _) = Rasterizer.triangleSetup(screen: screen, triangles: triangles, culling: .none)
        var copy = self
        for p32 in coveredPixels {
            let p = Int(p32), t = Int(triangleIndex[p]), s = 6 * t
            let dx = Float(p % width) + 0.5 - setup[s], dy = Float(p / width) + 0.5 - setup[s + 1]
            let b1 = setup[s + 2] * dx + setup[s + 3] * dy, b2 = setup[s + 4] * dx + setup[s + 5] * dy
            copy.barycentrics[3 * p] = 1 - b1 - b2
            copy.barycentrics[3 * p + 1] = b1
            copy.barycentrics[3 * p + 2] = b2
        }
        return Rasterization(width: width, height: height, triangleIndex: triangleIndex,
                             barycentrics: copy.barycentrics, depth: depth, coveredPixels: coveredPixels,
                             setup: setup)
    }
}
