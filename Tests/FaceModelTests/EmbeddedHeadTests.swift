import XCTest
@testable import FaceModel

/// The embedded head: determinism, bases, rig, landmarks, mesh validity (neutral, every
/// expression at weight 1, every identity mode at ±2σ) and UV layout.
final class EmbeddedHeadTests: XCTestCase {
    static let model = EmbeddedHead.make()
    var model: MorphableModel { Self.model }

    static let arkit52: Set<String> = [
        "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
        "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
        "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
        "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight",
        "mouthStretchLeft", "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
        "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
        "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
        "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
    ]

    func vertex(_ v: [Float], _ i: Int) -> SIMD3<Float> { SIMD3(v[3 * i], v[3 * i + 1], v[3 * i + 2]) }

    func testDeterministicContentHash() throws {
        let again = EmbeddedHead.build()
        XCTAssertEqual(again.info.contentHash, model.info.contentHash)
        XCTAssertEqual(again.template, model.template)
        XCTAssertEqual(ContentHash.of(model), model.info.contentHash)
        XCTAssertEqual(model.info.contentHash.count, 64)
        XCTAssertFalse(model.info.version.isEmpty)
    }

    func testSizeAndValidity() throws {
        try model.validate()
        XCTAssert((4000...10000).contains(model.vertexCount), "\(model.vertexCount) vertices")
        XCTAssertEqual(model.joints.map(\.name), ["global", "neck", "jaw", "leftEye", "rightEye"])
        XCTAssertEqual(model.vertexRegions.count, model.vertexCount)
        for region in FaceRegion.allCases {
            XCTAssert(model.vertexRegions.contains(region), "no vertex labelled \(region)")
        }
    }

    func testIdentityBasisOrthogonalAndOrderedByVariance() {
        let k = model.identityCount, rows = 3 * model.vertexCount
        XCTAssertGreaterThanOrEqual(k, 40)
        var gram = [Double](repeating: 0, count: k * k)
        for r in 0..<rows {
            let base = r * k
            for a in 0..<k {
                let x = Double(model.identityBasis[base + a])
                if x == 0 { continue }
                for b in a..<k { gram[a * k + b] += x * Double(model.identityBasis[base + b]) }
            }
        }
        let norms = (0..<k).map { gram[$0 * k + $0].squareRoot() }
        for a in 0..<k {
            XCTAssertGreaterThan(norms[a], 1e-4, "mode \(a) is empty")
            if a > 0 { XCTAssertLessThanOrEqual(norms[a], norms[a - 1] * (1 + 1e-5), "modes not ordered by variance at \(a)") }
            for b in (a + 1)..<k {
                XCTAssertLessThan(abs(gram[a * k + b]) / (norms[a] * norms[b]), 1e-4, "modes \(a), \(b) not orthogonal")
            }
        }
    }

    func testBlendshapesNamedAndNonDegenerate() {
        let names = model.expressionNames
        XCTAssertEqual(Set(names), Self.arkit52, "all 52 ARKit blendshapes, nothing else")
        XCTAssertEqual(Set(names).count, names.count, "duplicate names")
        let k = names.count
        for (c, name) in names.enumerated() {
            XCTAssert(Self.arkit52.contains(name), "\(name) is not an ARKit blendshape name")
            var largest: Float = 0
            for i in 0..<model.vertexCount {
                let d = SIMD3(model.expressionBasis[(3 * i) * k + c], model.expressionBasis[(3 * i + 1) * k + c],
                              model.expressionBasis[(3 * i + 2) * k + c])
                largest = max(largest, (d * d).sum().squareRoot())
            }
            XCTAssertGreaterThan(largest, 0.0015, "\(name) moves at most \(largest * 1000) mm")
            XCTAssertLessThan(largest, 0.06, "\(name) moves \(largest * 1000) mm")
        }
    }

    /// Sided shapes act on their own side: subject's left = +x.
    func testLeftShapesMoveTheLeftSide() {
        let k = model.expressionCount
        for name in ["eyeBlinkLeft", "mouthSmileLeft", "browOuterUpLeft"] {
            let c = model.expressionNames.firstIndex(of: name)!
            var left: Float = 0, right: Float = 0
            for i in 0..<model.vertexCount {
                var m: Float = 0
                for a in 0..<3 { m += abs(model.expressionBasis[(3 * i + a) * k + c]) }
                if model.template[3 * i] > 0.005 { left += m } else if model.template[3 * i] < -0.005 { right += m }
            }
            XCTAssertGreaterThan(left, 10 * right, name)
        }
    }

