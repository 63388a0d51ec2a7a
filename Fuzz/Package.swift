// swift-tools-version:6.1
// libFuzzer targets for Likeness's untrusted-input parsers. A separate package so the main build
// never sees the sanitizer flags. Build and run with ../Scripts/fuzz (see README.md).
import PackageDescription

let package = Package(
    name: "LikenessFuzz",
    dependencies: [
        // The main package (`..`) through a committed symlink: a path dependency's identity is its
        // directory name, which differs between clones and worktrees; the link fixes it as "Likeness".
        .package(path: "Dependencies/Likeness"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (see the header for why).
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "FuzzImageDecoder", dependencies: [
            "CFuzzDriver", .product(name: "LikenessKit", package: "Likeness"),
        ]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: [
            "CFuzzDriver", .product(name: "LikenessKit", package: "Likeness"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
