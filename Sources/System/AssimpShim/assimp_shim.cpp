#include "assimp_shim.h"
#include <assimp/Exporter.hpp>
#include <assimp/config.h>
#include <cstring>
#include <exception>
#include <string>

static int report(char *error, unsigned long capacity, const std::string &message, int code) {
    if (error && capacity > 0) {
        std::strncpy(error, message.c_str(), capacity - 1);
        error[capacity - 1] = '\0';
    }
    return code;
}

extern "C" int likeness_export_scene(const struct aiScene *scene, const char *formatId, const char *path,
                                     int exportTargetNames, int exportTargetNormals,
                                     char *error, unsigned long errorCapacity) {
    if (!scene || !formatId || !path) return report(error, errorCapacity, "null argument", 1);
    try {
        Assimp::Exporter exporter;
        Assimp::ExportProperties properties;
        properties.SetPropertyBool("GLTF2_TARGETNAMES_EXP", exportTargetNames != 0);
        properties.SetPropertyBool("GLTF2_TARGET_NORMAL_EXP", exportTargetNormals != 0);
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
