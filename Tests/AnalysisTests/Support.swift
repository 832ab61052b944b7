@testable import Analysis
import Capture
import Foundation
import PacketWire
import Testing
import TraceModel

/// Paths to the committed captures and tools.
enum Captures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = root.appendingPathComponent("captures")

    /// Every capture in `captures/` (pcap and pcapng), sorted by name.
    static var names: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// tshark at its Debian path. A missing tshark is a failure, not a skip.
    static let tsharkPath = "/usr/bin/tshark"

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a program and returns its stdout; throws on a non-zero exit.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ToolError(description: "\(executable) is not installed (run tools/setup)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // stderr goes to a file, so that neither pipe can fill up and block the child.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-analysis-\(UUID().uuidString).stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw ToolError(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(err)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A capture run through the connection tracker, segments kept.
struct Analysed {
    /// The annotation `observe` returned for each TCP frame, by frame number.
    var observed: [Int: AnnotatedSegment] = [:]
    /// Every connection, in order of id.
    var connections: [Connection] = []

    /// The annotated segment of `frame` as the finished connection kept it
    /// (with the responder's prior state filled in afterwards).
    func kept(_ frame: Int) -> AnnotatedSegment? {
        for c in connections {
            if let s = c.segments.first(where: { $0.segment.frame == frame }) { return s }
        }
        return nil
    }

    /// The frames that carry `finding`, as kept in the connections.
    func frames(with finding: Finding) -> [Int] {
        connections.flatMap { $0.segments }.filter { $0.findings.contains(finding) }.map(\.segment.frame).sorted()
    }

    init(segments: [TCPSegment], options: ConnectionTracker.Options = .init(keepSegments: true)) {
        var tracker = ConnectionTracker(options: options)
        for s in segments {
            let (annotated, emitted) = tracker.observe(s)
            observed[s.frame] = annotated
            connections += emitted
        }
        connections += tracker.finish()
        connections.sort { $0.id < $1.id }
    }

    init(capture name: String) throws {
        self.init(segments: try Self.segments(of: name))
    }

    /// The TCP segments of a capture, as `synscope analyze` builds them.
    static func segments(of name: String) throws -> [TCPSegment] {
        let reader = try CaptureFileReader(path: Captures.path(name))
        var segments: [TCPSegment] = []
        try reader.forEach { r in
            let d = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            if let s = TCPSegment(d, frame: r.frame, time: r.timestamp) { segments.append(s) }
        }
        return segments
    }
}

/// Hand-built segments between a client and a server on 127.0.0.1.
struct Wire {
    static let client = SocketAddress(.v4(.loopback), 40000)
    static let server = SocketAddress(.v4(.loopback), 8080)

    var frame = 0
    /// Milliseconds since the start; each segment is 1 ms after the previous one unless told.
    var clock: Int64 = 0

    enum Side { case client, server }

    mutating func segment(_ from: Side, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, len: Int = 0,
                          window: UInt16 = 65535, at ms: Int64? = nil) -> TCPSegment {
        frame += 1
        clock = ms ?? (clock + 1)
        let flow = from == .client ? DirectedFlow(Self.client, Self.server) : DirectedFlow(Self.server, Self.client)
        return TCPSegment(frame: frame, time: Timestamp(nanoseconds: 1_000_000_000_000 + clock * 1_000_000), flow: flow,
                          sequence: SequenceNumber(seq), acknowledgment: SequenceNumber(ack), flags: flags,
                          window: window, payloadLength: len)
    }
}

extension TCPFlags {
    static let synACK: TCPFlags = [.syn, .ack]
    static let finACK: TCPFlags = [.fin, .ack]
    static let rstACK: TCPFlags = [.rst, .ack]
    static let pshACK: TCPFlags = [.psh, .ack]
}
