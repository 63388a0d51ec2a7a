import Foundation

/// The inside of the mouth: the mouth bag (oral cavity) behind the lips, upper and lower teeth
/// with a gum band along parabolic dental arches, and the tongue on the floor of the bag.
///
/// Teeth and tongue vertices are `.bag(ring:m:)` vertices with ring ≥ `partRingBase` (decoded by
/// `MouthPart`): the placement code outside the mouth (`HeadGeometry`) already hands every bag
/// vertex to `HeadParts.bagPoint`, so the new parts follow identity changes (stomion, lip
/// projection, mouth width) without a kind of their own.
///
/// Mean head: the upper incisors' labial surface sits ≈ 11.5 mm behind the lip front (≈ 7 mm
/// behind the lip contact line), their edges 1.2 mm below the stomion. Teeth are closed tubes
/// along their arch (cross-section: gum, neck, edge on the labial side and back on the lingual
/// side) capped at the distal ends; the tongue is a closed shell with poles at its tip and root.
enum HeadMouth {
    /// What a `.bag` vertex is.
    enum MouthPart: Equatable {
        case bag(ring: Int, m: Int)
        case upperTeeth(Int), lowerTeeth(Int), tongue(Int)
    }

    static let partRingBase = 1000

    /// The vertex kind of part `part` (0 upper teeth, 1 lower teeth, 2 tongue), vertex `index`.
    static func kind(part: Int, index: Int) -> HeadVertexKind {
        let M = HeadRings.mouthCount
        return .bag(ring: partRingBase * (part + 1) + index / M, m: index % M)
    }

    static func part(ring: Int, m: Int) -> MouthPart {
        if ring < partRingBase { return .bag(ring: ring, m: m) }
        let index = (ring % partRingBase) * HeadRings.mouthCount + m
        switch ring / partRingBase {
        case 1: return .upperTeeth(index)
        case 2: return .lowerTeeth(index)
        default: return .tongue(index)
        }
    }

    // MARK: Mouth bag

    /// Per bag ring 1…5: depth behind the lip contact line at the midline, extra depth towards the
    /// corners (the cavity reaches back past the molars), half-width relative to the lip loop, and
    /// the opening above / below the lip line at the midline (metres). Ring 1 hugs the lips so
    /// they can deform freely; rings 2–4 make a cavity tall enough for teeth and gums; ring 5 and
    /// the back centre round it off behind the tongue.
    static let bagDepth: [Float] = [0.0020, 0.0055, 0.0180, 0.0400, 0.0660]
    static let bagRecess: [Float] = [0, 0.0010, 0.0080, 0.0110, -0.0020]
    static let bagWide: [Float] = [0.97, 1.00, 1.12, 1.22, 0.85]
    static let bagUp: [Float] = [0.0025, 0.0125, 0.0150, 0.0140, 0.0100]
    static let bagDown: [Float] = [0.0025, 0.0130, 0.0160, 0.0160, 0.0130]
    static let bagBackDepth: Float = 0.076

    /// Bag ring k (0-based, k = bagDepth.count is the back centre) behind lip-loop vertex m.
    static func bagPoint(_ L: HeadLayout, ring k: Int, m: Int, lip: SIMD3<Float>) -> SIMD3<Float> {
        let S = L.stomionY
        if k == bagDepth.count { return SIMD3(0, S - 0.003, L.mouthZ - bagBackDepth) }
        let theta = 2 * Float.pi * Float(m) / Float(HeadRings.mouthCount)
        let s = sin(theta), c = cos(theta)
        // sign·√|sin θ| keeps the bag open right up to the corners, so lips can slide.
        let open = (s >= 0 ? bagUp[k] : -bagDown[k]) * abs(s).squareRoot()
        let y = S + (lip.y - S) * 0.8 + open
        return SIMD3(lip.x * bagWide[k], y, lip.z - bagDepth[k] - bagRecess[k] * c * c)
    }

    // MARK: Teeth

