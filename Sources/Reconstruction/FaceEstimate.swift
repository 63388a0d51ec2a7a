import FaceModel
import Render

/// A network's reading of one photo, in photo pixels: the face and camera (where the landmark fit
/// starts) and, when the network regresses it, the albedo α (standard deviations of the shipped
/// albedo model).
public struct FaceEstimate: Sendable {
    public var code: FaceCode
    public var camera: OrthoCamera
    public var albedo: [Float]?

    public init(code: FaceCode, camera: OrthoCamera, albedo: [Float]? = nil) {
        self.code = code
        self.camera = camera
        self.albedo = albedo
    }

    /// The mean α over estimates that all carry one (a person's albedo is one, as the identity is);
    /// nil when any lacks it.
    public static func meanAlbedo(_ estimates: [FaceEstimate]) -> [Float]? {
        let all = estimates.compactMap(\.albedo)
        guard !all.isEmpty, all.count == estimates.count, let n = all.first?.count, all.allSatisfy({ $0.count == n }) else { return nil }
        return (0..<n).map { k in all.map { $0[k] }.reduce(0, +) / Float(all.count) }
    }
}
