import Foundation

/// The 52 ARKit blendshapes of the embedded head, each a displacement field on the neutral mean
/// head at weight 1.
///
/// Conventions: "Left" is the subject's left (+x), as in ARKit. Displacements are authored from
/// the loop structure (lids rotate about the eyeball centre, lips move by loop and angle) and from
/// smooth bumps for skin regions. `jawOpen` = LBS displacement of the jaw joint rotated by
/// `HeadRig.jawOpenAngle` about +x (the same skinning weights the model exports) **plus** a
/// corrective (lip stretch and cheek hollowing), so it works as a plain glTF morph target; a
/// pipeline that drives the jaw joint instead should not also apply `jawOpen`.
struct HeadExpressions {
    let topo: HeadTopology
    let P: [SIMD3<Float>]
    let N: [SIMD3<Float>]
    let L: HeadLayout
    let rig: HeadRig

    static let names: [String] = [
        "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
        "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
        "jawForward", "jawLeft", "jawRight", "jawOpen",
        "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
        "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight",
        "mouthStretchLeft", "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
        "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
        "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
        "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
    ]

    /// (3N)×K row-major basis in `names` order.
    func basis() -> [Float] {
        let n = P.count, k = Self.names.count
        var out = [Float](repeating: 0, count: 3 * n * k)
        for (c, name) in Self.names.enumerated() {
            let d = shape(name)
            for i in 0..<n {
                out[(3 * i) * k + c] = d[i].x
                out[(3 * i + 1) * k + c] = d[i].y
                out[(3 * i + 2) * k + c] = d[i].z
            }
        }
        return out
    }

    func shape(_ name: String) -> [SIMD3<Float>] {
        let side: Float = name.hasSuffix("Left") ? 1 : (name.hasSuffix("Right") ? -1 : 0)
        let base = side == 1 ? String(name.dropLast(4)) : (side == -1 ? String(name.dropLast(5)) : name)
        switch base {
        case "eyeBlink": return lids(side: side, upper: -1, lower: 1)
        case "eyeWide": return add(lids(side: side, upper: 0.32, lower: -0.05), brows(side: side, center: 0.028, up: 0.0015))
        case "eyeSquint": return add(lids(side: side, upper: -0.12, lower: 0.5), cheekRaise(side: side, amount: 0.0015))
        case "eyeLookUp": return add(gaze(side: side, dir: SIMD3(0, 1, 0), degrees: 25), lids(side: side, upper: 0.18, lower: 0.12))
        case "eyeLookDown": return add(gaze(side: side, dir: SIMD3(0, -1, 0), degrees: 28), lids(side: side, upper: -0.35, lower: -0.10))
        case "eyeLookIn": return gaze(side: side, dir: SIMD3(-side, 0, 0), degrees: 30)
        case "eyeLookOut": return gaze(side: side, dir: SIMD3(side, 0, 0), degrees: 30)
        case "jawOpen": return jawOpen()
        case "jawForward": return jawTranslate(SIMD3(0, 0, 0.004))
        case "jaw": return jawTranslate(SIMD3(side * 0.0035, 0, 0))   // jawLeft / jawRight
        case "mouthClose": return mouthClose()
        case "mouthFunnel": return funnel(pucker: false)
        case "mouthPucker": return funnel(pucker: true)
        case "mouth": return mouthShift(side)   // mouthLeft / mouthRight
        case "mouthSmile": return add(corner(side: side, move: SIMD3(0.0085, 0.0085, -0.0045)), cheekRaise(side: side, amount: 0.0035))
        case "mouthFrown": return corner(side: side, move: SIMD3(0.0020, -0.0055, -0.0005))
        case "mouthDimple": return corner(side: side, move: SIMD3(0.0025, 0.0005, -0.0035))
        case "mouthStretch": return corner(side: side, move: SIMD3(0.0080, -0.0025, -0.0020), spread: 1.3)
        case "mouthRollLower": return roll(upper: false)
        case "mouthRollUpper": return roll(upper: true)
        case "mouthShrugLower": return shrug(upper: false)
        case "mouthShrugUpper": return shrug(upper: true)
        case "mouthPress": return press(side: side)
        case "mouthLowerDown": return lipLift(side: side, upper: false, amount: -0.0045)
        case "mouthUpperUp": return add(lipLift(side: side, upper: true, amount: 0.0040), sneer(side: side, amount: 0.4))
        case "browDown": return browDown(side: side)
        case "browInnerUp": return add(brows(side: 1, center: 0.012, up: 0.0075), brows(side: -1, center: 0.012, up: 0.0075))
        case "browOuterUp": return brows(side: side, center: 0.042, up: 0.0070)
        case "cheekPuff": return cheekPuff()
        case "cheekSquint": return cheekRaise(side: side, amount: 0.0035)
        case "noseSneer": return sneer(side: side, amount: 1)
        case "tongueOut": return tongueOut()
        default: return zero()
        }
    }

