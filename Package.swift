// swift-tools-version: 6.0
import PackageDescription

/// The per-packet modules (and Session, whose Pipeline holds the packet loop): release builds leave out the run-time exclusivity
/// checks on class properties (swift_beginAccess, ~8% of `analyze`). Debug
/// builds, which the tests use, keep them.
let perPacket: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "synscope",
    products: [
        .executable(name: "synscope", targets: ["synscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Scenario files are YAML: the format users write their own scenarios in.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(name: "CSystem"),
        .target(name: "TraceModel"),
        .target(name: "PacketWire", dependencies: ["TraceModel"], swiftSettings: perPacket),
        .target(name: "Capture", dependencies: ["TraceModel", "CPcap"]),
        .target(name: "Analysis", dependencies: ["TraceModel", "PacketWire"], swiftSettings: perPacket),
        .target(name: "Sockets", dependencies: ["TraceModel", "CSystem"]),
        .target(name: "KernelEvents", dependencies: ["TraceModel", "CSystem"]),
        .target(
            name: "Scenarios",
            dependencies: ["TraceModel", "Sockets", "KernelEvents", "CSystem", "Capture", "Analysis", .product(name: "Yams", package: "Yams")],
            // The YAML files are embedded by tools/embed-catalogue (CatalogueFiles.swift), not shipped as resources.
            exclude: ["Catalogue"]
        ),
        // `synscope trace -- COMMAND`: spawn, follow, capture. (It shares the live-run pieces of Scenarios: the wire's end sentinel.)
        .target(name: "Tracer", dependencies: ["TraceModel", "Sockets", "KernelEvents", "CSystem", "Capture", "PacketWire", "Analysis", "Scenarios"]),
        // Reports only renders: a Timeline, a run's record, connections.
        .target(name: "Reports", dependencies: ["TraceModel", "PacketWire", "Analysis"]),
        // A run or a saved run end to end: the saved-run format and the one pipeline.
        .target(name: "Session", dependencies: ["TraceModel", "PacketWire", "Capture", "Analysis", "Scenarios", "Tracer", "Reports"],
                swiftSettings: perPacket),
        .executableTarget(
            name: "synscope",
            dependencies: [
                "TraceModel", "PacketWire", "Capture", "Analysis", "Reports", "Sockets", "Scenarios", "Tracer", "Session",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What several test targets share: literals for the typed vocabularies, running live programs.
        .target(name: "TestSupport", dependencies: ["TraceModel"], path: "Tests/TestSupport"),
        .testTarget(name: "TraceModelTests", dependencies: ["TraceModel"]),
        .testTarget(name: "PacketWireTests", dependencies: ["PacketWire", "TraceModel"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "TraceModel"]),
        .testTarget(name: "SocketsTests", dependencies: ["TestSupport", "Sockets", "TraceModel"]),
        .testTarget(
            name: "KernelEventsTests",
            dependencies: ["TestSupport", "KernelEvents", "Analysis", "Sockets", "Capture", "PacketWire", "TraceModel"],
            resources: [.copy("Fixtures")]
        ),
        // Examples/ holds scenario files the tests read by path.
        .testTarget(name: "ScenariosTests", dependencies: ["TestSupport", "Scenarios", "Session", "Sockets", "Capture", "Analysis", "Reports", "TraceModel"],
                    exclude: ["Examples"]),
        .testTarget(name: "TracerTests", dependencies: ["TestSupport", "Tracer", "Session", "Scenarios", "Reports", "Analysis", "Capture", "KernelEvents", "Sockets", "TraceModel"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SessionTests", dependencies: ["Session", "Analysis", "Capture", "TraceModel"]),
        .testTarget(name: "AnalysisTests", dependencies: ["TestSupport", "Analysis", "Capture", "PacketWire", "TraceModel"]),
        .testTarget(name: "ReportsTests", dependencies: ["TestSupport", "Reports", "Session", "Scenarios", "Analysis", "Capture", "PacketWire", "TraceModel"]),
    ],
    swiftLanguageModes: [.v6]
)
