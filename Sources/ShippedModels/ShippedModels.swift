import Foundation

/// The trained models that ship with Likeness, each beside its model card in `base/` (resources of
/// this target, so a fresh clone's build carries them).
public enum ShippedModels {
    /// The base model's coarse encoder (safetensors, configuration in its metadata), if present.
    public static var baseModelURL: URL? {
        Bundle.module.url(forResource: "coarse-encoder", withExtension: "safetensors", subdirectory: "base")
    }

    /// The base model's card.
    public static var baseModelCardURL: URL? {
        Bundle.module.url(forResource: "MODEL_CARD", withExtension: "md", subdirectory: "base")
    }
}