    func testLandmarksInsideTheirRegions() {
        func regions(_ l: LandmarkEmbedding) -> Set<FaceRegion> {
            let t = Int(l.triangle)
            return Set((0..<3).compactMap { a -> FaceRegion? in
                l.barycentric[a] > 0.01 ? model.vertexRegions[Int(model.triangles[3 * t + a])] : nil
            })
        }
        XCTAssertEqual(model.landmarks.count, 68)
        for (i, l) in model.landmarks.enumerated() {
            XCTAssertEqual(l.barycentric.sum(), 1, accuracy: 1e-4)
            XCTAssert(l.barycentric.min() >= -1e-4, "landmark \(i) outside its triangle")
            let r = regions(l)
            switch i {
            case 0...16: XCTAssert(r.isSubset(of: [.face, .neck]), "jaw landmark \(i) in \(r)")
            case 17...26: XCTAssert(r.isSubset(of: [.face]), "brow landmark \(i) in \(r)")
            case 28...30: XCTAssertEqual(r, [.nose], "nose landmark \(i) in \(r)")
            case 27, 31...35: XCTAssert(r.isSubset(of: [.nose, .face]), "nose landmark \(i) in \(r)")
            case 36...47: XCTAssertEqual(r, [.eyes], "eye landmark \(i) in \(r)")
            case 48, 54: XCTAssert(r.isSubset(of: [.lips, .face]), "lip corner \(i) in \(r)")
            default: XCTAssertEqual(r, [.lips], "lip landmark \(i) in \(r)")
            }
        }
        // Left/right as in iBUG: point 36 (subject's right outer corner) at −x, 45 at +x.
        let p = landmarkPositions(model.template)
        XCTAssertLessThan(p[36].x, p[39].x); XCTAssertLessThan(p[39].x, p[42].x); XCTAssertLessThan(p[42].x, p[45].x)
        XCTAssertLessThan(p[0].x, 0); XCTAssertGreaterThan(p[16].x, 0)
        XCTAssertLessThan(p[8].y, p[57].y); XCTAssertLessThan(p[57].y, p[33].y); XCTAssertLessThan(p[33].y, p[27].y)
        let contour = try! XCTUnwrap(model.dynamicContour)
        XCTAssertEqual(contour.embeddings.count, contour.yawDegrees.count)
    }

    func landmarkPositions(_ v: [Float]) -> [SIMD3<Float>] {
        model.landmarks.map { l in
            let t = Int(l.triangle)
            return (0..<3).reduce(SIMD3<Float>.zero) { $0 + l.barycentric[$1] * vertex(v, Int(model.triangles[3 * t + $1])) }
        }
    }

    func triangleNormals(_ v: [Float]) -> [SIMD3<Float>] {
        (0..<model.triangleCount).map { t in
            let a = vertex(v, Int(model.triangles[3 * t])), b = vertex(v, Int(model.triangles[3 * t + 1])),
                c = vertex(v, Int(model.triangles[3 * t + 2]))
            let u = b - a, w = c - a
            return SIMD3(u.y * w.z - u.z * w.y, u.z * w.x - u.x * w.z, u.x * w.y - u.y * w.x)
        }
    }

    /// Every triangle keeps a real area and its facing in every expression at weight 1 (jawOpen
    /// included: skin, mouth bag, teeth and tongue).
    /// The same holds for every identity mode at ±1σ.
    func testNoFlippedOrDegenerateTriangles() {
        let base = triangleNormals(model.template)
        for (t, n) in base.enumerated() {
            XCTAssertGreaterThan((n * n).sum().squareRoot() / 2, 1e-9, "neutral triangle \(t) is degenerate")
        }
        func flipped(_ column: Int, _ basis: [Float], _ k: Int, _ weight: Float) -> [Int] {
            var v = model.template
            for r in 0..<v.count { v[r] += weight * basis[r * k + column] }
            let normals = triangleNormals(v)
            return (0..<normals.count).filter { t in
                let n0 = base[t], n1 = normals[t]
                let area = (n1 * n1).sum().squareRoot() / 2
                let cosine = (n0 * n1).sum() / max(((n0 * n0).sum() * (n1 * n1).sum()).squareRoot(), 1e-30)
                return area < 1e-10 || cosine < 0
            }
        }
        for (c, name) in model.expressionNames.enumerated() {
            let bad = flipped(c, model.expressionBasis, model.expressionCount, 1)
            XCTAssert(bad.isEmpty, "\(name): \(bad.count) flipped/degenerate triangles, e.g. \(bad.prefix(5))")
        }
        for c in 0..<model.identityCount {
            for s: Float in [-1, 1] {
                let bad = flipped(c, model.identityBasis, model.identityCount, s)
                XCTAssert(bad.isEmpty, "identity \(c) at \(s)σ folds \(bad.count) triangles, e.g. \(bad.prefix(5))")
            }
        }
    }

