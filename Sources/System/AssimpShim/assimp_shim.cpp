#include "assimp_shim.h"
#include <assimp/Exporter.hpp>
#include <assimp/Importer.hpp>
#include <assimp/material.h>
#include <assimp/config.h>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>
#include <algorithm>

static int report(char *error, unsigned long capacity, const std::string &message, int code) {
    if (error && capacity > 0) {
        std::strncpy(error, message.c_str(), capacity - 1);
        error[capacity - 1] = '\0';
    }
    return code;
}

static int exportScene(const struct aiScene *scene, const char *formatId, const char *path,
                       int exportTargetNames, int exportTargetNormals, bool nodesInTRS,
                       char *error, unsigned long errorCapacity) {
    if (!scene || !formatId || !path) return report(error, errorCapacity, "null argument", 1);
    try {
        Assimp::Exporter exporter;
        Assimp::ExportProperties properties;
        properties.SetPropertyBool("GLTF2_TARGETNAMES_EXP", exportTargetNames != 0);
        properties.SetPropertyBool("GLTF2_TARGET_NORMAL_EXP", exportTargetNormals != 0);
        if (nodesInTRS) properties.SetPropertyBool("GLTF2_NODE_IN_TRS", true);
        aiReturn result = exporter.Export(scene, formatId, path, 0u, &properties);
        if (result != aiReturn_SUCCESS) {
            const char *message = exporter.GetErrorString();
            return report(error, errorCapacity, message && *message ? message : "assimp export failed", 2);
        }
        return 0;
    } catch (const std::exception &e) {
        return report(error, errorCapacity, e.what(), 3);
    } catch (...) {
        return report(error, errorCapacity, "unknown C++ exception in assimp export", 4);
    }
}

extern "C" int likeness_export_scene(const struct aiScene *scene, const char *formatId, const char *path,
                                     int exportTargetNames, int exportTargetNormals,
                                     char *error, unsigned long errorCapacity) {
    return exportScene(scene, formatId, path, exportTargetNames, exportTargetNormals, false, error, errorCapacity);
}

