// swift-tools-version:6.1
// Likeness — person-specific, animatable 3D face models from photos.
// Dependencies flow one way (see DEVELOPERS.md): C libraries → Imaging/Tensor → FaceModel/FaceDetect
// → Render/Networks → Reconstruction → Assets; Library and Daemon never import the neural code.
import PackageDescription

let openblasPaths: [CSetting] = [.unsafeFlags(["-I/usr/include/x86_64-linux-gnu/openblas-pthread"])]

let package = Package(
    name: "Likeness",
    products: [
        .executable(name: "likeness", targets: ["LikenessCLI"]),
        .library(name: "LikenessKit", targets: [
            "Checksum", "Imaging", "Video", "Tensor", "FaceModel", "FaceDetect", "FaceRecognition", "Render", "Networks",
            "Reconstruction", "Training", "Retargeting", "Assets", "Library", "Daemon",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // MARK: System libraries (Debian packages; Scripts/setup installs them)
        .systemLibrary(name: "COpenBLAS", path: "Sources/System/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/System/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/System/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CHeif", path: "Sources/System/CHeif", pkgConfig: "libheif",
                       providers: [.apt(["libheif-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/System/CWebP", pkgConfig: "libwebp",
                       providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CInotifyTools", path: "Sources/System/CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/System/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/System/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CFFmpeg", path: "Sources/System/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CAssimp", path: "Sources/System/CAssimp", pkgConfig: "assimp",
                       providers: [.apt(["libassimp-dev"])]),
        // A small C++ shim over Assimp::Exporter: the C export API cannot pass export properties
        // (morph-target names, target normals).
        .target(name: "AssimpShim", dependencies: ["CAssimp"], path: "Sources/System/AssimpShim",
                linkerSettings: [.linkedLibrary("assimp"), .linkedLibrary("stdc++")]),

        // MARK: Library targets by concern
        .target(name: "Checksum"),
        .target(name: "Imaging", dependencies: ["CPNG", "CTurboJPEG", "CHeif", "CWebP"]),
        // Video decoding and encoding in process with ffmpeg's libraries.
        .target(name: "Video", dependencies: ["CFFmpeg", "Imaging"]),
        .target(name: "Tensor", dependencies: ["COpenBLAS"], cSettings: openblasPaths),
        .target(name: "FaceModel", dependencies: ["Tensor", "COpenBLAS", "CZlib", "Checksum"]),
        .target(name: "FaceDetect", dependencies: ["Imaging", "Tensor", "COpenBLAS"],
                exclude: ["Resources/BLAZEFACE_LICENSE", "Resources/BLAZEFACE_MODEL_CARD.md"],
                resources: [.copy("Resources/blazeface_short_range.safetensors")]),
        // Identity embeddings (dlib's face-recognition ResNet on Tensor), face chips, the identity gate.
        .target(name: "FaceRecognition", dependencies: ["FaceDetect", "Imaging", "Tensor"]),
        .target(name: "Render", dependencies: ["FaceModel", "Imaging", "Tensor"]),
        .target(name: "Networks", dependencies: ["Tensor"]),
        .target(name: "Assets", dependencies: ["FaceModel", "Imaging", "Render", "AssimpShim"]),
        .target(name: "Reconstruction", dependencies: [
            "Tensor", "FaceModel", "FaceDetect", "FaceRecognition", "Render", "Networks", "Imaging", "Assets", "ShippedModels", "Checksum",
        ]),
        // The training room of the learned core: differentiable face ops, the losses of Eq. 1-2,
        // datasets, trainers and the trained base model in use.
        .target(name: "Training", dependencies: [
            "Tensor", "FaceModel", "FaceDetect", "FaceRecognition", "Networks", "Imaging", "Render", "Reconstruction",
            "ShippedModels", "Checksum", "Assets", "Video",
        ]),
        // Driving photos and video → ARKit weights, jaw, eyes and head pose on a person's head.
        .target(name: "Retargeting", dependencies: [
            "Training", "Reconstruction", "FaceDetect", "FaceModel", "Imaging", "Video", "Render", "Assets",
        ]),
        // Trained weights that ship, each beside its model card.
        .target(name: "ShippedModels", resources: [.copy("base"), .copy("albedo"), .copy("details")]),
        .target(name: "Library", dependencies: ["CSQLite", "Checksum"]),
        .target(name: "Daemon", dependencies: [
            "Library", "CInotifyTools", .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "LikenessCLI", dependencies: [
            "Imaging", "Video", "Tensor", "FaceModel", "FaceDetect", "FaceRecognition", "Render", "Networks",
            "Reconstruction", "Training", "Retargeting", "Assets", "Library", "Daemon", "COpenBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests (one target per module; `Scripts/test` runs them all in release mode)
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "VideoTests", dependencies: ["Video", "Imaging"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"], exclude: ["Fixtures"]),
        .testTarget(name: "FaceModelTests", dependencies: ["FaceModel", "Assets", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "FaceDetectTests", dependencies: ["FaceDetect", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "FaceRecognitionTests", dependencies: ["FaceRecognition", "FaceDetect", "Imaging", "Tensor", "Checksum"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "FaceModel", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "Tensor"], exclude: ["Fixtures"]),
        .testTarget(name: "ReconstructionTests", dependencies: ["Reconstruction", "ShippedModels", "Checksum"]),
        .testTarget(name: "TrainingTests", dependencies: [
            "Training", "Networks", "Tensor", "FaceModel", "FaceRecognition", "Imaging", "Reconstruction", "Render", "ShippedModels",
        ]),
        .testTarget(name: "RetargetingTests", dependencies: ["Retargeting", "Assets", "FaceModel", "Imaging", "Video"]),
        .testTarget(name: "AssetsTests", dependencies: ["Assets", "FaceModel", "Imaging", "Render"]),
        .testTarget(name: "LibraryTests", dependencies: ["Library"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Library"]),
        .testTarget(name: "CLITests", dependencies: ["LikenessCLI", "ShippedModels", "Imaging"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
