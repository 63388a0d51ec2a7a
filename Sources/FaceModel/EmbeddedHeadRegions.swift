/// Region labels of the embedded head's vertices (`FaceRegion`).
///
/// Loops and parts are labelled by construction (eye loops 0–2 → eyes, mouth loops 0–2 → lips,
/// bag and gums → mouthInterior, teeth, tongue, eyeballs, ears); grid vertices by their neutral position: the nose inside
/// the nasal relief's footprint, scalp above the hairline (trichion) or behind the ears, neck below
/// the mandible's lower border, face elsewhere.
enum HeadRegions {
    static func label(_ kind: HeadVertexKind, position p: SIMD3<Float>, layout L: HeadLayout) -> FaceRegion {
        switch kind {
        case .eye(_, let ring, _): return ring <= 2 ? .eyes : .face
        case .mouth(let ring, _): return ring <= 2 ? .lips : .face
        case .bag(let ring, let m):
            switch HeadMouth.part(ring: ring, m: m) {
            case .bag: return .mouthInterior
            case .upperTeeth(let i), .lowerTeeth(let i): return HeadMouth.isGum(index: i) ? .mouthInterior : .teeth
            case .tongue: return .tongue
            }
        case .eyeball: return .eyeballs
        case .socket: return .eyes
        case .ear: return .ears
        case .pole: return .scalp
        case .grid: return gridLabel(p, L)
        }
    }

    static func gridLabel(_ p: SIMD3<Float>, _ L: HeadLayout) -> FaceRegion {
        let ax = abs(p.x)
        // Nose: the dorsum from just below the nasion to the subnasale, out to the alae.
        let noseTop = L.nasionY - 0.006, noseBottom = L.subnasaleY - 0.001
        if p.y < noseTop && p.y > noseBottom && p.z > 0.06 {
            let t = (noseTop - p.y) / (noseTop - noseBottom)
            let halfW = 0.008 + (L.noseHalfWidth + 0.0015 - 0.008) * max(t - 0.45, 0) / 0.55
            if ax < halfW { return .nose }
        }
        // Jaw line: below a line from the gnathion back to below the ear.
        let jawLine = L.gnathionY + (L.gonionY - 0.006 - L.gnathionY) * min(max((0.075 - p.z) / 0.075, 0), 1)
        if p.y < jawLine - 0.004 { return .neck }
        if p.z < -0.03 && p.y < -0.025 { return .neck }
        // Hairline: above the trichion in front, above the ears at the sides, everything behind.
        let hairline = L.trichionY - 0.025 * min(ax / 0.06, 1)
        if p.y > hairline { return .scalp }
        if p.y > -0.02 && p.z < 0.012 - 0.02 * max(p.y, 0) / 0.05 { return .scalp }
        if p.z < 0.03 && p.y > L.canthusY + 0.02 { return .scalp }
        return .face
    }
}