    // MARK: Helpers

    /// Socket vertex per (side, m).
    var socketIndex: [[Int]] {
        var out = [[Int]](repeating: [Int](repeating: 0, count: HeadRings.eyeCount + 1), count: 2)
        for (i, k) in topo.kinds.enumerated() { if case .socket(let s, let m) = k { out[s][m] = i } }
        return out
    }

    func zero() -> [SIMD3<Float>] { [SIMD3<Float>](repeating: .zero, count: P.count) }
    func add(_ a: [SIMD3<Float>], _ b: [SIMD3<Float>]) -> [SIMD3<Float>] { zip(a, b).map { $0 + $1 } }

    /// Rotation of p about the axis through `center` (unit `axis`) by `angle` (Rodrigues).
    static func rotate(_ p: SIMD3<Float>, center: SIMD3<Float>, axis k: SIMD3<Float>, angle: Float) -> SIMD3<Float> {
        let v = p - center
        let c = cos(angle), s = sin(angle)
        return center + v * c + hcross(k, v) * s + k * hdot(k, v) * (1 - c)
    }

    func eyeCenter(_ side: Float) -> SIMD3<Float> { var c = L.eyeballCenter; c.x *= side; return c }

    /// Skin weight of a bump in the frontal plane, zero on the back of the head and on parts.
    func skinBump(_ i: Int, cx: Float, cy: Float, sx: Float, sy: Float) -> Float {
        switch topo.kinds[i] {
        case .grid, .eye, .mouth: break
        default: return 0
        }
        let p = P[i]
        if p.z < 0.01 { return 0 }
        return HeadShape.bump(p.x, p.y, cx, cy, sx, sy)
    }

    // MARK: Eyes

