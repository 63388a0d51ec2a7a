import Foundation

/// The parts of the embedded head that are not skin chart: the mouth bag behind the lips (its
/// shape, the teeth and the tongue are in `HeadMouth`), the two
/// eyeballs (separate open spheres behind the lid margins, so lids close over them) and the two
/// simplified ears (closed shells: a front face with concha, antihelix, scapha and helix rim, a back
/// face sloping into the head).
enum HeadParts {
    // MARK: Mouth interior
    /// Any `.bag` vertex (bag ring k ≥ 0, teeth, tongue): see `HeadMouth`.
    static func bagPoint(_ L: HeadLayout, ring k: Int, m: Int, lip: SIMD3<Float>) -> SIMD3<Float> {
        HeadMouth.point(L, ring: k + 1, m: m, lip: lip)
    }

    // MARK: Eyeballs
    /// Polar angles (from the gaze axis) of the eyeball rings; 0.52 rad is the limbus.
    static let eyeAlpha: [Float] = [0.14, 0.28, 0.40, 0.50, 0.56, 0.66, 0.82, 1.02, 1.26, 1.52, 1.80, 2.05]
    static let eyeLon = 20
    static var eyeballVertexCount: Int { 1 + eyeAlpha.count * eyeLon }

    /// Corneal bulge over the iris (metres): the cornea has a smaller radius than the sclera.
    static func corneaBulge(_ alpha: Float) -> Float {
        let t = max(1 - (alpha / 0.60) * (alpha / 0.60), 0)
        return 0.0012 * t * t
    }

    static func eyeballPoint(_ L: HeadLayout, side: Float, index: Int) -> SIMD3<Float> {
        var c = L.eyeballCenter
        c.x *= side
        let r = L.eyeballRadius
        if index == 0 { return c + SIMD3(0, 0, r + corneaBulge(0)) }
        let i = (index - 1) / eyeLon, j = (index - 1) % eyeLon
        let a = eyeAlpha[i], b = 2 * Float.pi * Float(j) / Float(eyeLon)
        let rr = r + corneaBulge(a)
        return c + rr * SIMD3(sin(a) * cos(b), sin(a) * sin(b), cos(a))
    }

    /// Polar angle of an eyeball vertex from the gaze axis (for iris/pupil/sclera shading).
    static func eyeballAlpha(index: Int) -> Float { index == 0 ? 0 : eyeAlpha[(index - 1) / eyeLon] }

    // MARK: Ears
    static let earT = 24
    /// Front-face rings (fraction of the outline radius) and their relief (metres, outward).
    static let earFrontR: [Float] = [0.22, 0.42, 0.56, 0.68, 0.80, 0.90, 0.97, 1.0]
    static let earFrontH: [Float] = [-0.0062, -0.0050, -0.0022, 0.0012, -0.0004, 0.0006, 0.0022, 0.0008]
    static let earBackR: [Float] = [0.96, 0.84, 0.62, 0.34]
    static let earBackH: [Float] = [-0.0030, -0.0075, -0.0125, -0.0160]
    static var earVertexCount: Int { 2 + earT * (earFrontR.count + earBackR.count) }

    /// Outline radius of the ear in its own plane at angle t (0 = back, π/2 = up), as (du, dv) scale.
    static func earOutline(_ t: Float, length: Float, width: Float) -> SIMD2<Float> {
        let up = sin(t)
        // The upper helix is broad, the lobule narrower and rounder.
        let w = 0.5 * width * (up > 0 ? 1.0 : 0.78 + 0.22 * (1 + up))
        return SIMD2(w * cos(t), 0.5 * length * up)
    }

    /// Ear vertex in the ear's frame (u back, v up, w lateral) before placement.
    static func earLocal(_ L: HeadLayout, index: Int) -> SIMD3<Float> {
        let rings = earFrontR.count
        let centerFront = SIMD3<Float>(0, 0, -0.0075)
        if index == 0 { return centerFront }
        if index == earVertexCount - 1 { return SIMD3(0, 0, -0.020) }
        let k = (index - 1) / earT, t = 2 * Float.pi * Float((index - 1) % earT) / Float(earT)
        let o = earOutline(t, length: L.earLength, width: L.earWidth)
        let up = sin(t)
        if k < rings {
            let r = earFrontR[k]
            var h = earFrontH[k]
            // The lobule (lower part) is a flat fleshy plate without the concha bowl.
            let lobe = HeadShape.smoothstep(-0.3, -0.8, up)
            h = h * (1 - lobe) + (k == rings - 1 ? 0.0005 : 0.0015) * lobe
            // The concha is deepest in front-low; the tragus side (t ≈ π) is shallow.
            if k <= 1 { h *= 0.7 + 0.3 * cos(t) }
            return SIMD3(o.x * r, o.y * r, h)
        }
        let b = k - rings
        return SIMD3(o.x * earBackR[b], o.y * earBackR[b], earBackH[b])
    }