    /// One tooth (millimetres): mesiodistal width, crown height, labio-lingual thickness at the
    /// neck and at the incisal edge / occlusal table, and how far a cusp tip reaches past the edge.
    struct Tooth {
        var width, crown, neck, edge, cusp: Float
    }

    /// Central incisor → second molar (typical adult crown dimensions, rounded).
    static let upperTeeth: [Tooth] = [
        Tooth(width: 8.6, crown: 9.5, neck: 7.0, edge: 1.2, cusp: 0), Tooth(width: 6.6, crown: 8.0, neck: 6.0, edge: 1.1, cusp: 0),
        Tooth(width: 7.6, crown: 9.5, neck: 8.0, edge: 2.0, cusp: 0.8), Tooth(width: 7.0, crown: 7.5, neck: 9.0, edge: 5.5, cusp: 0),
        Tooth(width: 6.6, crown: 7.0, neck: 9.0, edge: 5.5, cusp: 0), Tooth(width: 10.2, crown: 6.5, neck: 11.0, edge: 7.0, cusp: 0),
        Tooth(width: 9.2, crown: 6.0, neck: 10.5, edge: 6.5, cusp: 0),
    ]
    static let lowerTeeth: [Tooth] = [
        Tooth(width: 5.0, crown: 8.0, neck: 6.0, edge: 1.1, cusp: 0), Tooth(width: 5.5, crown: 8.0, neck: 6.0, edge: 1.1, cusp: 0),
        Tooth(width: 6.8, crown: 9.5, neck: 7.5, edge: 1.8, cusp: 0.6), Tooth(width: 7.0, crown: 7.5, neck: 8.0, edge: 5.0, cusp: 0),
        Tooth(width: 7.2, crown: 7.0, neck: 8.5, edge: 5.5, cusp: 0), Tooth(width: 11.0, crown: 6.5, neck: 10.5, edge: 7.0, cusp: 0),
        Tooth(width: 10.5, crown: 6.0, neck: 10.0, edge: 6.5, cusp: 0),
    ]
    /// How far each lower tooth's edge rises above the occlusal plane (overbite at the front; the
    /// posterior teeth stop just short of their antagonists).
    static let lowerRise: [Float] = [2.0, 1.8, 0.8, -0.6, -0.6, -0.6, -0.6]

    /// Samples per tooth along the arch (contact, ⅓, ⅔ …), sections per sample.
    static let toothSamples = 3
    static let sectionCount = 6
    static var archSamples: Int { 2 * upperTeeth.count * toothSamples + 1 }
    static var teethVertexCount: Int { archSamples * sectionCount + 2 }

    /// A dental arch: the centre line z = front − depth·(x / halfWidth)² from x = −halfWidth to
    /// +halfWidth (second molars' distal ends), the occlusal plane height, and its teeth.
    struct Arch {
        var front, halfWidth, depth, occlusal: Float
        var upper: Bool
        var teeth: [Tooth]

        func center(_ x: Float) -> SIMD3<Float> { SIMD3(x, occlusal, front - depth * (x / halfWidth) * (x / halfWidth)) }

        /// Outward (labial / buccal) horizontal unit normal at x.
        func normal(_ x: Float) -> SIMD3<Float> {
            let n = SIMD3<Float>(2 * depth * x / (halfWidth * halfWidth), 0, 1)
            return n / hlen(n)
        }

        /// x at arc length a (metres, signed) from the midline along the centre line.
        func x(atArc a: Float) -> Float {
            let steps = 256
            var s: Float = 0, prev = center(0)
            for i in 1...steps {
                let x = halfWidth * Float(i) / Float(steps), p = center(x)
                let d = hlen(p - prev)
                if s + d >= abs(a) {
                    let x0 = halfWidth * Float(i - 1) / Float(steps)
                    let xa = x0 + (x - x0) * (abs(a) - s) / d
                    return a < 0 ? -xa : xa
                }
                s += d; prev = p
            }
            return a < 0 ? -halfWidth : halfWidth
        }

