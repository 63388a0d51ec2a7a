import FaceModel

extension TextureMap {
    /// A UV-space face/skin mask for `RenderScene.skinMask`: 1 on texels whose triangle corners all
    /// carry one of `regions` (vertex labels interpolated over the UV triangles; the renderer keeps
    /// a pixel when the mask sampled at its UV is ≥ ½), 0 elsewhere and outside the UV charts.
    /// The default keeps skin: face, nose, lips and ears; it drops eyes, eyeballs, scalp, neck and
    /// the mouth interior, as DECA's face mask does.
    public static func skinMask(for model: MorphableModel, size: Int = 256,
                                regions: Set<FaceRegion> = [.face, .nose, .lips, .ears]) throws -> TextureMap {
        guard (1...8192).contains(size) else { throw RenderError.invalidImageSize(width: size, height: size) }
        guard model.vertexRegions.count == model.vertexCount else {
            throw RenderError.invalidMesh("the model has \(model.vertexRegions.count) region labels for \(model.vertexCount) vertices")
        }
        let indicator = model.vertexRegions.map { regions.contains($0) ? Float(1) : 0 }
        let map = UVRasterizer.rasterize(indicator, channels: 1, model: model, size: size)
        return try TextureMap(width: size, height: size, channels: 1,
                              data: zip(map.values, map.coverage).map { $1 == 0 ? 0 : ($0 >= 0.999 ? 1 : 0) })
    }
}