    /// Places an ear vertex on the side of the head: the ear plane stands off the head by the
    /// auriculocephalic angle and leans back 12°.
    static func earPoint(_ L: HeadLayout, side: Float, index: Int) -> SIMD3<Float> {
        var q = earLocal(L, index: index)
        let centerU = 0.45 * L.earWidth
        q.x += centerU
        // Stand-off grows towards the back of the ear.
        let protrude = sin(L.earProtrusion) * max(q.x, 0)
        let lean: Float = 12 * .pi / 180
        let u = q.x * cos(lean) + q.y * sin(lean) * 0.0
        let v = q.y * cos(lean) + q.x * sin(lean) * 0.3
        let w = q.z + protrude
        let rootX = L.skullHalfWidth - 0.0005
        let x = rootX + w * cos(L.earProtrusion * 0.3)
        let y = L.earRootY + 0.006 + v - q.x * sin(lean)
        let z: Float = 0.004 - u
        return SIMD3(side * x, y, z)
    }

    // MARK: Topology of the parts

    /// Appends bag, eyeballs and ears to the skin topology (kinds, triangles, UVs).
    static func appendTopology(_ topo: inout HeadTopology) {
        appendBag(&topo)
        HeadMouth.appendTeeth(&topo, upper: true)
        HeadMouth.appendTeeth(&topo, upper: false)
        HeadMouth.appendTongue(&topo)
        for side in 0..<2 { appendSocket(&topo, side: side) }
        for side in 0..<2 { appendEyeball(&topo, side: side) }
        for side in 0..<2 { appendEar(&topo, side: side) }
    }

    static func addTri(_ topo: inout HeadTopology, _ v: (Int, Int, Int), _ uv: (Int, Int, Int), flip: Bool) {
        if flip {
            topo.triangles.append(SIMD3(Int32(v.0), Int32(v.2), Int32(v.1)))
            topo.uvTriangles.append(SIMD3(Int32(uv.0), Int32(uv.2), Int32(uv.1)))
        } else {
            topo.triangles.append(SIMD3(Int32(v.0), Int32(v.1), Int32(v.2)))
            topo.uvTriangles.append(SIMD3(Int32(uv.0), Int32(uv.1), Int32(uv.2)))
        }
    }

