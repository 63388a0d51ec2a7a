import Daemon
import Foundation
import Library

/// The production job of the watcher. Interim: the photo decoder (Imaging) has not landed on
/// main yet, so the stage fails the job with a clear message instead of guessing.
struct ProductionStage: BundleStage {
    let name = "likeness-production-0"

    func build(_ request: StageRequest) throws -> StageOutput {
        throw JobFailure("the photo decoder (Imaging.ImageDecoder) is not built into this version yet")
    }
}
