import Foundation

/// The trained models that ship with Likeness, each beside its model card in `base/`, `albedo/` and `details/`
/// (resources of this target, so a fresh clone's build carries them).
public enum ShippedModels {
    /// The base model's coarse encoder (safetensors, configuration in its metadata), if present.
    public static var baseModelURL: URL? {
        Bundle.module.url(forResource: "coarse-encoder", withExtension: "safetensors", subdirectory: "base")
    }

    /// The base model's card.
    public static var baseModelCardURL: URL? {
        Bundle.module.url(forResource: "MODEL_CARD", withExtension: "md", subdirectory: "base")
    }

    /// The statistical albedo model (safetensors, the head's content hash in its metadata), if present.
    public static var albedoModelURL: URL? {
        Bundle.module.url(forResource: "albedo-model", withExtension: "safetensors", subdirectory: "albedo")
    }

    /// The albedo model's card.
    public static var albedoModelCardURL: URL? {
        Bundle.module.url(forResource: "MODEL_CARD", withExtension: "md", subdirectory: "albedo")
    }

    /// The detail networks (§3.3): the UNet teacher and the detail MAE, beside their card in `details/`.
    public static var detailTeacherURL: URL? {
        Bundle.module.url(forResource: "detail-teacher", withExtension: "safetensors", subdirectory: "details")
    }
    public static var detailMAEURL: URL? {
        Bundle.module.url(forResource: "detail-mae", withExtension: "safetensors", subdirectory: "details")
    }
    public static var detailModelCardURL: URL? {
        Bundle.module.url(forResource: "MODEL_CARD", withExtension: "md", subdirectory: "details")
    }

    /// SHA-256 of the shipped `albedo/albedo-model.safetensors` (also in its model card).
    public static let albedoModelSHA256 = "00998bbde0a901d0001c088bd31f86bc092d84628d9637bd90298b88548f7836"
}