    /// The bag continues the lip surface inwards: loops ring0, bag1 … bag5, then the back centre.
    private static func appendBag(_ topo: inout HeadTopology) {
        let M = HeadRings.mouthCount
        let lip0 = topo.mouthIndex[0], lip1 = topo.mouthIndex[1]
        // Combinatorial orientation of the lip loops: is (inner m, inner m+1, outer m+1) CCW?
        let ref = topo.chart
        let a = ref[lip0[0]], b = ref[lip0[1]], c = ref[lip1[1]]
        let lipCCW = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) > 0
        var loops: [[Int]] = [lip0]
        var uvLoops: [[Int]] = []
        // UVs: bag in the strip u ∈ [0.8, 1], v ∈ [0, 0.095], loops as concentric ellipses.
        let center = SIMD2<Float>(0.9, 0.0475)
        func uvRing(_ radius: Float) -> [Int] {
            (0..<M).map { m in
                let th = 2 * Float.pi * Float(m) / Float(M)
                topo.uvs.append(center + SIMD2(0.095 * radius * cos(th), 0.045 * radius * sin(th)))
                return topo.uvs.count - 1
            }
        }
        uvLoops.append(uvRing(1.0))
        for k in 0..<HeadMouth.bagDepth.count {
            loops.append((0..<M).map { m in topo.kinds.append(.bag(ring: k + 1, m: m)); topo.chart.append(.zero); return topo.kinds.count - 1 })
            uvLoops.append(uvRing(1 - 0.18 * Float(k + 1)))
        }
        let back = topo.kinds.count
        topo.kinds.append(.bag(ring: HeadMouth.bagDepth.count + 1, m: 0)); topo.chart.append(.zero)
        topo.uvs.append(center); let backUV = topo.uvs.count - 1
        // Deeper loops are "inner": quad (inner m, inner m+1, outer m+1, outer m) with inner = deeper.
        for k in 0..<HeadMouth.bagDepth.count {
            let inner = loops[k + 1], outer = loops[k], iu = uvLoops[k + 1], ou = uvLoops[k]
            for m in 0..<M {
                let n = (m + 1) % M
                addTri(&topo, (inner[m], inner[n], outer[n]), (iu[m], iu[n], ou[n]), flip: !lipCCW)
                addTri(&topo, (inner[m], outer[n], outer[m]), (iu[m], ou[n], ou[m]), flip: !lipCCW)
            }
        }
        let last = loops.last!, lu = uvLoops.last!
        for m in 0..<M {
            let n = (m + 1) % M
            addTri(&topo, (back, last[n], last[m]), (backUV, lu[n], lu[m]), flip: !lipCCW)
        }
    }

    /// Socket point behind lid-margin vertex `margin`: pulled towards the eyeball centre, so it
    /// hides behind the eyeball except at the canthi where it closes the gap.
    static func socketPoint(_ L: HeadLayout, side: Float, margin: SIMD3<Float>?) -> SIMD3<Float> {
        var c = L.eyeballCenter
        c.x *= side
        guard let margin else { return c + SIMD3(0, 0, 0.002) }
        return c + (margin - c) * 0.72
    }

    /// One loop of 28 socket vertices inside the lid margin, fanned to a centre.
    private static func appendSocket(_ topo: inout HeadTopology, side: Int) {
        let M = HeadRings.eyeCount
        let margin = topo.eyeIndex[side][0], ring1 = topo.eyeIndex[side][1]
        let ref = topo.chart
        let a = ref[margin[0]], b = ref[margin[1]], c = ref[ring1[1]]
        let loopCCW = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) > 0
        let center = SIMD2<Float>(side == 0 ? 0.02 : 0.22, 0.025)
        func uvRing(_ radius: Float) -> [Int] {
            (0..<M).map { m in
                let th = 2 * Float.pi * Float(m) / Float(M) * (side == 0 ? 1 : -1)
                topo.uvs.append(center + SIMD2(0.018 * radius * cos(th), 0.018 * radius * sin(th)))
                return topo.uvs.count - 1
            }
        }
        let marginUV = uvRing(1), socketUV = uvRing(0.6)
        let socket = (0..<M).map { m -> Int in
            topo.kinds.append(.socket(side: side, m: m)); topo.chart.append(.zero); return topo.kinds.count - 1
        }
        let mid = topo.kinds.count
        topo.kinds.append(.socket(side: side, m: M)); topo.chart.append(.zero)
        topo.uvs.append(center); let midUV = topo.uvs.count - 1
        for m in 0..<M {
            let n = (m + 1) % M
            addTri(&topo, (socket[m], socket[n], margin[n]), (socketUV[m], socketUV[n], marginUV[n]), flip: !loopCCW)
            addTri(&topo, (socket[m], margin[n], margin[m]), (socketUV[m], marginUV[n], marginUV[m]), flip: !loopCCW)
            addTri(&topo, (mid, socket[n], socket[m]), (midUV, socketUV[n], socketUV[m]), flip: !loopCCW)
        }
    }

    private static func appendEyeball(_ topo: inout HeadTopology, side: Int) {
        let base = topo.kinds.count
        let center = SIMD2<Float>(side == 0 ? 0.1 : 0.3, 0.0475)
        let uvBase = topo.uvs.count
        for index in 0..<eyeballVertexCount {
            topo.kinds.append(.eyeball(side: side, index: index)); topo.chart.append(.zero)
            let a = eyeballAlpha(index: index) / eyeAlpha.last!
            let b = index == 0 ? 0 : 2 * Float.pi * Float((index - 1) % eyeLon) / Float(eyeLon)
            topo.uvs.append(center + 0.045 * a * SIMD2(cos(b), sin(b)))
        }
        // In the (α cos β, α sin β) disk, CCW is outward seen from the front (both eyes share it).
        let flip = false
        func v(_ i: Int, _ j: Int) -> Int { 1 + i * eyeLon + (j % eyeLon) }
        for j in 0..<eyeLon {
            addTri(&topo, (base, base + v(0, j), base + v(0, j + 1)), (uvBase, uvBase + v(0, j), uvBase + v(0, j + 1)), flip: flip)
        }
        for i in 0..<(eyeAlpha.count - 1) {
            for j in 0..<eyeLon {
                let a = v(i, j), b = v(i, j + 1), c = v(i + 1, j + 1), d = v(i + 1, j)
                addTri(&topo, (base + a, base + d, base + c), (uvBase + a, uvBase + d, uvBase + c), flip: flip)
                addTri(&topo, (base + a, base + c, base + b), (uvBase + a, uvBase + c, uvBase + b), flip: flip)
            }
        }
    }

    private static func appendEar(_ topo: inout HeadTopology, side: Int) {
        let base = topo.kinds.count
        let rings = earFrontR.count, backRings = earBackR.count
        // UV: front face and back face side by side in the strip.
        let u0: Float = side == 0 ? 0.4 : 0.6
        let frontUV = SIMD2<Float>(u0 + 0.05, 0.0475), backUV = SIMD2<Float>(u0 + 0.15, 0.0475)
        let uvBase = topo.uvs.count
        let dir: Float = side == 0 ? 1 : -1
        for index in 0..<earVertexCount {
            topo.kinds.append(.ear(side: side, index: index)); topo.chart.append(.zero)
            if index == 0 { topo.uvs.append(frontUV); continue }
            if index == earVertexCount - 1 { topo.uvs.append(backUV); continue }
            let k = (index - 1) / earT, t = 2 * Float.pi * Float((index - 1) % earT) / Float(earT)
            let r = k < rings ? earFrontR[k] : earBackR[k - rings]
            let c = k < rings ? frontUV : backUV
            let mirror: Float = k < rings ? dir : -dir   // back face seen from behind
            topo.uvs.append(c + SIMD2(mirror * 0.045 * r * cos(t), 0.045 * r * sin(t)))
        }
        // Extra UV copies of the rim for the back face (the rim is the seam between the faces).
        let rimUV = (0..<earT).map { j -> Int in
            let t = 2 * Float.pi * Float(j) / Float(earT)
            topo.uvs.append(backUV + SIMD2(-dir * 0.045 * cos(t), 0.045 * sin(t)))
            return topo.uvs.count - 1
        }
        func idx(_ k: Int, _ j: Int) -> Int { 1 + k * earT + (j % earT) }
        // Front face: CCW in (u, v) seen from +w; the left ear's u runs along −z, so for it +w is
        // outward; the right ear is mirrored.
        let flipFront = side == 1
        for j in 0..<earT {
            addTri(&topo, (base, base + idx(0, j), base + idx(0, j + 1)), (uvBase, uvBase + idx(0, j), uvBase + idx(0, j + 1)), flip: flipFront)
        }
        for k in 0..<(rings - 1) {
            for j in 0..<earT {
                let a = idx(k, j), b = idx(k, j + 1), c = idx(k + 1, j + 1), d = idx(k + 1, j)
                addTri(&topo, (base + a, base + d, base + c), (uvBase + a, uvBase + d, uvBase + c), flip: flipFront)
                addTri(&topo, (base + a, base + c, base + b), (uvBase + a, uvBase + c, uvBase + b), flip: flipFront)
            }
        }
        // Back face: rim → back rings → back centre, wound the other way.
        let flipBack = !flipFront
        for k in 0..<backRings {
            let outerRing = k == 0 ? rings - 1 : rings + k - 1
            let innerRing = rings + k
            for j in 0..<earT {
                let a = idx(innerRing, j), b = idx(innerRing, j + 1), c = idx(outerRing, j + 1), d = idx(outerRing, j)
                let cu = k == 0 ? rimUV[(j + 1) % earT] : uvBase + c
                let du = k == 0 ? rimUV[j] : uvBase + d
                addTri(&topo, (base + a, base + d, base + c), (uvBase + a, du, cu), flip: flipBack)
                addTri(&topo, (base + a, base + c, base + b), (uvBase + a, cu, uvBase + b), flip: flipBack)
            }
        }
        let backC = base + earVertexCount - 1
        let lastRing = rings + backRings - 1
        for j in 0..<earT {
            addTri(&topo, (backC, base + idx(lastRing, j), base + idx(lastRing, j + 1)),
                   (uvBase + earVertexCount - 1, uvBase + idx(lastRing, j), uvBase + idx(lastRing, j + 1)), flip: flipBack)
        }
    }
}
