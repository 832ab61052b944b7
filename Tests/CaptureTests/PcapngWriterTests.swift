import Capture
import Foundation
import Testing
import TraceModel

// CaptureFixtures.swift declares a test-only `PcapngWriter` (a byte builder)
// in this module, which shadows Capture's; this file names Capture's in full.
private typealias Writer = Capture.PcapngWriter

/// Tests of `Capture.PcapngWriter` against capinfos, tshark, tcpdump and
/// libpcap, and of `PcapngMetadataReader` on valid, cut and lying files.
@Suite struct PcapngWriterTests {
    // MARK: Files the writer makes, read by other tools

    @Test(arguments: PngScenario.all)
    func capinfosAcceptsTheFile(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        let run = try PngTool.run(PngTool.capinfos, [path])
        #expect(run.status == 0, "capinfos: \(run.stderr)")
        let fields = run.fields
        #expect(fields["File type"] == "Wireshark/... - pcapng")
        #expect(fields["File encapsulation"] == "Ethernet")
        #expect(fields["Number of packets"] == String(scenario.packets.count))
        #expect(fields["File timestamp precision"] == "nanoseconds (9)")
        #expect(fields["Capture application"] == PngScenario.application)
        #expect(fields["Capture comment"] == scenario.sectionComment)
        #expect(run.stdout.contains("Name = lo"))
    }

    /// tshark 4.0.17 calls the packet comment field `frame.comment`
    /// (`tshark -G fields`; `pkt_comment` is the protocol, not a field).
    @Test(arguments: PngScenario.all)
    func tsharkPrintsExactlyTheComments(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        let run = try PngTool.run(PngTool.tshark, ["-r", path, "-Y", "!frame.cb_pen", "-T", "fields", "-e", "frame.comment"])
        #expect(run.status == 0, "tshark: \(run.stderr)")
        #expect(run.lines == scenario.packets.map { Substring($0.comment ?? "") })
    }

