import Analysis
import Capture
import Foundation
import Session
import Testing
import TraceModel

/// The one pass: a file and the same packets in memory give the same connections, a read error
/// still hands over the connections tracked before it, and an undecodable link type is refused.
@Suite("pipeline")
struct PipelineTests {
    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures")

    static func connections(_ source: PacketSource) throws -> [Connection] {
        var all: [Connection] = []
        try Pipeline.run(source, track: .init(keepSegments: true), finished: { all += $0 })
        return all.sorted { $0.id < $1.id }
    }

    @Test("a file and its packets in memory give the same connections", arguments: ["conn-graceful.pcap", "run-concurrent-connect.pcapng", "vlan.pcap"])
    func fileEqualsMemory(_ name: String) throws {
        let path = Self.captures.appendingPathComponent(name).path
        let fromFile = try Self.connections(.file(path))
        let fromMemory = try Self.connections(.packets(try CaptureFileReader(path: path).readAll()))
        #expect(!fromFile.isEmpty)
        #expect(fromFile == fromMemory)
    }

    @Test("every packet passes `each` once, in order, with or without tracking")
    func eachSeesEveryPacket() throws {
        let path = Self.captures.appendingPathComponent("conn-graceful.pcap").path
        let count = try CaptureFileReader(path: path).readAll().count
        for track in [nil, ConnectionTracker.Options(keepSegments: false)] {
            var frames: [Int] = []
            try Pipeline.run(.file(path), track: track, each: { frames.append($0.frame) })
            #expect(frames == Array(1...count))
        }
    }

    @Test("a record cut short: the error names the frame, and the connections before it are finished")
    func readErrorFinishesConnections() throws {
        let original = try Data(contentsOf: Self.captures.appendingPathComponent("conn-graceful.pcap"))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-cut-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: cut) }
        try original.prefix(original.count - 20).write(to: cut)
        var finished: [Connection] = []
        do {
            try Pipeline.run(.file(cut.path), track: .init(keepSegments: true), finished: { finished += $0 })
            Issue.record("a cut record read without an error")
        } catch {
            #expect(error.kind == .read)
            #expect(error.frame != nil)
        }
        #expect(finished.count == 1)
        #expect(finished.reduce(0) { $0 + $1.segments.count } > 0)
    }

    @Test("a link type PacketWire does not decode is refused before any packet")
    func unsupportedLinkType() throws {
        // A classic pcap header with link type 147 (LINKTYPE_USER0) and no records.
        let header: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 147, 0, 0, 0]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-user0-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(header).write(to: file)
        var seen = 0
        do {
            try Pipeline.run(.file(file.path), each: { _ in seen += 1 })
            Issue.record("link type 147 was accepted")
        } catch {
            #expect(error.kind == .unsupportedLinkType)
        }
        #expect(seen == 0)
    }
}
