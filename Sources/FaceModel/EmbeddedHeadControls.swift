/// The named anthropometric controls of the embedded head and their population statistics.
///
/// Every identity mode of the embedded head is built from these controls (see
/// `EmbeddedHeadIdentity`). Each control is a physical measurement (millimetres or degrees) with a
/// population mean and standard deviation; the generator turns a control vector into geometry
/// through `HeadLayout`.
///
/// Sources of the numbers (facts only; means pooled over sexes, standard deviations widened to
/// include the male–female difference, i.e. σ ≈ √(σ_within² + (Δ/2)²)):
/// - [F] L. G. Farkas, *Anthropometry of the Head and Face*, 2nd ed., Raven Press 1994 —
///   North-American Caucasian young-adult norms: eu–eu head width (M 151, F 144 mm), g–op head
///   length (M 197, F 187), zy–zy face width (M 137, F 130), go–go mandible width (M 102, F 94),
///   n–gn face height (M 121, F 112), n–sn nose height (M 55, F 51), al–al nose width (M 35,
///   F 31), sn–prn tip protrusion (M 21, F 19), en–en intercanthal width (M 33, F 32), ex–en eye
///   fissure length (M 31, F 30), ps–pi fissure height (≈ 10–11), ch–ch mouth width (M 54, F 50),
///   ls–sto upper vermilion (M 9, F 8), sto–li lower vermilion (M 10, F 9), sn–sto upper-lip
///   height (M 22, F 20), sto–gn chin/lower-face height (M 50, F 45), v–tr..tr–n forehead height
///   (≈ 60), sa–sba ear length (M 63, F 59), pra–pa ear width (M 35, F 33).
/// - [K] Kunjur et al., "Anthropometric analysis of the ideal and anatomical nose" / canthal tilt
///   surveys: lateral canthal tilt ≈ +4° (σ ≈ 2°).
/// - [G] gonial angle from cephalometric surveys (e.g. Jensen & Palling 1954; Ohm & Silness
///   1999): ≈ 122° (σ ≈ 6°).
/// - [N] neck circumference from national body-measurement surveys (e.g. NHANES/CAESAR summary
///   tables): ≈ 38 cm men, 33 cm women → mean 35.5 cm, σ ≈ 3 cm.
/// - [E] ear protrusion (auriculocephalic angle) ≈ 25° (σ ≈ 6°), e.g. da Silva Freitas et al.
///   2008; eyeball axial length ≈ 24 mm (radius 12 mm).
/// Controls without a single published norm (relief depths such as brow-ridge or cheek-fullness
/// prominence) use σ ≈ 25–35 % of their mean depth, chosen so that ±3σ stays anatomically plausible.
public enum EmbeddedHeadControl: Int, CaseIterable, Sendable {
    case headWidth, headLength, skullHeight, occiputProminence, templeWidth
    case foreheadSlope, foreheadHeight, browRidge, browHeight
    case faceWidth, faceHeight, midfaceProjection, cheekbones, cheekbonesHeight, cheekFullness
    case jawWidth, jawAngle, jawDepth, chinLength, chinProjection, chinWidth, submentalFullness
    case noseLength, noseWidth, noseBridge, noseTip, noseTipRotation, noseHump, nostrilFlare
    case eyeSize, eyeHeight, eyeSpacing, eyeTilt, eyeDepth
    case mouthWidth, upperLipFullness, lowerLipFullness, upperLipHeight, lipProjection, nasolabialDepth
    case earLength, earWidth, earProtrusion, earHeight
    case neckWidth, neckDepth, neckTilt

    /// (mean, σ) in the control's unit, and what the unit is.
    public var statistics: (mean: Float, sigma: Float, unit: String) {
        switch self {
        case .headWidth: return (147.5, 6.0, "mm eu–eu [F]")
        case .headLength: return (192, 8.0, "mm g–op [F]")
        case .skullHeight: return (128, 6.0, "mm v–po, auricular height [F]")
        case .occiputProminence: return (6, 2.0, "mm occipital bulge")
        case .templeWidth: return (3, 1.0, "mm temporal hollow depth")
        case .foreheadSlope: return (14, 5.0, "deg forehead inclination [F]")
        case .foreheadHeight: return (62, 6.0, "mm tr–n [F]")
        case .browRidge: return (4, 1.3, "mm supraorbital prominence")
        case .browHeight: return (20, 2.5, "mm brow above canthal line")
        case .faceWidth: return (133.5, 5.5, "mm zy–zy [F]")
        case .faceHeight: return (116.5, 6.5, "mm n–gn [F]")
        case .midfaceProjection: return (0, 3.0, "mm maxillary projection offset")
        case .cheekbones: return (3, 1.0, "mm malar prominence")
        case .cheekbonesHeight: return (0, 3.0, "mm malar height offset")
        case .cheekFullness: return (4, 1.3, "mm buccal fullness")
        case .jawWidth: return (98, 6.0, "mm go–go [F]")
        case .jawAngle: return (122, 6.0, "deg gonial angle [G]")
        case .jawDepth: return (0, 4.0, "mm mandibular sagittal offset")
        case .chinLength: return (47.5, 4.0, "mm sto–gn [F]")
        case .chinProjection: return (3.5, 1.5, "mm pogonion prominence")
        case .chinWidth: return (40, 4.0, "mm chin width")
        case .submentalFullness: return (0, 3.0, "mm submental soft tissue")
        case .noseLength: return (53, 3.5, "mm n–sn [F]")
        case .noseWidth: return (33, 2.8, "mm al–al [F]")
        case .noseBridge: return (0, 2.0, "mm nasal root height offset")
        case .noseTip: return (20, 2.0, "mm sn–prn [F]")
        case .noseTipRotation: return (0, 3.0, "mm tip vertical offset (nasolabial angle)")
        case .noseHump: return (0, 1.2, "mm dorsal hump")
        case .nostrilFlare: return (0, 1.5, "mm alar flare")
        case .eyeSize: return (30.5, 1.6, "mm ex–en [F]")
        case .eyeHeight: return (10.5, 1.0, "mm ps–pi [F]")
        case .eyeSpacing: return (32.5, 2.6, "mm en–en [F]")
        case .eyeTilt: return (4, 2.0, "deg lateral canthal tilt [K]")
        case .eyeDepth: return (0, 1.5, "mm ocular protrusion offset")
        case .mouthWidth: return (52, 3.5, "mm ch–ch [F]")
        case .upperLipFullness: return (8.5, 1.5, "mm ls–sto [F]")
        case .lowerLipFullness: return (9.5, 1.5, "mm sto–li [F]")
        case .upperLipHeight: return (21, 2.2, "mm sn–sto [F]")
        case .lipProjection: return (0, 1.5, "mm lip protrusion offset")
        case .nasolabialDepth: return (1.5, 0.6, "mm nasolabial fold depth")
        case .earLength: return (61, 4.0, "mm sa–sba [F]")
        case .earWidth: return (34, 3.0, "mm pra–pa [F]")
        case .earProtrusion: return (25, 6.0, "deg auriculocephalic angle [E]")
        case .earHeight: return (0, 3.0, "mm ear vertical offset")
        case .neckWidth: return (104, 8.0, "mm neck breadth from circumference [N]")
        case .neckDepth: return (112, 8.0, "mm neck depth [N]")
        case .neckTilt: return (0, 4.0, "deg neck forward tilt")
        }
    }

    /// The control vector at the population mean.
    public static var means: [Float] { allCases.map { $0.statistics.mean } }
}
