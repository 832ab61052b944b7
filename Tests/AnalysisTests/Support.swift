@testable import Analysis
import Capture
import Foundation
import PacketWire
import TestSupport
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
        guard FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw ToolError(description: "cannot create \(errURL.path)")
        }
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
        self.init(segments: try Self.segments(atPath: Captures.path(name)))
    }

    /// The TCP segments of a capture, as `synscope analyze` builds them.
    static func segments(atPath path: String) throws -> [TCPSegment] {
        let reader = try CaptureFileReader(path: path)
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
    /// Nanoseconds since the start.
    var clock: Int64 = 0

    enum Side { case client, server }

    /// The next segment, `ms` milliseconds after the start (default: 1 ms
    /// after the previous one; fractions allowed as `at: 1.5`).
    mutating func segment(_ from: Side, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, len: Int = 0,
                          window: UInt16 = 65535, windowScale: UInt8? = nil, at ms: Double? = nil) -> TCPSegment {
        frame += 1
        clock = ms.map { Int64($0 * 1_000_000) } ?? (clock + 1_000_000)
        let flow = from == .client ? DirectedFlow(Self.client, Self.server) : DirectedFlow(Self.server, Self.client)
        var options = TCPOptions()
        if flags.contains(.syn) { options.maximumSegmentSize = 65495 }
        options.windowScale = windowScale
        return TCPSegment(frame: frame, time: Timestamp(nanoseconds: Self.start + clock), flow: flow,
                          sequence: SequenceNumber(seq), acknowledgment: SequenceNumber(ack), flags: flags,
                          window: window, payloadLength: len, options: options)
    }

    /// 2026-11-22 00:00:00 UTC, in nanoseconds.
    static let start: Int64 = 1_795_305_600 * 1_000_000_000
}

/// Writes hand-built IPv4 segments as a nanosecond pcap (DLT_EN10MB, all-zero
/// MACs), so that tshark can analyse exactly what synscope analyses.
/// Payload bytes are zeros; the SYN options (MSS, window scale) come from
/// `TCPSegment.options`. Checksums are left zero (tshark does not check them).
enum ScenarioPcap {
    static func bytes(_ segments: [TCPSegment]) -> [UInt8] {
        var out: [UInt8] = []
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        le32(0xa1b2_3c4d); le16(2); le16(4); le32(0); le32(0); le32(262_144); le32(1)
        for (i, s) in segments.enumerated() {
            precondition(s.frame == i + 1, "scenario frames must be numbered 1, 2, 3… in order")
            guard case .v4(let src) = s.flow.source.address, case .v4(let dst) = s.flow.destination.address else {
                preconditionFailure("ScenarioPcap writes IPv4 only")
            }
            var opts: [UInt8] = []
            if let mss = s.options.maximumSegmentSize { opts += [2, 4, UInt8(mss >> 8), UInt8(mss & 0xff)] }
            if let ws = s.options.windowScale { opts += [1, 3, 3, ws] }
            while opts.count % 4 != 0 { opts.append(1) }
            var tcp: [UInt8] = []
            func be16(_ v: UInt16) { tcp += [UInt8(v >> 8), UInt8(v & 0xff)] }
            func be32(_ v: UInt32) { be16(UInt16(v >> 16)); be16(UInt16(v & 0xffff)) }
            be16(s.flow.source.port); be16(s.flow.destination.port)
            be32(s.sequence.rawValue); be32(s.acknowledgment.rawValue)
            be16(UInt16((20 + opts.count) / 4) << 12 | (s.flags.rawValue & 0x1ff))
            be16(s.window); be16(0); be16(0)
            tcp += opts
            tcp += [UInt8](repeating: 0, count: s.payloadLength)
            var ip: [UInt8] = [0x45, 0, UInt8((20 + tcp.count) >> 8), UInt8((20 + tcp.count) & 0xff),
                               UInt8(s.frame >> 8 & 0xff), UInt8(s.frame & 0xff), 0x40, 0, 64, 6, 0, 0]
            for a in [src.value, dst.value] { ip += [UInt8(a >> 24), UInt8(a >> 16 & 0xff), UInt8(a >> 8 & 0xff), UInt8(a & 0xff)] }
            let frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ip + tcp
            le32(UInt32(s.time.seconds)); le32(UInt32(s.time.subsecondNanoseconds))
            le32(UInt32(frame.count)); le32(UInt32(frame.count))
            out += frame
        }
        return out
    }

    /// Writes the segments to a fresh temporary file and returns its path.
    static func write(_ segments: [TCPSegment], name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("synscope-scenario-\(name)-\(UUID().uuidString).pcap")
        try Data(bytes(segments)).write(to: url)
        return url.path
    }
}

extension TCPFlags {
    static let synACK: TCPFlags = [.syn, .ack]
    static let finACK: TCPFlags = [.fin, .ack]
    static let rstACK: TCPFlags = [.rst, .ack]
    static let pshACK: TCPFlags = [.psh, .ack]
}