    /// Consistently oriented manifold; the only borders are the neck cut and the eyeball rims —
    /// the mouth is closed by its bag (jawOpen shows no hole), the lid margins by the sockets; the
    /// teeth (each arch a capped tube) and the tongue are closed shells, so they add no border.
    func testOrientedManifoldWithExpectedBorders() {
        var directed = Set<Int64>(), undirected: [Int64: Int] = [:]
        let n = Int64(model.vertexCount)
        for t in 0..<model.triangleCount {
            for e in 0..<3 {
                let a = Int64(model.triangles[3 * t + e]), b = Int64(model.triangles[3 * t + (e + 1) % 3])
                XCTAssert(directed.insert(a * n + b).inserted, "edge \(a)→\(b) used twice in the same direction")
                undirected[min(a, b) * n + max(a, b), default: 0] += 1
            }
        }
        XCTAssert(undirected.values.allSatisfy { $0 <= 2 }, "non-manifold edge")
        let borderVertices = Set(undirected.filter { $0.value == 1 }.keys.flatMap { [Int($0 / n), Int($0 % n)] })
        for v in borderVertices {
            let r = model.vertexRegions[v]
            let y = model.template[3 * v + 1]
            XCTAssert(r == .eyeballs || (r == .neck && y < -0.15), "border vertex \(v) in \(r) at y = \(y)")
        }
    }

    /// UVs in [0, 1], every UV triangle counter-clockwise, no two overlapping (rasterised at
    /// 1024²), and the face regions cover most of the used texture area.
    func testUVLayout() {
        let uv = model.uvs
        XCTAssert(uv.allSatisfy { $0 >= 0 && $0 <= 1 })
        let size = 1024
        var cover = [UInt8](repeating: 0, count: size * size)
        var faceArea: Float = 0, total: Float = 0
        for t in 0..<model.triangleCount {
            let ids = (0..<3).map { Int(model.uvTriangles[3 * t + $0]) }
            let p = ids.map { SIMD2(uv[2 * $0], uv[2 * $0 + 1]) * Float(size) }
            let area = ((p[1].x - p[0].x) * (p[2].y - p[0].y) - (p[1].y - p[0].y) * (p[2].x - p[0].x)) / 2
            XCTAssertGreaterThan(area, 0, "UV triangle \(t) is clockwise or empty")
            total += area
            let regions = (0..<3).map { model.vertexRegions[Int(model.triangles[3 * t + $0])] }
            if regions.allSatisfy({ [.face, .nose, .eyes, .lips].contains($0) }) { faceArea += area }
            let x0 = max(Int(min(p[0].x, p[1].x, p[2].x)), 0), x1 = min(Int(max(p[0].x, p[1].x, p[2].x)), size - 1)
            let y0 = max(Int(min(p[0].y, p[1].y, p[2].y)), 0), y1 = min(Int(max(p[0].y, p[1].y, p[2].y)), size - 1)
            if x0 > x1 || y0 > y1 { continue }
            for y in y0...y1 { for x in x0...x1 {
                let q = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                var inside = true
                for e in 0..<3 {
                    let a = p[e], b = p[(e + 1) % 3]
                    if (b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x) <= 0 { inside = false; break }
                }
                if inside { cover[y * size + x] += 1 }
            } }
        }
        let overlaps = cover.filter { $0 > 1 }.count
        XCTAssertEqual(overlaps, 0, "\(overlaps) texels covered twice")
        XCTAssertGreaterThan(faceArea / total, 0.5, "face covers \(faceArea / total) of the used UV area")
    }