        var halfLength: Float {
            var s: Float = 0, prev = center(0)
            for i in 1...256 { let p = center(halfWidth * Float(i) / 256); s += hlen(p - prev); prev = p }
            return s
        }
    }

    static func arch(_ L: HeadLayout, upper: Bool) -> Arch {
        // Upper incisors' labial surface ≈ 11.5 mm behind the lip front, the arch ≈ 52 mm wide
        // over the molars' buccal surfaces; the lower arch sits ≈ 3 mm inside it (overjet).
        let halfMouth = L.mouthHalfWidth - 0.026
        let occlusal = L.stomionY - 0.0012
        if upper {
            return Arch(front: L.mouthZ - 0.0150, halfWidth: 0.0205 + 0.3 * halfMouth, depth: 0.040,
                        occlusal: occlusal, upper: true, teeth: upperTeeth)
        }
        return Arch(front: L.mouthZ - 0.0182, halfWidth: 0.0180 + 0.3 * halfMouth, depth: 0.038,
                    occlusal: occlusal, upper: false, teeth: lowerTeeth)
    }

    /// Sample j of an arch: tooth parameters there (contacts average their two teeth), the
    /// position within the tooth b = sin(πf) (0 at contacts, 1 mid-tooth) and the signed arc length.
    static func archSample(_ A: Arch, _ j: Int) -> (tooth: Tooth, rise: Float, b: Float, arc: Float) {
        let half = archSamples / 2
        let q = abs(j - half)   // samples from the midline
        let k = min(q == 0 ? 0 : (q - 1) / toothSamples, A.teeth.count - 1)
        let f = q == 0 ? 0 : Float((q - 1) % toothSamples + 1) / Float(toothSamples)
        var tooth = A.teeth[k], rise = lowerRise[k]
        if f == 1, k + 1 < A.teeth.count {
            let n = A.teeth[k + 1]
            tooth = Tooth(width: tooth.width, crown: (tooth.crown + n.crown) / 2, neck: (tooth.neck + n.neck) / 2,
                          edge: (tooth.edge + n.edge) / 2, cusp: 0)
            rise = (rise + lowerRise[k + 1]) / 2
        }
        let total = A.teeth.reduce(0) { $0 + $1.width }
        let before = A.teeth[..<k].reduce(0) { $0 + $1.width } + f * A.teeth[k].width
        let arc = A.halfLength * before / total * (j < half ? -1 : 1)
        return (tooth, rise, sin(Float.pi * f), arc)
    }

    /// Cross-section vertex `q` of sample j: 0 gum (labial), 1 neck, 2 edge, 3 edge (lingual),
    /// 4 neck, 5 gum. Heights e grow from the occlusal plane towards the gum (up for the upper
    /// arch, down for the lower), offsets n outward from the centre line.
    static func toothPoint(_ A: Arch, sample j: Int, section q: Int) -> SIMD3<Float> {
        let (t, rise, b, arc) = archSample(A, j)
        let mm: Float = 0.001
        let notch: Float = t.edge < 3 ? 0.7 : 0.4   // embrasures between the crowns
        let edgeE = (notch * (1 - b) * (1 - b) - t.cusp * b) * mm
        let papilla: Float = 1.6 * (1 - b)          // the gum rises between the teeth
        let neckE = (t.crown - papilla) * mm, gumE = (t.crown + 2.2) * mm
        let neckN = 0.5 * t.neck * (0.86 + 0.14 * b) * mm, edgeN = 0.5 * t.edge * (0.8 + 0.2 * b) * mm
        let (n, e): (Float, Float)
        switch q {
        case 0: (n, e) = (neckN + 0.0009, gumE)
        case 1: (n, e) = (neckN, neckE)
        case 2: (n, e) = (edgeN, edgeE)
        case 3: (n, e) = (-edgeN, edgeE)
        case 4: (n, e) = (-neckN, neckE)
        default: (n, e) = (-neckN - 0.0009, gumE)
        }
        let x = A.x(atArc: arc)
        var p = A.center(x) + n * A.normal(x)
        p.y += A.upper ? e : rise * mm - e
        return p
    }