    /// tshark 4.0.17 shows each Custom Block as a record of its own, numbered
    /// like a frame (`frame.cb_pen` set, no time): a metadata block written
    /// before packets shifts tshark's frame numbers away from libpcap's.
    @Test(arguments: PngScenario.all)
    func tsharkSeesEveryBlockWithItsTimeAndLengths(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        let fields = ["frame.number", "frame.cb_pen", "frame.time_epoch", "frame.len", "frame.cap_len", "frame.interface_name", "frame.comment"]
        let run = try PngTool.run(PngTool.tshark, ["-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] })
        #expect(run.status == 0, "tshark: \(run.stderr)")
        #expect(!run.stderr.contains("damaged or corrupt"), "tshark: \(run.stderr)")
        let metadata = scenario.metadata.map { m -> [String] in
            let length = String(8 + (m.count + 3) / 4 * 4)  // "SYNS", payload length, padded payload
            return ["32473", "", length, length, "", ""]
        }
        let packets = scenario.packets.map { p in
            ["", p.packet.timestamp.decimalString, String(p.packet.originalLength), String(p.packet.capturedLength), "lo", p.comment ?? ""]
        }
        let records = Array(metadata.prefix(1)) + packets + metadata.dropFirst()
        let expected = records.enumerated().map { [String($0.offset + 1)] + $0.element }
        #expect(run.lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) } == expected)
    }

    @Test(arguments: PngScenario.all)
    func tcpdumpReadsTheFile(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        let run = try PngTool.run(PngTool.tcpdump, ["-nn", "-tt", "--nano", "-r", path])
        #expect(run.status == 0, "tcpdump: \(run.stderr)")
        #expect(run.stderr.contains("link-type EN10MB"))
        try #require(run.lines.count == scenario.packets.count, "tcpdump printed:\n\(run.stdout)")
        for (line, p) in zip(run.lines, scenario.packets) {
            #expect(line.hasPrefix("\(p.packet.timestamp.decimalString) IP 10.0.0."), "\(line)")
            #expect(line.contains("Flags [\(p.tcpdumpFlags)]"), "\(line)")
        }
    }

    @Test(arguments: PngScenario.all)
    func libpcapReadsBackTheSamePackets(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        let reader = try CaptureFileReader(path: path)
        #expect(reader.linkType == .ethernet)
        #expect(reader.snapshotLength == scenario.snapLength)
        let read = try reader.readAll()
        #expect(read == scenario.packets.map(\.packet))
    }

    @Test(arguments: PngScenario.all)
    func metadataReaderReturnsThePayloads(_ scenario: PngScenario) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try scenario.write(in: dir)
        #expect(try PcapngMetadataReader.read(path: path) == scenario.metadata)
    }

    // MARK: The .partial file

    @Test(arguments: PngDrop.allCases)
    func droppedWriterLeavesNoFile(_ drop: PngDrop) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = dir.path("dropped.pcapng")
        let previous: [UInt8] = Array("an older capture".utf8)
        if drop == .replacingAnExistingFile { try Data(previous).write(to: URL(fileURLWithPath: path)) }
        try drop.writeWithoutFinishing(path: path)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        if drop == .replacingAnExistingFile {
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == previous)
        } else {
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func finishRenamesThePartialFileOnce() throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = dir.path("finished.pcapng")
        var writer = try Writer(path: path, linkType: .ethernet, snapLength: 65535, application: "t", sectionComment: nil)
        try writer.write(PngScenario.packet(frame: 1, PngPacket.syn), comment: nil)
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(!FileManager.default.fileExists(atPath: path))
        try writer.finish()
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        #expect(try CaptureFileReader(path: path).readAll().count == 1)
        let again = #expect(throws: CaptureError.self) { try writer.finish() }
        #expect(again?.description.contains("already finished") == true)
        #expect(throws: CaptureError.self) { try writer.write(PngScenario.packet(frame: 2, PngPacket.syn), comment: nil) }
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test func openFailureNamesThePathAndErrno() {
        let path = "/nonexistent-synscope-directory/capture.pcapng"
        let error = #expect(throws: CaptureError.self) {
            _ = try Writer(path: path, linkType: .ethernet, snapLength: 65535, application: "t", sectionComment: nil)
        }
        #expect(error?.kind == .open)
        #expect(error?.description.contains(path + ".partial") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test(arguments: PngRejected.all)
    func unstorablePacketIsRejectedAndNothingWritten(_ rejected: PngRejected) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = dir.path("rejected.pcapng")
        var writer = try Writer(path: path, linkType: .ethernet, snapLength: 100, application: "t", sectionComment: nil)
        let error = #expect(throws: CaptureError.self) { try writer.write(rejected.packet, comment: rejected.comment) }
        #expect(error?.kind == .read)
        #expect(error?.frame == 7)
        #expect(error?.description.contains(rejected.mentioning) == true, "\(String(describing: error))")
        try writer.write(PngScenario.packet(frame: 8, PngPacket.syn), comment: "after")
        try writer.finish()
        #expect(try CaptureFileReader(path: path).readAll().map(\.frame) == [1])
    }

    // MARK: The metadata scanner