    /// jawOpen is the jaw joint's LBS rotation plus a corrective (lips, cheeks, throat sliding).
    func testJawOpenIsJawRotationPlusCorrective() throws {
        let evaluator = try FaceEvaluator(model: model)
        var code = FaceCode.neutral(for: model)
        code.setRotation(SIMD3(HeadRig.jawOpenAngle, 0, 0), ofJoint: 2)
        let posed = try evaluator.evaluate(code).vertices
        let c = model.expressionNames.firstIndex(of: "jawOpen")!, k = model.expressionCount
        var largestCorrective: Float = 0, chinDrop: Float = 0
        for i in 0..<model.vertexCount {
            let lbs = vertex(posed, i) - vertex(model.template, i)
            let shape = SIMD3((0..<3).map { model.expressionBasis[(3 * i + $0) * k + c] })
            largestCorrective = max(largestCorrective, ((shape - lbs) * (shape - lbs)).sum().squareRoot())
            chinDrop = max(chinDrop, -lbs.y)
        }
        XCTAssertGreaterThan(chinDrop, 0.02, "the jaw rotation should drop the chin by centimetres")
        XCTAssertLessThan(largestCorrective, 0.012, "corrective larger than 12 mm")
        XCTAssertGreaterThan(largestCorrective, 0.0005, "no corrective")
        // The regressor puts the joints at their rest positions (eye joints at the eyeball centres).
        let joints = try evaluator.evaluate(FaceCode.neutral(for: model)).skeleton
        _ = joints
        for j in 0..<model.joints.count {
            var p = SIMD3<Float>.zero
            for i in 0..<model.vertexCount { p += model.jointRegressor[j * model.vertexCount + i] * vertex(model.template, i) }
            let rig = HeadRig(topo: HeadTopology(), positions: [], layout: HeadLayout(controls: EmbeddedHeadControl.means))
            XCTAssertLessThan(((p - rig.jointPositions[j]) * (p - rig.jointPositions[j])).sum().squareRoot(), 1e-5, model.joints[j].name)
        }
        for i in 0..<model.vertexCount {
            let s = (0..<model.joints.count).reduce(Float(0)) { $0 + model.skinWeights[i * model.joints.count + $1] }
            XCTAssertEqual(s, 1, accuracy: 1e-5)
        }
    }

    // MARK: Mouth interior

    /// What every vertex is inside the mouth (bag ring, tooth, tongue), from the generator's topology.
    static let mouth: (parts: [HeadMouth.MouthPart?], lipLoop: [Int]) = {
        var topo = HeadTopology.build(layout: HeadLayout(controls: EmbeddedHeadControl.means))
        HeadParts.appendTopology(&topo)
        return (topo.kinds.map(\.mouthPart), topo.mouthIndex[0])
    }()

    /// Does segment p→q cross triangle (a, b, c)? (Möller–Trumbore, in Double.)
    static func crosses(_ p: SIMD3<Double>, _ q: SIMD3<Double>, _ a: SIMD3<Double>, _ b: SIMD3<Double>, _ c: SIMD3<Double>) -> Bool {
        func cross(_ u: SIMD3<Double>, _ v: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
        }
        let d = q - p, e1 = b - a, e2 = c - a
        let h = cross(d, e2), det = (e1 * h).sum()
        if abs(det) < 1e-18 { return false }
        let s = p - a, u = (s * h).sum() / det
        if u < 0 || u > 1 { return false }
        let k = cross(s, e1), v = (d * k).sum() / det
        if v < 0 || u + v > 1 { return false }
        let t = (e2 * k).sum() / det
        return t > 0 && t < 1
    }

