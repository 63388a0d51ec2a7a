import Foundation
@testable import Library

/// A fresh temporary folder per test.
func makeTemporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func hash(_ text: String) -> String { SHA256.hex(text) }

func draft(_ person: PersonName, job: Int64, accepted: [String], rejected: [RejectedPhoto] = []) -> BundleDraft {
    BundleDraft(person: person, jobID: job, inputs: accepted + rejected.map(\.sha256), accepted: accepted,
                rejected: rejected, stage: "test", models: [ModelRecord(role: "face-model", id: "test-head", licence: "MIT")],
                statistics: ["seconds": 1.5])
}