    @Test func everyPrefixThrowsOrReturnsTheBlocksItHolds() throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let full = try Array(Data(contentsOf: URL(fileURLWithPath: PngScenario.all[0].write(in: dir))))
        let blocks = PngBlocks.walk(full)
        let ends = Set(blocks.map { $0.offset + $0.length })
        for length in 0...full.count {
            let path = try dir.write("prefix-\(length).pcapng", Array(full.prefix(length)))
            do throws(CaptureError) {
                let payloads = try PcapngMetadataReader.read(path: path)
                #expect(ends.contains(length), "prefix \(length) returned \(payloads.count) payloads")
                let held = blocks.filter { $0.offset + $0.length <= length && $0.type == 0xBAD }.count
                #expect(payloads == Array(PngScenario.all[0].metadata.prefix(held)))
            } catch {
                #expect(!ends.contains(length), "prefix \(length): \(error)")
                #expect(error.description.contains(path))
                if length >= 4 { #expect(error.description.contains("byte offset"), "\(error)") }
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test(arguments: PngLie.all)
    func lyingLengthNamesTheBlockOffset(_ lie: PngLie) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: PngScenario.all[0].write(in: dir))))
        let offset = lie.apply(to: &bytes)
        let path = try dir.write("lie.pcapng", bytes)
        let error = #expect(throws: CaptureError.self) { try PcapngMetadataReader.read(path: path) }
        #expect(error?.kind == .read)
        #expect(error?.description.contains("\(path): ") == true)
        #expect(error?.description.contains("byte offset \(offset):") == true, "\(String(describing: error))")
        #expect(error?.description.contains(lie.mentioning) == true, "\(String(describing: error))")
    }

    @Test(arguments: [[0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d], [0x4d, 0x3c, 0xb2, 0xa1]] as [[UInt8]])
    func classicPcapHasNoMetadata(_ magic: [UInt8]) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try dir.write("classic.pcap", magic + [0, 2, 0, 4] + [UInt8](repeating: 0, count: 16))
        #expect(try PcapngMetadataReader.read(path: path) == [])
    }

    /// A big-endian section holding a not-copiable SYNS block, blocks with
    /// another PEN or magic, then a little-endian section with one more.
    @Test func bothByteOrdersBothCustomTypesAndSeveralSections() throws {
        let dir = try PngTemp(); defer { dir.remove() }
        var bytes = PngBlocks.section(bigEndian: true)
        bytes += PngBlocks.custom(0x4000_0BAD, pen: 32473, magic: "SYNS", payload: Array("first".utf8), bigEndian: true)
        bytes += PngBlocks.custom(0xBAD, pen: 12345, magic: "SYNS", payload: [1, 2, 3], bigEndian: true)
        bytes += PngBlocks.custom(0xBAD, pen: 32473, magic: "NOPE", payload: [4, 5, 6], bigEndian: true)
        bytes += PngBlocks.section(bigEndian: false)
        bytes += PngBlocks.custom(0xBAD, pen: 32473, magic: "SYNS", payload: Array("second".utf8), bigEndian: false)
        let path = try dir.write("sections.pcapng", bytes)
        #expect(try PcapngMetadataReader.read(path: path) == [Array("first".utf8), Array("second".utf8)])
    }

    @Test(arguments: PngNotCapture.allCases)
    func nonCaptureInputThrowsOpen(_ input: PngNotCapture) throws {
        let dir = try PngTemp(); defer { dir.remove() }
        let path = try input.make(in: dir)
        let error = #expect(throws: CaptureError.self) { try PcapngMetadataReader.read(path: path) }
        #expect(error?.kind == .open)
        #expect(error?.description.hasPrefix("\(path): ") == true)
        #expect(error?.description.contains(input.mentioning) == true, "\(String(describing: error))")
    }
}

// MARK: - Fixtures

/// A capture to write: packets with their comments, metadata payloads (the
/// first written before the packets, the rest after), and section settings.
struct PngScenario: Sendable, CustomTestStringConvertible {
    struct Entry: Sendable {
        var packet: CapturedPacket
        var comment: String?
        /// What tcpdump prints between `Flags [` and `]`.
        var tcpdumpFlags: String
    }

    var name: String
    var packets: [Entry]
    var metadata: [[UInt8]]
    var sectionComment: String?
    var snapLength: Int

    var testDescription: String { name }
    static let application = "synscope PcapngWriterTests"

    /// A packet on the Ethernet link, `frame` ms (plus `frame` ns) after a base time with all nine digits.
    static func packet(frame: Int, _ bytes: [UInt8], snapLength: Int = .max) -> CapturedPacket {
        let ns = 1_700_000_000_123_456_789 + Int64(frame) * 1_000_001
        return CapturedPacket(frame: frame, timestamp: Timestamp(nanoseconds: ns), linkType: .ethernet,
                              originalLength: bytes.count, bytes: Array(bytes.prefix(snapLength)))
    }

