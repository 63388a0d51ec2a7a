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

/// A triangle mesh with per-vertex UVs and normals, morph targets and an optional embedded PNG,
/// as flat arrays (the caller keeps them alive during the call).
typedef struct likeness_mesh_desc {
    const char *meshName;
    const char *materialName;
    unsigned int vertexCount;
    const float *positions;      ///< vertexCount×3
    const float *normals;        ///< vertexCount×3, or NULL
    const float *uvs;            ///< vertexCount×2 in aiScene's convention (v = 0 at the bottom; the glTF2 exporter flips it), or NULL
    unsigned int triangleCount;
    const unsigned int *indices; ///< triangleCount×3
    unsigned int targetCount;
    const float *targetPositions; ///< targetCount×vertexCount×3 absolute positions (assimp's convention)
    const float *targetNormals;   ///< targetCount×vertexCount×3, or NULL
    const char *const *targetNames; ///< targetCount names
    const unsigned char *texturePNG; ///< PNG bytes embedded as the base-colour texture, or NULL
    unsigned long textureSize;
    /// A skeleton the mesh is skinned to (glTF skin), or jointCount 0 for none. Joints are in
    /// topological order (a parent before its children); each becomes a node named after it,
    /// translated from its parent's rest position to its own, and a bone whose offset (inverse
    /// bind) matrix is the translation by minus its rest position.
    unsigned int jointCount;
    const char *const *jointNames;     ///< jointCount unique names (none "face", the mesh's node)
    const int *jointParents;           ///< jointCount parent indices, -1 for a root joint
    const float *jointRestPositions;   ///< jointCount×3 rest positions in mesh space
    const unsigned int *vertexJoints;  ///< vertexCount×4 joint indices
    const float *vertexWeights;        ///< vertexCount×4 weights (0 for unused slots), each row summing to 1
} likeness_mesh_desc;

/// Builds an aiScene (a root node holding the mesh, one material, optional embedded texture, morph
/// targets as aiAnimMesh with names, optional joint nodes and bones) and exports it like
/// `likeness_export_scene` with target names on and node transforms as translation/rotation/scale
/// (GLTF2_NODE_IN_TRS: an engine animates joints through TRS only).
int likeness_export_mesh(const likeness_mesh_desc *mesh, const char *formatId, const char *path,
                         char *error, unsigned long errorCapacity);

/// Re-imports `path` with assimp and reports what a test needs: the first mesh's vertex count,
/// morph-target count and the target names (joined by '\n' into `names`, capacity `namesCapacity`),
/// its bone count and bone names (likewise into `boneNames`), the number of embedded textures.
/// Returns 0 on success, non-zero with `error` filled otherwise.
int likeness_inspect_file(const char *path, unsigned int *vertexCount, unsigned int *targetCount,
                          unsigned int *textureCount, char *names, unsigned long namesCapacity,
                          unsigned int *boneCount, char *boneNames, unsigned long boneNamesCapacity,
                          char *error, unsigned long errorCapacity);

#ifdef __cplusplus
}
#endif
#endif