    /// Distal cap centre of an arch (side +1 left, −1 right): the end section's centroid pushed
    /// 1.5 mm further along the arch.
    static func toothCap(_ A: Arch, side: Float) -> SIMD3<Float> {
        let j = side > 0 ? archSamples - 1 : 0
        let ring = (0..<sectionCount).map { toothPoint(A, sample: j, section: $0) }
        let c = ring.reduce(SIMD3<Float>.zero, +) / Float(sectionCount)
        let x = A.x(atArc: side * A.halfLength), x0 = A.x(atArc: side * (A.halfLength - 0.0015))
        return c + (A.center(x) - A.center(x0))
    }

    static func teethPoint(_ L: HeadLayout, upper: Bool, index: Int) -> SIMD3<Float> {
        let A = arch(L, upper: upper)
        let body = archSamples * sectionCount
        if index >= body { return toothCap(A, side: index == body ? -1 : 1) }
        return toothPoint(A, sample: index / sectionCount, section: index % sectionCount)
    }

    /// Gum vertices (cross-section 0 and 5) get the mouth-interior region, crowns `.teeth`.
    static func isGum(index: Int) -> Bool {
        index < archSamples * sectionCount && [0, sectionCount - 1].contains(index % sectionCount)
    }

    // MARK: Tongue

    /// Polar angles of the tongue rings from the tip, and the number of vertices around.
    static let tongueAlpha: [Float] = [0.30, 0.62, 0.95, 1.28, 1.62, 1.98, 2.36, 2.75]
    static let tongueLon = 16
    static var tongueVertexCount: Int { 2 + tongueAlpha.count * tongueLon }
    static let tongueLength: Float = 0.040

    /// Half-width the tongue may take at depth z: inside the lower arch's lingual gum line, less
    /// 1 mm (at rest the tongue fills the arch without touching the teeth).
    static func tongueRoom(_ L: HeadLayout, z: Float) -> Float {
        let A = arch(L, upper: false)
        let x = A.halfWidth * (max(A.front - z, 0) / A.depth).squareRoot()
        guard x < A.halfWidth else { return 0.0125 }
        let n = A.normal(x)
        return max(x - (0.0050 + 0.0009 + 0.0010) * n.x - 0.0010, 0.0008)
    }

    /// Tongue vertex: 0 = tip, last = root; ring i, angle β around the long axis (β = 0 at +x,
    /// π/2 on the dorsum). Profile: an ellipsoid in length, widths from `tongueRoom`, a flat dorsum
    /// ≈ 3 mm below the stomion with a shallow median groove, the floor 12.5 mm below it.
    /// Height of the tongue's long axis (midway between dorsum and underside).
    static func tongueMidY(_ L: HeadLayout) -> Float { L.stomionY - 0.0074 }
    /// Half the tongue's thickness at its fullest (dorsum 2.8 mm below the stomion).
    static let tongueHalfHeight: Float = 0.0046

    static func tonguePoint(_ L: HeadLayout, index: Int) -> SIMD3<Float> {
        let S = L.stomionY
        let lower = arch(L, upper: false)
        let tipZ = lower.front - 0.5 * lowerTeeth[0].neck * 0.001 - 0.0012
        let mid = tongueMidY(L), top = mid + tongueHalfHeight, bottom = mid - tongueHalfHeight
        if index == 0 { return SIMD3(0, mid, tipZ) }
        if index == tongueVertexCount - 1 { return SIMD3(0, mid, tipZ - tongueLength) }
        let i = (index - 1) / tongueLon, j = (index - 1) % tongueLon
        let a = tongueAlpha[i], beta = 2 * Float.pi * Float(j) / Float(tongueLon)
        let along = (1 - cos(a)) / 2
        let z = tipZ - tongueLength * along
        let r = pow(sin(a), 0.6)
        let w = min(tongueRoom(L, z: z), 0.0125) * min(r * 1.4, 1)
        let cb = cos(beta), sb = sin(beta)
        let x = w * (cb >= 0 ? 1 : -1) * pow(abs(cb), 0.6)
        var y = mid + (sb >= 0 ? top - mid : mid - bottom) * r * (sb >= 0 ? 1 : -1) * pow(abs(sb), 0.7)
        if sb > 0 { y -= 0.0008 * sb * exp(-(x / 0.0025) * (x / 0.0025)) * min(3 * along, 1) }
        return SIMD3(x, y, z)
    }