    static let all: [PngScenario] = [
        PngScenario(
            name: "handshake with comments, JSON metadata, section comment",
            packets: [
                Entry(packet: packet(frame: 1, PngPacket.syn), comment: "connect() → SYN", tcpdumpFlags: "S"),
                Entry(packet: packet(frame: 2, PngPacket.synAck), comment: nil, tcpdumpFlags: "S."),
                Entry(packet: packet(frame: 3, PngPacket.ack), comment: "established", tcpdumpFlags: "."),
            ],
            metadata: [Array(#"{"scenario":"handshake"}"#.utf8), Array(#"{"calls":[]}"#.utf8)],
            sectionComment: "synscope test capture", snapLength: 262_144),
        PngScenario(
            name: "snaplen cut, UTF-8 comment, empty comment, payloads ending in zeros",
            packets: [
                Entry(packet: packet(frame: 1, PngPacket.data, snapLength: 96), comment: "données coupées ✂", tcpdumpFlags: "P."),
                Entry(packet: packet(frame: 2, PngPacket.fin), comment: "", tcpdumpFlags: "F."),
            ],
            metadata: [[0x7b, 0x00, 0x00], []], sectionComment: nil, snapLength: 96),
        PngScenario(
            name: "no comments, no metadata",
            packets: [
                Entry(packet: packet(frame: 1, PngPacket.syn), comment: nil, tcpdumpFlags: "S"),
                Entry(packet: packet(frame: 2, PngPacket.syn), comment: nil, tcpdumpFlags: "S"),
            ],
            metadata: [], sectionComment: nil, snapLength: 65535),
    ]

    /// Writes the scenario with `PcapngWriter` and returns the finished file's path.
    func write(in dir: PngTemp) throws -> String {
        let path = dir.path("scenario.pcapng")
        var writer = try Capture.PcapngWriter(path: path, linkType: .ethernet, snapLength: snapLength,
                                              application: Self.application, sectionComment: sectionComment)
        if let first = metadata.first { try writer.writeMetadata(first) }
        for entry in packets { try writer.write(entry.packet, comment: entry.comment) }
        for payload in metadata.dropFirst() { try writer.writeMetadata(payload) }
        try writer.finish()
        return path
    }
}

/// Ethernet II + IPv4 + TCP between 10.0.0.1:40000 and 10.0.0.2:80, with
/// correct checksums (RFC 1071).
enum PngPacket {
    static let syn = tcp(fromClient: true, seq: 1000, ack: 0, flags: 0x02)
    static let synAck = tcp(fromClient: false, seq: 5000, ack: 1001, flags: 0x12)
    static let ack = tcp(fromClient: true, seq: 1001, ack: 5001, flags: 0x10)
    static let data = tcp(fromClient: true, seq: 1001, ack: 5001, flags: 0x18, payload: (0..<100).map { UInt8($0) })
    static let fin = tcp(fromClient: true, seq: 1101, ack: 5001, flags: 0x11)

    static func tcp(fromClient: Bool, seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8] = []) -> [UInt8] {
        let client: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]
        let (src, dst) = fromClient ? (client, server) : (server, client)
        let (sport, dport): (UInt16, UInt16) = fromClient ? (40000, 80) : (80, 40000)
        var tcp = be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
        let tcpSum = checksum(src + dst + [0, 6] + be16(UInt16(tcp.count)) + tcp)
        tcp[16] = UInt8(tcpSum >> 8); tcp[17] = UInt8(tcpSum & 0xff)
        var ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 1, 0x40, 0, 64, 6, 0, 0] + src + dst
        let ipSum = checksum(ip)
        ip[10] = UInt8(ipSum >> 8); ip[11] = UInt8(ipSum & 0xff)
        return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + tcp
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xffff)) }

    static func checksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: data.count, by: 2) {
            sum += UInt32(data[i]) << 8 | (i + 1 < data.count ? UInt32(data[i + 1]) : 0)
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// Where a writer is dropped without `finish()`.
enum PngDrop: CaseIterable, Sendable {
    case rightAfterInit, afterPackets, afterMetadata, afterARejectedPacket, replacingAnExistingFile

    func writeWithoutFinishing(path: String) throws {
        var writer = try Capture.PcapngWriter(path: path, linkType: .ethernet, snapLength: 65535, application: "t", sectionComment: "c")
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
        switch self {
        case .rightAfterInit: break
        case .afterPackets, .replacingAnExistingFile:
            for frame in 1...3 { try writer.write(PngScenario.packet(frame: frame, PngPacket.syn), comment: "x") }
        case .afterMetadata:
            try writer.writeMetadata(Array("{}".utf8))
        case .afterARejectedPacket:
            var ipv6 = PngScenario.packet(frame: 1, PngPacket.syn)
            ipv6.linkType = .raw
            #expect(throws: CaptureError.self) { try writer.write(ipv6, comment: nil) }
        }
        #expect(FileManager.default.fileExists(atPath: path + ".partial"))
    }
}

/// A packet the writer (snaplen 100, Ethernet) must refuse, as frame 7.
struct PngRejected: Sendable, CustomTestStringConvertible {
    var testDescription: String
    var packet: CapturedPacket
    var comment: String?
    var mentioning: String

    static let good = PngScenario.packet(frame: 7, PngPacket.syn)
    static func with(_ change: (inout CapturedPacket) -> Void) -> CapturedPacket {
        var p = good
        change(&p)
        return p
    }

    static let all: [PngRejected] = [
        PngRejected(testDescription: "another link type", packet: with { $0.linkType = .linuxSLL }, mentioning: "link type LINUX_SLL"),
        PngRejected(testDescription: "timestamp before 1970", packet: with { $0.timestamp = Timestamp(nanoseconds: -1) }, mentioning: "before 1970"),
        PngRejected(testDescription: "more bytes than the snaplen", packet: with { $0.bytes = PngPacket.data; $0.originalLength = 154 },
                    mentioning: "exceed the snapshot length 100"),
        PngRejected(testDescription: "original length below captured length", packet: with { $0.originalLength = 10 },
                    mentioning: "original length 10"),
        PngRejected(testDescription: "comment over 65535 bytes", packet: good, comment: String(repeating: "é", count: 40_000),
                    mentioning: "80000 bytes"),
    ]
}

/// A scratch directory, removed by `remove()`.
struct PngTemp {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-pcapng-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs capinfos, tshark or tcpdump. A missing tool fails the test.
enum PngTool {
    static let capinfos = "/usr/bin/capinfos"
    static let tshark = "/usr/bin/tshark"
    static let tcpdump = "/usr/bin/tcpdump"

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(stdout.hasSuffix("\n") ? 1 : 0) }
        /// capinfos's `Name:   value` lines.
        var fields: [String: String] {
            var result: [String: String] = [:]
            for line in lines where !line.hasPrefix(" ") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                result[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return result
        }
    }

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func run(_ tool: String, _ arguments: [String]) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw Missing(description: "\(tool) is missing; install tshark and tcpdump (apt-get install tshark tcpdump)")
        }
        let dir = try PngTemp(); defer { dir.remove() }
        let out = try dir.write("stdout", []), err = try dir.write("stderr", [])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: try String(contentsOfFile: out, encoding: .utf8),
                   stderr: try String(contentsOfFile: err, encoding: .utf8))
    }
}

