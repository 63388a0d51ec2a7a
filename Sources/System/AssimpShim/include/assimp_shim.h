#ifndef LIKENESS_ASSIMP_SHIM_H
#define LIKENESS_ASSIMP_SHIM_H
// A C interface over Assimp::Exporter, so Swift can export with properties that assimp's C
// export API cannot pass: morph-target names (GLTF2_TARGETNAMES_EXP) and target normals
// (GLTF2_TARGET_NORMAL_EXP). Never sets AI_SCENE_FLAGS_NON_VERBOSE_FORMAT: with morph targets
// Debian's assert-enabled assimp aborts the process on it.
#include <assimp/cexport.h>
#include <assimp/scene.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Exports `scene` to `path` in assimp format `formatId` ("glb2", "gltf2", "obj", "fbx").
/// Returns 0 on success; otherwise writes a NUL-terminated message into `error` (capacity
/// `errorCapacity`) and returns a non-zero code. Never throws a C++ exception across the boundary.
int likeness_export_scene(const struct aiScene *scene, const char *formatId, const char *path,
                          int exportTargetNames, int exportTargetNormals,
                          char *error, unsigned long errorCapacity);

#ifdef __cplusplus
}
#endif
#endif
