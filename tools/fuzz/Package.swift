// swift-tools-version: 6.0
// A standalone libFuzzer harness for PacketWire; build and run it with ../fuzz-decode.
//
// The main package exports only the `synscope` executable, so a package that
// depends on it by path cannot import PacketWire ("product 'PacketWire' ...
// not found in package 'synscope'"). Until it vends a PacketWire library
// product, Sources/PacketWire and Sources/TraceModel here are symlinks to the
// main package's own source directories: the fuzzer always builds today's
// decoder, with no copy to keep in sync.
import PackageDescription

let package = Package(
    name: "synscope-fuzz",
    targets: [
        .target(name: "TraceModel"),
        .target(name: "PacketWire", dependencies: ["TraceModel"]),
        .executableTarget(name: "PacketWireFuzz", dependencies: ["PacketWire", "TraceModel"]),
    ],
    swiftLanguageModes: [.v6]
)