/// Little- or big-endian pcapng blocks built by hand, and a walker for the
/// little-endian files `PcapngWriter` makes.
enum PngBlocks {
    struct Block { var offset: Int; var type: UInt32; var length: Int }

    static func u32(_ v: UInt32, bigEndian: Bool) -> [UInt8] {
        let b = PngPacket.be32(v)
        return bigEndian ? b : b.reversed()
    }

    static func le32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    static func walk(_ bytes: [UInt8]) -> [Block] {
        var blocks: [Block] = [], offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(le32(bytes, at: offset + 4))
            blocks.append(Block(offset: offset, type: le32(bytes, at: offset), length: length))
            offset += length
        }
        return blocks
    }

    static func block(_ type: UInt32, _ body: [UInt8], bigEndian: Bool) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = u32(UInt32(12 + padded.count), bigEndian: bigEndian)
        return u32(type, bigEndian: bigEndian) + length + padded + length
    }

    /// A Section Header Block without options.
    static func section(bigEndian: Bool) -> [UInt8] {
        let version: [UInt8] = bigEndian ? [0, 1, 0, 0] : [1, 0, 0, 0]
        return block(0x0A0D_0D0A, u32(0x1A2B_3C4D, bigEndian: bigEndian) + version + [UInt8](repeating: 0xff, count: 8), bigEndian: bigEndian)
    }

    /// A Custom Block laid out as synscope's: PEN, magic, payload length, payload.
    static func custom(_ type: UInt32, pen: UInt32, magic: String, payload: [UInt8], bigEndian: Bool) -> [UInt8] {
        let body = u32(pen, bigEndian: bigEndian) + Array(magic.utf8) + u32(UInt32(payload.count), bigEndian: bigEndian) + payload
        return block(type, body, bigEndian: bigEndian)
    }
}

