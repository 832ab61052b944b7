// swift-tools-version: 6.0
// libFuzzer harnesses for synscope's parsers of untrusted input; build and run them with ../fuzz-run.
//
// The main package exports only the `synscope` executable, so a package that
// depends on it by path cannot import its libraries ("product 'PacketWire' ...
// not found in package 'synscope'"). Sources/<Library> here are symlinks to
// the main package's own source directories: the fuzzers always build
// today's code, with no copy to keep in sync.
import PackageDescription

let package = Package(
    name: "synscope-fuzz",
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap"),
        .systemLibrary(name: "CSystem"),
        .target(name: "TraceModel"),
        .target(name: "PacketWire", dependencies: ["TraceModel"]),
        .target(name: "Capture", dependencies: ["TraceModel", "CPcap"]),
        .target(name: "Analysis", dependencies: ["TraceModel", "PacketWire"]),
        .target(name: "Sockets", dependencies: ["TraceModel", "CSystem"]),
        .target(name: "KernelEvents", dependencies: ["TraceModel", "CSystem"]),
        .target(
            name: "Scenarios",
            dependencies: ["TraceModel", "Sockets", "KernelEvents", "CSystem", "Capture", "Analysis", .product(name: "Yams", package: "Yams")],
            exclude: ["Catalogue"]
        ),
        .target(name: "Tracer", dependencies: ["TraceModel", "Sockets", "KernelEvents", "CSystem", "Capture", "PacketWire", "Analysis", "Scenarios"]),
        .target(name: "Reports", dependencies: ["TraceModel", "PacketWire", "Analysis"]),
        .target(name: "Session", dependencies: ["TraceModel", "PacketWire", "Capture", "Analysis", "Scenarios", "Tracer", "Reports"]),
        // The packet decoder, every link type.
        .executableTarget(name: "PacketWireFuzz", dependencies: ["PacketWire", "TraceModel"]),
        // The pcapng block scanner that finds synscope's metadata.
        .executableTarget(name: "PcapngScanFuzz", dependencies: ["Capture"]),
        // A saved run's metadata: JSON decoding, its checks, and the rebuilt run.
        .executableTarget(name: "MetadataFuzz", dependencies: ["Capture", "Scenarios", "Session", "Reports", "Analysis", "TraceModel"]),
        // The scenario-file parser (YAML).
        .executableTarget(name: "ScenarioFileFuzz", dependencies: ["Scenarios"]),
    ],
    swiftLanguageModes: [.v6]
)