    /// Position along the tongue of vertex `index` (0 at the tip, 1 at the root).
    static func tongueAlong(index: Int) -> Float {
        if index == 0 { return 0 }
        if index == tongueVertexCount - 1 { return 1 }
        return (1 - cos(tongueAlpha[(index - 1) / tongueLon])) / 2
    }

    // MARK: Placement (called by `HeadParts.bagPoint`)

    static func point(_ L: HeadLayout, ring: Int, m: Int, lip: SIMD3<Float>) -> SIMD3<Float> {
        switch part(ring: ring, m: m) {
        case .bag(let k, let m): return bagPoint(L, ring: k - 1, m: m, lip: lip)
        case .upperTeeth(let i): return teethPoint(L, upper: true, index: i)
        case .lowerTeeth(let i): return teethPoint(L, upper: false, index: i)
        case .tongue(let i): return tonguePoint(L, index: i)
        }
    }
}

// MARK: Topology of teeth and tongue

extension HeadMouth {
    /// Adds a part's triangles with their UV triangles; if the chart came out clockwise (UV area
    /// < 0), mirrors the chart's u within [u0, u1] so every UV triangle is counter-clockwise.
    private static func addChart(_ topo: inout HeadTopology, _ tris: [((Int, Int, Int), (Int, Int, Int))], uvRange: Range<Int>,
                                 u0: Float, u1: Float) {
        let (_, w) = tris[0]
        let a = topo.uvs[w.0], b = topo.uvs[w.1], c = topo.uvs[w.2]
        if (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) < 0 {
            for i in uvRange { topo.uvs[i].x = u0 + u1 - topo.uvs[i].x }
        }
        for (v, uv) in tris { HeadParts.addTri(&topo, v, uv, flip: false) }
    }

    /// One dental arch: a closed tube (`sectionCount` vertices around, `archSamples` along the
    /// arch) with a fan cap at each distal end. UVs: the tube in a 0.051 × 0.090 strip (upper at
    /// u = 0.147, lower at u = 0.347), the caps as small hexagons at u < 0.05.
    static func appendTeeth(_ topo: inout HeadTopology, upper: Bool) {
        let part = upper ? 0 : 1
        let base = topo.kinds.count
        let J = archSamples, Q = sectionCount
        for i in 0..<teethVertexCount { topo.kinds.append(kind(part: part, index: i)); topo.chart.append(.zero) }
        let u0: Float = upper ? 0.147 : 0.347, u1 = u0 + 0.051
        let uvBase = topo.uvs.count
        for j in 0..<J { for q in 0...Q {
            topo.uvs.append(SIMD2(u0 + (u1 - u0) * Float(q) / Float(Q), 0.003 + 0.090 * Float(j) / Float(J - 1)))
        } }
        func uv(_ j: Int, _ q: Int) -> Int { uvBase + j * (Q + 1) + q }
        func v(_ j: Int, _ q: Int) -> Int { base + j * Q + q % Q }
        // The upper section runs down the labial face (neck → edge) while j runs along +x at the
        // front, so (j, q) → (j + 1, q) → (j + 1, q + 1) faces inwards: reverse it; the lower
        // arch is its mirror image.
        var tris: [((Int, Int, Int), (Int, Int, Int))] = []
        for j in 0..<(J - 1) { for q in 0..<Q {
            let a = (v(j, q), v(j + 1, q), v(j + 1, q + 1)), b = (v(j, q), v(j + 1, q + 1), v(j, q + 1))
            let ua = (uv(j, q), uv(j + 1, q), uv(j + 1, q + 1)), ub = (uv(j, q), uv(j + 1, q + 1), uv(j, q + 1))
            if upper {
                tris.append(((a.0, a.2, a.1), (ua.0, ua.2, ua.1))); tris.append(((b.0, b.2, b.1), (ub.0, ub.2, ub.1)))
            } else {
                tris.append((a, ua)); tris.append((b, ub))
            }
        } }
        addChart(&topo, tris, uvRange: uvBase..<topo.uvs.count, u0: u0, u1: u1)
        // Caps: the right end (j = 0) and the left end (j = J − 1).
        for (end, j) in [(0, 0), (1, J - 1)] {
            let center = SIMD2<Float>(0.012 + 0.024 * Float(end), upper ? 0.058 : 0.082)
            let capBase = topo.uvs.count
            for q in 0..<Q {
                let th = 2 * Float.pi * Float(q) / Float(Q)
                topo.uvs.append(center + 0.009 * SIMD2(cos(th), sin(th)))
            }
            topo.uvs.append(center)
            let apex = base + J * Q + end
            var capTris: [((Int, Int, Int), (Int, Int, Int))] = []
            for q in 0..<Q {
                let n = (q + 1) % Q
                // Seen from outside the distal end the section turns the other way than at j = 0.
                let forward = (end == 0) != upper
                capTris.append(forward ? ((apex, v(j, q), v(j, n)), (capBase + Q, capBase + q, capBase + n))
                                       : ((apex, v(j, n), v(j, q)), (capBase + Q, capBase + n, capBase + q)))
            }
            addChart(&topo, capTris, uvRange: capBase..<topo.uvs.count, u0: center.x - 0.01, u1: center.x + 0.01)
        }
    }

