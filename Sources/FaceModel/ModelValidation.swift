extension MorphableModel {
    /// Checks that every array has the size the others imply; throws `FaceModelError.inconsistentModel`.
    public func validate() throws {
        let n = vertexCount
        let jc = joints.count
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw FaceModelError.inconsistentModel(message()) }
        }
        try check(n > 0 && template.count == 3 * n, "template has \(template.count) numbers, not a multiple of 3")
        try check(triangles.count % 3 == 0, "triangles has \(triangles.count) indices, not a multiple of 3")
        try check(triangles.allSatisfy { $0 >= 0 && Int($0) < n }, "a triangle index is outside 0..<\(n)")
        try check(uvs.count % 2 == 0, "uvs has an odd count")
        try check(uvTriangles.isEmpty || uvTriangles.count == triangles.count, "uvTriangles must match triangles")
        try check(uvTriangles.allSatisfy { $0 >= 0 && Int($0) < uvs.count / 2 }, "a UV index is out of range")
        try check(identityBasis.count == 3 * n * identityCount,
                  "identity basis has \(identityBasis.count) numbers, expected 3N·Kβ = \(3 * n * identityCount)")
        try check(expressionBasis.count == 3 * n * expressionCount,
                  "expression basis has \(expressionBasis.count) numbers, expected 3N·Kψ = \(3 * n * expressionCount)")
        try check(jc > 0, "the model has no joints")
        for (j, joint) in joints.enumerated() {
            try check(joint.parent < j && (j == 0) == (joint.parent < 0), "joint \(j) (\(joint.name)) has parent \(joint.parent): joints must be in topological order with one root first")
        }
        try check(jointRegressor.count == jc * n, "joint regressor has \(jointRegressor.count) numbers, expected J·N = \(jc * n)")
        try check(skinWeights.count == n * jc, "skin weights have \(skinWeights.count) numbers, expected N·J = \(n * jc)")
        try check(poseCorrectives.isEmpty || poseCorrectives.count == 3 * n * 9 * (jc - 1),
                  "pose correctives have \(poseCorrectives.count) numbers, expected 3N·9(J−1)")
        let tri = triangleCount
        try check(landmarks.allSatisfy { $0.triangle >= 0 && Int($0.triangle) < tri }, "a landmark names a missing triangle")
        if let contour = dynamicContour {
            try check(contour.embeddings.count == contour.yawDegrees.count && contour.embeddings.allSatisfy { $0.count == 17 },
                      "the dynamic contour needs 17 embeddings per yaw")
            try check(contour.embeddings.joined().allSatisfy { $0.triangle >= 0 && Int($0.triangle) < tri },
                      "a contour landmark names a missing triangle")
        }
        try check(vertexRegions.isEmpty || vertexRegions.count == n, "vertexRegions has \(vertexRegions.count) labels for \(n) vertices")
    }
}
