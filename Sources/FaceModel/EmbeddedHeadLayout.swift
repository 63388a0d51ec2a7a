/// Geometry anchors of the embedded head derived from a control vector (`EmbeddedHeadControl`).
///
/// Coordinates: metres, origin at the head centre on the line between the ear canals (tragion
/// height), +x the subject's left, +y up, +z out of the face. Vertical landmarks hang off the
/// nasion; depths are those of a typical adult profile (glabella ≈ 10 cm in front of tragion).
struct HeadLayout {
    var c: [Float]

    init(controls: [Float]) { c = controls }

    subscript(_ k: EmbeddedHeadControl) -> Float { c[k.rawValue] }
    /// A control's value in metres (controls measured in millimetres).
    func m(_ k: EmbeddedHeadControl) -> Float { c[k.rawValue] * 0.001 }
    /// Deviation from the mean in metres.
    func dm(_ k: EmbeddedHeadControl) -> Float { (c[k.rawValue] - k.statistics.mean) * 0.001 }
    /// Deviation from the mean in σ units.
    func z(_ k: EmbeddedHeadControl) -> Float { (c[k.rawValue] - k.statistics.mean) / k.statistics.sigma }

    // MARK: Vertical anchors (y)
    var nasionY: Float { 0.026 }
    var canthusY: Float { 0.012 }
    var subnasaleY: Float { nasionY - m(.noseLength) - 0.35 * dm(.faceHeight) }
    var stomionY: Float { subnasaleY - m(.upperLipHeight) - 0.2 * dm(.faceHeight) }
    var gnathionY: Float { stomionY - m(.chinLength) - 0.45 * dm(.faceHeight) }
    var browY: Float { canthusY + m(.browHeight) }
    var vertexY: Float { m(.skullHeight) }
    var trichionY: Float { nasionY + m(.foreheadHeight) }

    // MARK: Depth anchors (z)
    var glabellaZ: Float { 0.097 + 0.5 * dm(.headLength) }
    var faceFrontZ: Float { 0.090 + dm(.midfaceProjection) }
    var mouthZ: Float { faceFrontZ + 0.002 + dm(.lipProjection) }
    var chinZ: Float { faceFrontZ - 0.002 + 0.6 * dm(.jawDepth) }

    // MARK: Eyes
    var eyeballRadius: Float { 0.0120 }
    var fissureLength: Float { m(.eyeSize) }
    var fissureHeight: Float { m(.eyeHeight) }
    /// Centre of the left (+x) palpebral fissure in the frontal plane.
    var eyeCenterX: Float { 0.5 * m(.eyeSpacing) + 0.5 * fissureLength }
    /// Eyeball centre of the left eye (mirror x for the right). Its depth puts the corneal apex
    /// ≈ 17 mm behind the soft-tissue nasion and ≈ 8 mm behind the brow at mid-pupil, as in
    /// scanned adult faces (a deeper eye reads as sunken under an overhanging brow).
    var eyeballCenter: SIMD3<Float> {
        SIMD3(eyeCenterX, canthusY + 0.0012, 0.0635 + 0.5 * dm(.headLength) + dm(.eyeDepth))
    }
    var canthalTilt: Float { self[.eyeTilt] * .pi / 180 }

    // MARK: Mouth, nose, chin
    var mouthHalfWidth: Float { 0.5 * m(.mouthWidth) }
    var upperVermilion: Float { m(.upperLipFullness) }
    var lowerVermilion: Float { m(.lowerLipFullness) }
    var noseHalfWidth: Float { 0.5 * m(.noseWidth) }
    var noseTipProtrusion: Float { m(.noseTip) }

    // MARK: Skull and face widths
    var skullHalfWidth: Float { 0.5 * m(.headWidth) }
    var skullHalfLength: Float { 0.5 * m(.headLength) }
    var zygionHalfWidth: Float { 0.5 * m(.faceWidth) }
    var gonionHalfWidth: Float { 0.5 * m(.jawWidth) }
    var gonionY: Float { gnathionY + 0.030 + 0.0012 * (self[.jawAngle] - 122) }

    // MARK: Ears (left; mirror x for the right)
    var earLength: Float { m(.earLength) }
    var earWidth: Float { m(.earWidth) }
    var earProtrusion: Float { self[.earProtrusion] * .pi / 180 }
    var earRootY: Float { 0.004 + dm(.earHeight) }

    // MARK: Neck
    var neckHalfWidth: Float { 0.5 * m(.neckWidth) }
    var neckHalfDepth: Float { 0.5 * m(.neckDepth) }
    var neckTilt: Float { self[.neckTilt] * .pi / 180 }
}