/// A block length that lies, in the first scenario's file
/// (SHB, IDB, custom, EPB, EPB, EPB, custom).
struct PngLie: Sendable, CustomTestStringConvertible {
    enum Target: Sendable { case sectionHeader, interface, firstPacket, lastMetadata }
    enum Change: Sendable {
        case length(UInt32)
        case lengthBy(Int)
        case trailerBy(Int)
        case byteOrderMagic
        case payloadLength(UInt32)
    }

    var testDescription: String
    var target: Target
    var change: Change
    var mentioning: String

    static let all: [PngLie] = [
        PngLie(testDescription: "SHB length 24, below its 28", target: .sectionHeader, change: .length(24), mentioning: "less than the minimum 28"),
        PngLie(testDescription: "SHB with an unknown byte-order magic", target: .sectionHeader, change: .byteOrderMagic, mentioning: "byte-order magic"),
        PngLie(testDescription: "IDB length not a multiple of 4", target: .interface, change: .lengthBy(2), mentioning: "not a multiple of 4"),
        PngLie(testDescription: "IDB trailer differs", target: .interface, change: .trailerBy(4), mentioning: "trailing Block Total Length"),
        PngLie(testDescription: "EPB length 8, below 12", target: .firstPacket, change: .length(8), mentioning: "less than the minimum 12"),
        PngLie(testDescription: "EPB length 0", target: .firstPacket, change: .length(0), mentioning: "less than the minimum 12"),
        PngLie(testDescription: "EPB length 4 bytes short", target: .firstPacket, change: .lengthBy(-4), mentioning: "trailing Block Total Length"),
        PngLie(testDescription: "EPB length beyond the end of the file", target: .firstPacket, change: .length(0xFFFF_FFFC), mentioning: "past the end of the file"),
        PngLie(testDescription: "custom block length 12, below 16", target: .lastMetadata, change: .length(12), mentioning: "less than the minimum 16"),
        PngLie(testDescription: "custom block 4 bytes beyond the end", target: .lastMetadata, change: .lengthBy(4), mentioning: "past the end of the file"),
        PngLie(testDescription: "metadata payload length beyond its block", target: .lastMetadata, change: .payloadLength(1000), mentioning: "payload length 1000"),
    ]

    /// Makes the change and returns the offset of the block it made lie.
    func apply(to bytes: inout [UInt8]) -> Int {
        let blocks = PngBlocks.walk(bytes)
        let block: PngBlocks.Block = switch target {
        case .sectionHeader: blocks[0]
        case .interface: blocks[1]
        case .firstPacket: blocks.first { $0.type == 6 }!
        case .lastMetadata: blocks.last { $0.type == 0xBAD }!
        }
        func put(_ value: UInt32, at i: Int) { bytes.replaceSubrange(i..<(i + 4), with: PngBlocks.u32(value, bigEndian: false)) }
        let length = UInt32(block.length)
        switch change {
        case .length(let v): put(v, at: block.offset + 4)
        case .lengthBy(let d): put(UInt32(Int(length) + d), at: block.offset + 4)
        case .trailerBy(let d): put(UInt32(Int(length) + d), at: block.offset + block.length - 4)
        case .byteOrderMagic: put(0x1A2B_3C4E, at: block.offset + 8)
        case .payloadLength(let v): put(v, at: block.offset + 16)
        }
        return block.offset
    }
}

/// Inputs that are not captures at all.
enum PngNotCapture: CaseIterable, Sendable {
    case empty, threeBytes, text, directory, missing

    var mentioning: String {
        switch self {
        case .empty: "the file is empty"
        case .threeBytes: "the file is 3 bytes"
        case .text: "not a pcapng file"
        case .directory: "is a directory"
        case .missing: "No such file or directory"
        }
    }

    func make(in dir: PngTemp) throws -> String {
        switch self {
        case .empty: return try dir.write("empty", [])
        case .threeBytes: return try dir.write("three", [0x0a, 0x0d, 0x0d])
        case .text: return try dir.write("text", Array("hello, this is not a capture\n".utf8))
        case .directory:
            try FileManager.default.createDirectory(atPath: dir.path("sub"), withIntermediateDirectories: false)
            return dir.path("sub")
        case .missing: return dir.path("missing.pcapng")
        }
    }
}
