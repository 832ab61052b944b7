import Capture
import Foundation
import Reports
import Scenarios
import Analysis
import Session
import TestSupport
import Testing
import TraceModel

/// A saved run whose metadata block lies gets one error naming the file
/// (exit 2 from analyze and report), never a crash; metadata that is well
/// formed but describes sockets and calls the packets never show still gives
/// a report (MetadataLimits).
@Suite("hostile run metadata")
struct HostileMetadataTests {
    static let packets: [CapturedPacket] = (try? CaptureFileReader(path: LiveSupport.root.appendingPathComponent("captures/run-connect.pcapng").path).readAll()) ?? []

    /// The metadata of captures/run-connect.pcapng as JSON text.
    static func connectJSON() throws -> String {
        let m = try #require(try AnnotatedPcapng.readMetadata(path: LiveSupport.root.appendingPathComponent("captures/run-connect.pcapng").path))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(m), as: UTF8.self)
    }

    /// Writes the packets of run-connect with `payload` as the metadata block.
    static func file(_ payload: [UInt8], in dir: URL, name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        var writer = try PcapngWriter(path: path, linkType: packets[0].linkType, snapLength: 262_144, application: "test", sectionComment: "hostile")
        for p in packets { try writer.write(p, comment: nil) }
        try writer.writeMetadata(payload)
        try writer.finish()
        return path
    }

    static func violation(_ payload: [UInt8]) -> String {
        do {
            _ = try AnnotatedPcapng.decodeMetadata(payload)
            return "decoded"
        } catch {
            return error.description
        }
    }

    @Test("JSON nested 10,000 deep is refused before decoding")
    func deepNesting() {
        let json = "{\"scenario\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        #expect(Self.violation(Array(json.utf8)) == "the metadata nests more than 32 levels deep at byte 43")
    }

    @Test("brackets inside JSON strings do not count as nesting")
    func bracketsInStrings() throws {
        var json = try Self.connectJSON()
        json = json.replacingOccurrences(of: "\"kernel\":\"", with: "\"kernel\":\"" + String(repeating: "[{\\\"", count: 100))
        #expect(Self.violation(Array(json.utf8)) == "decoded")
    }

    @Test("invalid UTF-8 is refused")
    func invalidUTF8() throws {
        var bytes = Array(try Self.connectJSON().utf8)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "c")))
        bytes[at] = 0xff
        #expect(Self.violation(bytes) == "the metadata is not UTF-8 text")
    }

    @Test("more than 16 MiB is refused by size")
    func huge() {
        #expect(Self.violation([UInt8](repeating: 0x20, count: 17 << 20)) == "the metadata is 17825792 bytes, more than 16777216")
    }

    @Test("huge counts are refused")
    func hugeCounts() throws {
        let one = try JSONDecoder().decode(RunMetadata.self, from: Data(Self.connectJSON().utf8))
        var m = one
        m.events = Array(repeating: one.events[0], count: MetadataLimits.maximumEvents + 1)
        #expect(throws: MetadataLimits.Violation.self) { try MetadataLimits.check(m) }
        m = one
        m.events[0].arguments = Array(repeating: .init("x", .int(1)), count: MetadataLimits.maximumPerEvent + 1)
        #expect(throws: MetadataLimits.Violation.self) { try MetadataLimits.check(m) }
        m = one
        m.events[0].snapshot = [SocketSnapshot(socket: "s", state: "LISTEN", local: nil, remote: nil, receiveQueue: -1, sendQueue: 0)]
        #expect(throws: MetadataLimits.Violation.self) { try MetadataLimits.check(m) }
    }

    @Test("times that would overflow, or end before they begin, are refused")
    func times() throws {
        for (begin, end) in [(Int64.max - 10, Int64.max), (-5, 10), (20, 10)] {
            var json = try Self.connectJSON()
            let m = try JSONDecoder().decode(RunMetadata.self, from: Data(json.utf8))
            json = json.replacingOccurrences(of: "\"begin\":\(m.events[0].begin.nanoseconds)", with: "\"begin\":\(begin)")
            json = json.replacingOccurrences(of: "\"end\":\(m.events[0].end.nanoseconds)", with: "\"end\":\(end)")
            #expect(Self.violation(Array(json.utf8)).hasPrefix("syscall event 0: begin \(begin) and end \(end) are not times"))
        }
    }

    @Test("a version this synscope does not know is refused")
    func version() throws {
        let json = try Self.connectJSON().replacingOccurrences(of: "\"version\":1", with: "\"version\":99")
        #expect(Self.violation(Array(json.utf8)) == "metadata version 99; this synscope reads version 1")
    }

    @Test("analyze and report: exit 2 and one line naming the file; lies about sockets and calls still give a report")
    func commandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let deep = try Self.file(Array(("{\"events\":" + String(repeating: "[", count: 5_000)).utf8), in: dir, name: "deep.pcapng")
        let wrong = try Self.file(Array("{\"scenario\": 5}".utf8), in: dir, name: "wrong.pcapng")
        for path in [deep, wrong] {
            for arguments in [["analyze", path], ["report", path], ["report", "--format", "html", "-o", dir.appendingPathComponent("r.html").path, path]] {
                let r = try LiveSupport.run(LiveSupport.binary, arguments)
                #expect(r.status == 2, "\(arguments): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
                #expect(r.stderr.contains(path) && r.stderr.contains("synscope metadata block"), "\(arguments): \(r.stderr)")
            }
        }
        // Well-formed lies: sockets never created, calls long after the capture, an unknown scenario.
        var json = try Self.connectJSON()
        json = json.replacingOccurrences(of: "\"socket\":\"client\"", with: "\"socket\":\"ghost\"")
        json = json.replacingOccurrences(of: "\"scenario\":\"connect\"", with: "\"scenario\":\"no-such-scenario\"")
        let m = try JSONDecoder().decode(RunMetadata.self, from: Data(json.utf8))
        let late = m.events.last!.end.nanoseconds + 3_600_000_000_000
        json = json.replacingOccurrences(of: "\"begin\":\(m.events.last!.begin.nanoseconds)", with: "\"begin\":\(late)")
        json = json.replacingOccurrences(of: "\"end\":\(m.events.last!.end.nanoseconds)", with: "\"end\":\(late + 1)")
        let liar = try Self.file(Array(json.utf8), in: dir, name: "liar.pcapng")
        for arguments in [["analyze", "--timeline", liar], ["report", "--format", "json", liar]] {
            let r = try LiveSupport.run(LiveSupport.binary, arguments)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            #expect(r.stdout.contains("ghost"), "\(arguments)")
        }
    }
}