    /// The tongue: rings of `tongueLon` vertices between a tip and a root pole. UVs: a grid in
    /// [0.202, 0.253] × [0.049, 0.092] with one apex per pole triangle.
    static func appendTongue(_ topo: inout HeadTopology) {
        let base = topo.kinds.count
        let R = tongueAlpha.count, B = tongueLon
        for i in 0..<tongueVertexCount { topo.kinds.append(kind(part: 2, index: i)); topo.chart.append(.zero) }
        let u0: Float = 0.202, u1: Float = 0.253
        let uvBase = topo.uvs.count
        for i in 0..<R { for j in 0...B {
            topo.uvs.append(SIMD2(u0 + (u1 - u0) * Float(j) / Float(B), 0.049 + 0.043 * Float(i) / Float(R - 1)))
        } }
        func uv(_ i: Int, _ j: Int) -> Int { uvBase + i * (B + 1) + j }
        func v(_ i: Int, _ j: Int) -> Int { base + 1 + i * B + j % B }
        var tris: [((Int, Int, Int), (Int, Int, Int))] = []
        for i in 0..<(R - 1) { for j in 0..<B {
            tris.append(((v(i, j), v(i + 1, j), v(i + 1, j + 1)), (uv(i, j), uv(i + 1, j), uv(i + 1, j + 1))))
            tris.append(((v(i, j), v(i + 1, j + 1), v(i, j + 1)), (uv(i, j), uv(i + 1, j + 1), uv(i, j + 1))))
        } }
        // Pole fans with their own apex UVs just outside the grid.
        for j in 0..<B {
            let uc = u0 + (u1 - u0) * (Float(j) + 0.5) / Float(B)
            topo.uvs.append(SIMD2(uc, 0.047))
            tris.append(((base, v(0, j), v(0, j + 1)), (topo.uvs.count - 1, uv(0, j), uv(0, j + 1))))
            topo.uvs.append(SIMD2(uc, 0.094))
            tris.append(((base + tongueVertexCount - 1, v(R - 1, j + 1), v(R - 1, j)), (topo.uvs.count - 1, uv(R - 1, j + 1), uv(R - 1, j))))
        }
        addChart(&topo, tris, uvRange: uvBase..<topo.uvs.count, u0: u0, u1: u1)
    }
}