namespace {

aiMatrix4x4 translation(float x, float y, float z) {
    aiMatrix4x4 m;
    m.a4 = x;
    m.b4 = y;
    m.c4 = z;
    return m;
}

/// One bone per joint (offset matrix: translation by minus the rest position) with the weights of
/// the vertices that use it. A joint no vertex uses keeps one zero weight: assimp's
/// JoinIdenticalVertices drops bones without weights, and the skin must list every joint.
void addBones(aiMesh *mesh, const likeness_mesh_desc &d) {
    std::vector<std::vector<aiVertexWeight>> weights(d.jointCount);
    for (unsigned i = 0; i < d.vertexCount; ++i)
        for (unsigned k = 0; k < 4; ++k)
            if (d.vertexWeights[4 * i + k] > 0)
                weights[d.vertexJoints[4 * i + k]].emplace_back(i, d.vertexWeights[4 * i + k]);
    mesh->mNumBones = d.jointCount;
    mesh->mBones = new aiBone *[d.jointCount];
    for (unsigned j = 0; j < d.jointCount; ++j) {
        auto *bone = new aiBone();
        bone->mName = aiString(d.jointNames[j]);
        const float *p = d.jointRestPositions + 3 * j;
        bone->mOffsetMatrix = translation(-p[0], -p[1], -p[2]);
        if (weights[j].empty()) weights[j].emplace_back(0, 0.0f);
        bone->mNumWeights = static_cast<unsigned int>(weights[j].size());
        bone->mWeights = new aiVertexWeight[weights[j].size()];
        std::copy(weights[j].begin(), weights[j].end(), bone->mWeights);
        mesh->mBones[j] = bone;
    }
}

/// The joints as nodes under `root` (the scene's root node, `face`), each translated from its parent's rest position to its own.
void addJointNodes(aiNode *root, const likeness_mesh_desc &d) {
    std::vector<aiNode *> nodes(d.jointCount);
    std::vector<std::vector<aiNode *>> children(d.jointCount + 1); // last: the root's
    for (unsigned j = 0; j < d.jointCount; ++j) {
        nodes[j] = new aiNode(d.jointNames[j]);
        const int parent = d.jointParents[j];
        const float *p = d.jointRestPositions + 3 * j;
        float x = p[0], y = p[1], z = p[2];
        if (parent >= 0) {
            const float *q = d.jointRestPositions + 3 * parent;
            x -= q[0]; y -= q[1]; z -= q[2];
        }
        nodes[j]->mTransformation = translation(x, y, z);
        children[parent >= 0 ? unsigned(parent) : d.jointCount].push_back(nodes[j]);
    }
    for (unsigned j = 0; j <= d.jointCount; ++j) {
        aiNode *node = j < d.jointCount ? nodes[j] : root;
        if (children[j].empty()) continue;
        node->mNumChildren = static_cast<unsigned int>(children[j].size());
        node->mChildren = new aiNode *[children[j].size()];
        for (size_t c = 0; c < children[j].size(); ++c) {
            children[j][c]->mParent = node;
            node->mChildren[c] = children[j][c];
        }
    }
}

aiMesh *buildMesh(const likeness_mesh_desc &d) {
    auto *mesh = new aiMesh();
    mesh->mName = aiString(d.meshName ? d.meshName : "head");
    mesh->mPrimitiveTypes = aiPrimitiveType_TRIANGLE;
    mesh->mMaterialIndex = 0;
    mesh->mNumVertices = d.vertexCount;
    mesh->mVertices = new aiVector3D[d.vertexCount];
    for (unsigned i = 0; i < d.vertexCount; ++i)
        mesh->mVertices[i] = aiVector3D(d.positions[3 * i], d.positions[3 * i + 1], d.positions[3 * i + 2]);
    if (d.normals) {
        mesh->mNormals = new aiVector3D[d.vertexCount];
        for (unsigned i = 0; i < d.vertexCount; ++i)
            mesh->mNormals[i] = aiVector3D(d.normals[3 * i], d.normals[3 * i + 1], d.normals[3 * i + 2]);
    }
    if (d.uvs) {
        mesh->mTextureCoords[0] = new aiVector3D[d.vertexCount];
        mesh->mNumUVComponents[0] = 2;
        for (unsigned i = 0; i < d.vertexCount; ++i)
            mesh->mTextureCoords[0][i] = aiVector3D(d.uvs[2 * i], d.uvs[2 * i + 1], 0);
    }
    mesh->mNumFaces = d.triangleCount;
    mesh->mFaces = new aiFace[d.triangleCount];
    for (unsigned f = 0; f < d.triangleCount; ++f) {
        mesh->mFaces[f].mNumIndices = 3;
        mesh->mFaces[f].mIndices = new unsigned int[3]{d.indices[3 * f], d.indices[3 * f + 1], d.indices[3 * f + 2]};
    }
    if (d.targetCount > 0) {
        mesh->mMethod = aiMorphingMethod_MORPH_RELATIVE;
        mesh->mNumAnimMeshes = d.targetCount;
        mesh->mAnimMeshes = new aiAnimMesh *[d.targetCount];
        for (unsigned t = 0; t < d.targetCount; ++t) {
            auto *anim = new aiAnimMesh();
            anim->mName = aiString(d.targetNames[t]);
            anim->mNumVertices = d.vertexCount;
            anim->mWeight = 0;
            anim->mVertices = new aiVector3D[d.vertexCount];
            const float *p = d.targetPositions + size_t(t) * d.vertexCount * 3;
            for (unsigned i = 0; i < d.vertexCount; ++i) anim->mVertices[i] = aiVector3D(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
            if (d.targetNormals) {
                anim->mNormals = new aiVector3D[d.vertexCount];
                const float *n = d.targetNormals + size_t(t) * d.vertexCount * 3;
                for (unsigned i = 0; i < d.vertexCount; ++i) anim->mNormals[i] = aiVector3D(n[3 * i], n[3 * i + 1], n[3 * i + 2]);
            }
            mesh->mAnimMeshes[t] = anim;
        }
    }
    if (d.jointCount > 0) addBones(mesh, d);
    return mesh;
}

aiMaterial *buildMaterial(const likeness_mesh_desc &d) {
    auto *material = new aiMaterial();
    aiString name(d.materialName ? d.materialName : "skin");
    material->AddProperty(&name, AI_MATKEY_NAME);
    aiColor4D white(1, 1, 1, 1);
    material->AddProperty(&white, 1, AI_MATKEY_COLOR_DIFFUSE);
    if (d.texturePNG && d.textureSize > 0) {
        aiString path("*0"); // embedded texture 0
        material->AddProperty(&path, AI_MATKEY_TEXTURE_DIFFUSE(0));
    }
    return material;
}

aiTexture *buildTexture(const likeness_mesh_desc &d) {
    auto *texture = new aiTexture();
    texture->mWidth = static_cast<unsigned int>(d.textureSize); // compressed: mWidth = byte count
    texture->mHeight = 0;
    std::strncpy(texture->achFormatHint, "png", HINTMAXTEXTURELEN - 1);
    texture->pcData = new aiTexel[(d.textureSize + sizeof(aiTexel) - 1) / sizeof(aiTexel)];
    std::memcpy(texture->pcData, d.texturePNG, d.textureSize);
    texture->mFilename = aiString("albedo.png");
    return texture;
}

} // namespace

extern "C" int likeness_export_mesh(const likeness_mesh_desc *d, const char *formatId, const char *path,
                                    char *error, unsigned long errorCapacity) {
    if (!d || !d->positions || !d->indices || (d->targetCount > 0 && (!d->targetPositions || !d->targetNames))
        || (d->jointCount > 0 && (!d->jointNames || !d->jointParents || !d->jointRestPositions || !d->vertexJoints || !d->vertexWeights)))
        return report(error, errorCapacity, "incomplete mesh description", 1);
    try {
        // aiScene's destructor frees meshes, materials, textures and nodes.
        std::unique_ptr<aiScene> scene(new aiScene());
        // Not "root": three.js's PropertyBinding reads a track on a node named "root" as a track
        // on the object the mixer plays, so an animation's morph-weight track would miss the mesh.
        scene->mRootNode = new aiNode("face");
        scene->mRootNode->mNumMeshes = 1;
        scene->mRootNode->mMeshes = new unsigned int[1]{0};
        if (d->jointCount > 0) addJointNodes(scene->mRootNode, *d);
        scene->mNumMeshes = 1;
        scene->mMeshes = new aiMesh *[1]{buildMesh(*d)};
        scene->mNumMaterials = 1;
        scene->mMaterials = new aiMaterial *[1]{buildMaterial(*d)};
        if (d->texturePNG && d->textureSize > 0) {
            scene->mNumTextures = 1;
            scene->mTextures = new aiTexture *[1]{buildTexture(*d)};
        }
        return exportScene(scene.get(), formatId, path, 1, d->targetNormals != nullptr, true, error, errorCapacity);
    } catch (const std::exception &e) {
        return report(error, errorCapacity, e.what(), 3);
    } catch (...) {
        return report(error, errorCapacity, "unknown C++ exception while building the scene", 4);
    }
}

extern "C" int likeness_inspect_file(const char *path, unsigned int *vertexCount, unsigned int *targetCount,
                                     unsigned int *textureCount, char *names, unsigned long namesCapacity,
                                     unsigned int *boneCount, char *boneNames, unsigned long boneNamesCapacity,
                                     char *error, unsigned long errorCapacity) {
    try {
        Assimp::Importer importer;
        const aiScene *scene = importer.ReadFile(path, 0);
        if (!scene) return report(error, errorCapacity, importer.GetErrorString(), 2);
        if (scene->mNumMeshes == 0) return report(error, errorCapacity, "no mesh in the file", 5);
        const aiMesh *mesh = scene->mMeshes[0];
        *vertexCount = mesh->mNumVertices;
        *targetCount = mesh->mNumAnimMeshes;
        *textureCount = scene->mNumTextures;
        std::string joined;
        for (unsigned t = 0; t < mesh->mNumAnimMeshes; ++t) {
            if (t) joined += '\n';
            joined += mesh->mAnimMeshes[t]->mName.C_Str();
        }
        report(names, namesCapacity, joined, 0);
        *boneCount = mesh->mNumBones;
        std::string bones;
        for (unsigned b = 0; b < mesh->mNumBones; ++b) {
            if (b) bones += '\n';
            bones += mesh->mBones[b]->mName.C_Str();
        }
        report(boneNames, boneNamesCapacity, bones, 0);
        return 0;
    } catch (const std::exception &e) {
        return report(error, errorCapacity, e.what(), 3);
    } catch (...) {
        return report(error, errorCapacity, "unknown C++ exception while importing", 4);
    }
}