    /// Lid rotation about the eyeball centre. `upper`/`lower` are fractions of the closing angle
    /// (negative upper = down): −1 upper and +1 lower… meet at a closure line 20 % up the fissure.
    func lids(side: Float, upper: Float, lower: Float) -> [SIMD3<Float>] {
        var out = zero()
        guard side != 0 else { return out }
        let s = side > 0 ? 0 : 1
        let M = HeadRings.eyeCount
        let c = eyeCenter(side)
        let margin = topo.eyeIndex[s][0]
        let sockets = socketIndex
        let upW: [Float] = [1, 0.9, 0.65, 0.3, 0.06, 0]
        let loW: [Float] = [1, 0.80, 0.45, 0.16, 0.04, 0]
        func angle(_ p: SIMD3<Float>) -> Float { atan2(p.y - c.y, p.z - c.z) }
        for m in 1..<(M / 2) {
            let au = angle(P[margin[m]]), al = angle(P[margin[M - m]])
            let closure = al + 0.2 * (au - al) + 0.004
            let close = au - closure          // upper lid travel (rad) to the closure line
            let rise = closure - al - 0.008   // lower lid travel
            for ring in 0..<HeadRings.eyeRings {
                let ui = topo.eyeIndex[s][ring][m], li = topo.eyeIndex[s][ring][M - m]
                // Skin level with or behind the eyeball centre (the canthal corners) would swing the
                // wrong way about the axis: it stays put.
                let frontU = HeadShape.smoothstep(ring == 0 ? -0.002 : 0.001, ring == 0 ? 0.004 : 0.007, P[ui].z - c.z)
                let frontL = HeadShape.smoothstep(ring == 0 ? -0.002 : 0.001, ring == 0 ? 0.004 : 0.007, P[li].z - c.z)
                let aU = (upper < 0 ? upper * close : upper * 0.9 * close) * frontU
                let aL = (lower > 0 ? lower * rise : lower * 0.9 * rise) * frontL
                // A positive turn about +x carries +z towards −y, i.e. lowers the lid angle.
                // Outer loops follow less towards the canthi, where the loops bunch up.
                let taper: Float = ring >= 2 ? sin(2 * Float.pi * Float(m) / Float(M)).squareRoot() : 1
                out[ui] = Self.rotate(P[ui], center: c, axis: SIMD3(1, 0, 0), angle: -aU * upW[ring] * taper) - P[ui]
                out[li] = Self.rotate(P[li], center: c, axis: SIMD3(1, 0, 0), angle: -aL * loW[ring]) - P[li]
                if ring == 0 {   // the socket loop behind the margin turns with it
                    let su = sockets[s][m], sl = sockets[s][M - m]
                    out[su] = Self.rotate(P[su], center: c, axis: SIMD3(1, 0, 0), angle: -aU) - P[su]   // aU, aL: ring-0 angles
                    out[sl] = Self.rotate(P[sl], center: c, axis: SIMD3(1, 0, 0), angle: -aL) - P[sl]
                }
            }
        }
        return out
    }

    /// Eyeball rotation towards `dir` (unit, in the frontal plane) by `degrees`.
    func gaze(side: Float, dir: SIMD3<Float>, degrees: Float) -> [SIMD3<Float>] {
        var out = zero()
        let c = eyeCenter(side)
        let axis = hcross(SIMD3(0, 0, 1), dir)
        let k = axis / hlen(axis)
        for (i, kind) in topo.kinds.enumerated() {
            if case .eyeball(let s, _) = kind, (s == 0 ? 1 : -1) == side {
                out[i] = Self.rotate(P[i], center: c, axis: k, angle: degrees * .pi / 180) - P[i]
            }
        }
        return out
    }

    /// Brow lift: skin above the eye, fading to zero at the upper lid crease.
    func brows(side: Float, center: Float, up: Float) -> [SIMD3<Float>] {
        var out = zero()
        let browY = L.browY
        for i in 0..<P.count {
            let w = skinBump(i, cx: side * center, cy: browY + 0.004, sx: 0.014, sy: 0.016)
            if w < 1e-4 { continue }
            let lidFade = HeadShape.smoothstep(L.canthusY + 0.006, L.canthusY + 0.018, P[i].y)
            out[i] = SIMD3(0, up, 0.15 * up) * w * lidFade
        }
        return out
    }