    /// Teeth and tongue never poke through anything: for the neutral, every expression at weight 1
    /// and tongueOut with jawOpen 0.5, (a) no edge of a tooth or the tongue crosses a triangle of
    /// the skin, lips or mouth bag, (b) no tongue edge crosses a tooth, and (c) every tooth and
    /// tongue vertex lies inside the mouth cavity — the bag closed by a cap over the lip contact
    /// line (ray parity). tongueOut pushes the tongue out between the parted lips, so (c) skips the
    /// tongue there; alone (teeth closed, as in ARKit) it also skips (b).
    func testTeethAndTongueStayInsideTheMouth() {
        let (parts, lipLoop) = Self.mouth
        XCTAssertEqual(parts.count, model.vertexCount)
        func isTooth(_ i: Int) -> Bool {
            switch parts[i] { case .upperTeeth?, .lowerTeeth?: return true; default: return false }
        }
        func isTongue(_ i: Int) -> Bool { if case .tongue? = parts[i] { return true }; return false }
        func isBag(_ i: Int) -> Bool { if case .bag? = parts[i] { return true }; return false }
        let tris = (0..<model.triangleCount).map { t in (0..<3).map { Int(model.triangles[3 * t + $0]) } }
        let inner = (0..<model.vertexCount).filter { isTooth($0) || isTongue($0) }
        XCTAssertGreaterThan(inner.count, 300, "teeth and tongue")
        var edgeSet = Set<SIMD2<Int>>()
        for t in tris where isTooth(t[0]) || isTongue(t[0]) {
            for e in 0..<3 { edgeSet.insert(SIMD2(min(t[e], t[(e + 1) % 3]), max(t[e], t[(e + 1) % 3]))) }
        }
        let edges = edgeSet.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        let teethTris = tris.filter { isTooth($0[0]) }
        let bagTris = tris.filter { $0.contains(where: isBag) }
        let k = model.expressionCount
        var cases: [(String, [String: Float])] = [("neutral", [:]), ("tongueOut + jawOpen 0.5", ["tongueOut": 1, "jawOpen": 0.5])]
        cases += model.expressionNames.map { ($0, [$0: 1]) }
        for (label, weights) in cases {
            var v = model.template
            for (name, w) in weights {
                let c = model.expressionNames.firstIndex(of: name)!
                for r in 0..<v.count { v[r] += w * model.expressionBasis[r * k + c] }
            }
            let P = (0..<model.vertexCount).map { SIMD3<Double>(Double(v[3 * $0]), Double(v[3 * $0 + 1]), Double(v[3 * $0 + 2])) }
            var lo = SIMD3<Double>(repeating: .infinity), hi = SIMD3<Double>(repeating: -.infinity)
            for i in inner { lo = pointwiseMin(lo, P[i]); hi = pointwiseMax(hi, P[i]) }
            let near = tris.filter { t in
                !(isTooth(t[0]) || isTongue(t[0])) && t.contains { P[$0].x > lo.x - 0.005 && P[$0].x < hi.x + 0.005 && P[$0].y > lo.y - 0.005 && P[$0].y < hi.y + 0.005 && P[$0].z > lo.z - 0.005 && P[$0].z < hi.z + 0.005 }
            }
            var throughSkin = 0, throughTeeth = 0
            for e in edges {
                let p = P[e.x], q = P[e.y]
                throughSkin += near.filter { Self.crosses(p, q, P[$0[0]], P[$0[1]], P[$0[2]]) }.count
                if label != "tongueOut", isTongue(e.x) {
                    throughTeeth += teethTris.filter { Self.crosses(p, q, P[$0[0]], P[$0[1]], P[$0[2]]) }.count
                }
            }
            XCTAssertEqual(throughSkin, 0, "\(label): teeth/tongue edges cross skin or bag \(throughSkin) times")
            XCTAssertEqual(throughTeeth, 0, "\(label): the tongue crosses the teeth \(throughTeeth) times")
            // Cavity: bag triangles plus a fan over the lip contact loop.
            let centroid = lipLoop.reduce(SIMD3<Double>.zero) { $0 + P[$1] } / Double(lipLoop.count)
            var pocket = bagTris.map { (P[$0[0]], P[$0[1]], P[$0[2]]) }
            for m in 0..<lipLoop.count { pocket.append((P[lipLoop[m]], P[lipLoop[(m + 1) % lipLoop.count]], centroid)) }
            let ray = SIMD3<Double>(0.013, 0.021, 1) * 0.5
            let outside = inner.filter { i in
                if label.hasPrefix("tongueOut"), isTongue(i) { return false }
                return pocket.filter { Self.crosses(P[i], P[i] + ray, $0.0, $0.1, $0.2) }.count % 2 == 0
            }
            XCTAssert(outside.isEmpty, "\(label): \(outside.count) teeth/tongue vertices outside the mouth, e.g. \(outside.prefix(5))")
        }
    }
}