    func browDown(side: Float) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            let w = skinBump(i, cx: side * 0.022, cy: L.browY + 0.002, sx: 0.019, sy: 0.013)
            if w < 1e-4 { continue }
            let lidFade = HeadShape.smoothstep(L.canthusY + 0.004, L.canthusY + 0.014, P[i].y)
            // Corrugator pull: down, forward a little, and towards the midline at the inner end.
            let medial = HeadShape.bump(P[i].x, P[i].y, side * 0.012, L.browY, 0.012, 0.012)
            out[i] = SIMD3(-side * 0.0030 * medial, -0.0060, 0.0010) * w * lidFade
        }
        return out
    }

    func cheekRaise(side: Float, amount: Float) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            var w = skinBump(i, cx: side * 0.040, cy: L.canthusY - 0.024, sx: 0.016, sy: 0.014)
            if case .eye(_, let ring, _) = topo.kinds[i] { w *= ring >= 2 ? 0.6 : 0.25 }
            if case .mouth(let ring, _) = topo.kinds[i] { w *= ring >= 4 ? 1 : 0 }
            out[i] = SIMD3(0, amount, 0.5 * amount) * w
        }
        return out
    }

    func sneer(side: Float, amount: Float) -> [SIMD3<Float>] {
        var out = zero()
        let ala = SIMD2<Float>(side * (L.noseHalfWidth - 0.003), L.subnasaleY + 0.008)
        for i in 0..<P.count {
            var w = skinBump(i, cx: ala.x, cy: ala.y, sx: 0.009, sy: 0.011)
            if case .mouth(let ring, _) = topo.kinds[i] { w *= ring >= 3 ? 0.6 : 0.2 }
            if case .eye(_, let ring, _) = topo.kinds[i] { w *= ring >= 3 ? 1 : 0 }
            out[i] = SIMD3(side * 0.0006, 0.0035, 0.0010) * w * amount
        }
        return out
    }

    func cheekPuff() -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            var w = skinBump(i, cx: 0.042, cy: L.stomionY + 0.008, sx: 0.016, sy: 0.017)
                + skinBump(i, cx: -0.042, cy: L.stomionY + 0.008, sx: 0.016, sy: 0.017)
            if let slot = mouthSlot(i) { w *= slot.ring >= 3 ? 1 : 0 }   // lips ride forward, not along their normals
            out[i] = N[i] * (0.0080 * w) + SIMD3(0, 0, 0.0012 * lipWeight(i))
        }
        return out
    }

    // MARK: Jaw

    /// Forward slide of the mandible at jawOpen = 1 (metres). Folds under the chin vanish for any
    /// glide of 4–6 mm with a submental cancel of 25–35 % (measured), so neither is a knife edge.
    static let condylarGlide: Float = 0.005
    /// Share of the remaining backward motion taken out under the chin.
    static let submentalCancel: Float = 0.3

    /// jawOpen = LBS(rotation of the jaw joint) − T + corrective.
    func jawOpen() -> [SIMD3<Float>] {
        var out = zero()
        let j = rig.jawJoint
        let angle = HeadRig.jawOpenAngle
        for i in 0..<P.count {
            let w = rig.jawWeight[i]
            if w > 0 {
                out[i] = w * (Self.rotate(P[i], center: j, axis: SIMD3(1, 0, 0), angle: angle) - P[i])
            }
        }
        // Corrective: condylar glide. The mandible does not only hinge, its condyles slide forward
        // onto the articular eminence as it opens, so everything that follows the jaw moves forward
        // by w·glide: the chin drops more than it swings back, and the skin under it is not
        // pushed into the neck.
        for i in 0..<P.count where rig.jawWeight[i] > 0 {
            out[i].z += rig.jawWeight[i] * Self.condylarGlide
        }
        // Corrective: under the mandible the rotation drives the submental skin backwards, the
        // chin side faster than the throat side, which would fold it against the neck. There 30 %
        // of the remaining backward motion is taken out (fading in from 25 mm above the gnathion to 5 mm
        // below it, and out over the last 14 mm before the pogonion, where the skin faces forward
        // and moving back does not fold it) and 60 % of that is given back as downward
        // sliding, so the skin under the chin stretches down instead of bunching up.
        for i in 0..<P.count where out[i] != .zero {
            guard case .grid = topo.kinds[i] else { continue }
            let g = HeadShape.smoothstep(L.gnathionY + 0.025, L.gnathionY - 0.005, P[i].y)
            let cancel = Self.submentalCancel * g * min(out[i].z, 0) * (1 - HeadShape.smoothstep(L.chinZ - 0.014, L.chinZ, P[i].z))
            out[i].z -= cancel
            out[i].y += 0.6 * cancel
        }
        // Corrective: lips thin and stretch over the teeth, corners pull in, cheeks hollow a little.
        // The first bag rings behind the lips follow (fading), so the inner lip surface does not
        // fold over the lip contact line at the corners.
        for i in 0..<P.count {
            if let slot = mouthSlot(i) {
                let f: Float = slot.ring >= 0 ? [1, 0.9, 0.6, 0.3, 0.1, 0][slot.ring] : max(1.4 - 0.4 * Float(-slot.ring), 0)
                let lower = sin(slot.theta) < 0
                out[i] += SIMD3(-0.12 * P[i].x * f * abs(cos(slot.theta)), (lower ? 0.0008 : 0.0012) * f, -0.0015 * f)
            } else {
                let w = skinBump(i, cx: 0.042, cy: L.stomionY + 0.006, sx: 0.014, sy: 0.014)
                    + skinBump(i, cx: -0.042, cy: L.stomionY + 0.006, sx: 0.014, sy: 0.014)
                out[i] -= N[i] * (0.0015 * w)
            }
        }
        return out
    }

    /// Sideways / forward jaw slides. Around the lips the weight is linear in sin θ (not the
    /// skinning's steeper step) so the thin commissure triangles shear gently.
    func jawTranslate(_ t: SIMD3<Float>) -> [SIMD3<Float>] {
        (0..<P.count).map { i in
            if let slot = mouthSlot(i), slot.ring <= 2 { return t * (0.5 - 0.5 * sin(slot.theta)) }
            return t * rig.jawWeight[i]
        }
    }

    // MARK: Mouth

    /// (ring, m) of a mouth-loop or bag vertex; bag rings are negative (−1 … −5).
    func mouthSlot(_ i: Int) -> (ring: Int, theta: Float)? {
        switch topo.kinds[i] {
        case .mouth(let ring, let m): return (ring, 2 * .pi * Float(m) / Float(HeadRings.mouthCount))
        case .bag(let ring, let m) where ring < HeadMouth.partRingBase:
            return (-ring, 2 * .pi * Float(m) / Float(HeadRings.mouthCount))
        default: return nil
        }
    }

    /// How much a vertex belongs to the lips: 1 on the vermilion and inside, fading over the skin
    /// loops and the nearby grid.
    func lipWeight(_ i: Int) -> Float {
        if let slot = mouthSlot(i) {
            if slot.ring < 0 { return max(1 - 0.25 * Float(-slot.ring), 0) }
            return [1, 1, 0.95, 0.65, 0.35, 0.12][slot.ring]
        }
        let p = P[i]
        if case .grid = topo.kinds[i], p.z > 0.02 {
            return 0.12 * HeadShape.bump(p.x, p.y, 0, L.stomionY, L.mouthHalfWidth + 0.012, 0.02)
        }
        return 0
    }

    func isUpper(_ i: Int) -> Float {
        if let slot = mouthSlot(i) { return HeadShape.smoothstep(-0.25, 0.25, sin(slot.theta)) }
        return P[i].y > L.stomionY ? 1 : 0
    }

    /// A mouth corner moves by `move` (x mirrored by side), dragging lips and cheek with it.
    func corner(side: Float, move: SIMD3<Float>, spread: Float = 1) -> [SIMD3<Float>] {
        var out = zero()
        let cx = side * L.mouthHalfWidth, cy = L.stomionY
        for i in 0..<P.count {
            var w: Float
            if let slot = mouthSlot(i) {
                let c = cos(slot.theta) * side
                let along = pow(max(c, 0), 2.2 / spread)
                w = along * (slot.ring < 0 ? max(1 - 0.3 * Float(-slot.ring), 0) : [1, 1, 0.97, 0.88, 0.65, 0.38][slot.ring])
            } else {
                w = skinBump(i, cx: cx + side * 0.006, cy: cy + 0.002, sx: 0.013 * spread, sy: 0.013)
                if case .eye = topo.kinds[i] { w = 0 }
            }
            out[i] = SIMD3(side * move.x, move.y, move.z) * w
        }
        return out
    }

    func mouthShift(_ side: Float) -> [SIMD3<Float>] {
        (0..<P.count).map { SIMD3(side * 0.0065, 0, -0.0008) * lipWeight($0) }
    }

    func funnel(pucker: Bool) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            let w = lipWeight(i)
            if w == 0 { continue }
            let up = isUpper(i)
            var d = SIMD3<Float>(-P[i].x * (pucker ? 0.36 : 0.22), 0, pucker ? 0.0060 : 0.0050) * w
            if let slot = mouthSlot(i), slot.ring <= 1 {
                // Funnel opens the lips into a rounded hole; pucker keeps them together.
                let open: Float = pucker ? 0.0 : 0.0035
                d.y += (up > 0.5 ? open : -open) * abs(sin(slot.theta))
            }
            out[i] = d
        }
        return out
    }

    func roll(upper: Bool) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            guard let slot = mouthSlot(i), slot.ring >= 0, slot.ring <= 3 else { continue }
            let isUp = sin(slot.theta) > 0
            if isUp != upper { continue }
            let f: [Float] = [1, 1, 0.8, 0.35]
            let mid = 1 - pow(abs(cos(slot.theta)), 4)
            let toward: Float = upper ? -1 : 1
            out[i] = SIMD3(0, toward * 0.0025, -0.0035) * f[slot.ring] * mid
        }
        return out
    }

    func shrug(upper: Bool) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            var w: Float = 0
            if let slot = mouthSlot(i), slot.ring >= 0 {
                let isUp = sin(slot.theta) > 0
                if isUp == upper { w = [0.9, 1, 1, 0.8, 0.5, 0.2][slot.ring] * (1 - pow(abs(cos(slot.theta)), 3)) }
            } else if !upper {
                w = skinBump(i, cx: 0, cy: L.gnathionY + 0.018, sx: 0.016, sy: 0.016)   // mentalis
            }
            out[i] = (upper ? SIMD3(0, 0.0025, 0.0012) : SIMD3(0, 0.0030, 0.0018)) * w
        }
        return out
    }

    func press(side: Float) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            guard let slot = mouthSlot(i), slot.ring >= 0, slot.ring <= 3 else { continue }
            let sw = HeadShape.smoothstep(-0.012, 0.012, side * P[i].x)
            let f: [Float] = [1, 1, 0.7, 0.3]
            let up = sin(slot.theta) > 0
            let mid = 1 - pow(abs(cos(slot.theta)), 4)   // corners cannot close further
            out[i] = SIMD3(0, (up ? -0.0008 : 0.0008) * mid, -0.0016) * f[slot.ring] * sw
        }
        return out
    }

    func lipLift(side: Float, upper: Bool, amount: Float) -> [SIMD3<Float>] {
        var out = zero()
        for i in 0..<P.count {
            guard let slot = mouthSlot(i) else { continue }
            let isUp = sin(slot.theta) > 0
            if isUp != upper { continue }
            let sw = HeadShape.smoothstep(-0.010, 0.014, side * P[i].x) * (1 - pow(abs(cos(slot.theta)), 6))
            let f: Float = slot.ring < 0 ? max(0.8 - 0.25 * Float(-slot.ring), 0) : [1, 1, 0.9, 0.6, 0.3, 0.1][slot.ring]
            out[i] = SIMD3(0, amount, 0.25 * abs(amount)) * f * sw
        }
        return out
    }

    /// tongueOut: the tongue slides forward out of the mouth between the lips (ARKit's shape has no
    /// jaw motion, so with the teeth closed it passes through them; combine with jawOpen). Along
    /// the tongue (a = 0 tip … 1 root) its long axis moves forward by 6 + 36(1 − a)^0.8 mm and
    /// up by 8.6(1 − ((a − 0.35)/0.65)²) mm behind a = 0.35, easing to 7.4 mm at the tip, so it
    /// leaves over the lower incisors at the lip line. The protruding part (smoothstep over
    /// a = 0.7 → 0.2) spreads to a 17 mm wide blade (at rest the front is narrow, held inside the
    /// lower arch; behind the incisors it narrows to stay inside the arch) at least 7 mm thick with a
    /// blunt tip. The lips part around it: upper +5 mm, lower −6.5 mm
    /// and 1.5 mm forward, weighted (1 − (x/22 mm)²)² across the mouth; the corners stay.
    func tongueOut() -> [SIMD3<Float>] {
        var out = zero()
        let mid = HeadMouth.tongueMidY(L), front = HeadMouth.arch(L, upper: false).front
        // Rest half-width of each tongue ring.
        var half = [Float](repeating: 0, count: HeadMouth.tongueAlpha.count)
        for (i, kind) in topo.kinds.enumerated() {
            if case .tongue(let index)? = kind.mouthPart, index > 0, index < HeadMouth.tongueVertexCount - 1 {
                half[(index - 1) / HeadMouth.tongueLon] = max(half[(index - 1) / HeadMouth.tongueLon], abs(P[i].x))
            }
        }
        for i in 0..<P.count {
            guard case .tongue(let index)? = topo.kinds[i].mouthPart else { continue }
            let a = HeadMouth.tongueAlong(index: index)
            let dz = 0.006 + 0.036 * pow(1 - a, 0.8)
            let peak: Float = 0.35
            let dy: Float = a >= peak ? 0.0086 * (1 - pow((a - peak) / (1 - peak), 2)) : 0.0086 - 0.0012 * (1 - a / peak)
            var widen: Float = 1, thicken: Float = 1
            if index > 0, index < HeadMouth.tongueVertexCount - 1 {
                let ring = (index - 1) / HeadMouth.tongueLon
                let out = HeadShape.smoothstep(0.7, 0.2, a), sa = sin(HeadMouth.tongueAlpha[ring])
                let blade = 0.0085 * min(1.6 * sa, 1), height = HeadMouth.tongueHalfHeight * pow(sa, 0.6)
                widen = 1 + (max(blade, half[ring]) / half[ring] - 1) * out
                thicken = 1 + (max(0.0036 * min(2 * sa, 1), height) / height - 1) * out
                // Behind the lower incisors the tongue stays inside the arch it slides into.
                let z = P[i].z + dz
                if z < front - 0.008 { widen = min(widen, HeadMouth.tongueRoom(L, z: z) / half[ring]) }
            }
            let p = P[i]
            let moved = SIMD3(p.x * widen, mid + (p.y - mid) * thicken + dy, p.z + dz)
            out[i] = moved - p
        }
        for i in 0..<P.count {
            guard let slot = mouthSlot(i) else { continue }
            let f: Float = slot.ring >= 0 ? [1, 1, 0.8, 0.4, 0.15, 0][slot.ring] : [1, 0.5, 0.15, 0, 0, 0][-slot.ring - 1]
            let t = max(1 - (P[i].x / 0.022) * (P[i].x / 0.022), 0)
            let upper = sin(slot.theta) > 0
            out[i] = SIMD3(0, upper ? 0.0050 : -0.0065, upper ? 0 : 0.0015) * f * t * t
        }
        return out
    }

    /// Lips close over an open jaw: the negative of jawOpen's lip travel, shared by both lips.
    func mouthClose() -> [SIMD3<Float>] {
        let jaw = jawOpen()
        var out = zero()
        for i in 0..<P.count {
            guard let slot = mouthSlot(i) else { continue }
            let f: Float = slot.ring < 0 ? max(1 - 0.3 * Float(-slot.ring), 0) : [1, 1, 0.8, 0.45, 0.15, 0][slot.ring]
            let up = sin(slot.theta) > 0
            // Lower lip travels back up 60 %, the upper lip comes down to meet it (40 %).
            let mid = 1 - pow(abs(cos(slot.theta)), 3)
            if up {
                let mirror = lowerPartner(i)
                out[i] = -0.4 * jaw[mirror] * f * mid
            } else {
                out[i] = -0.6 * jaw[i] * f * mid
            }
        }
        return out
    }

    /// The lower-lip vertex under an upper-lip vertex (same loop, mirrored angle).
    func lowerPartner(_ i: Int) -> Int {
        let M = HeadRings.mouthCount
        switch topo.kinds[i] {
        case .mouth(let ring, let m): return topo.mouthIndex[ring][(M - m) % M]
        case .bag(let ring, let m):
            if let j = topo.kinds.firstIndex(of: .bag(ring: ring, m: (M - m) % M)) { return j }
            return i
        default: return i
        }
    }
}
