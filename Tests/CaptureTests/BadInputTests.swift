import Capture
import Foundation
import Testing
import TraceModel

/// One input file for both the reader and the binary, with what each must do.
struct InputCase: Sendable, CustomTestStringConvertible {
    enum Content: Sendable {
        case bytes([UInt8])
        /// A directory where a file is expected.
        case directory
        /// A path that does not exist.
        case missing
    }

    enum ReaderOutcome: Sendable {
        /// `CaptureFileReader(path:)` succeeds and `forEach` reads this many packets to the end.
        case reads(packets: Int)
        /// `CaptureFileReader(path:)` throws `CaptureError` of kind `.open`
        /// whose description contains the path and `mentioning`.
        case openFails(mentioning: String)
        /// The reader opens; `forEach` hands over `frame - 1` packets, then throws
        /// `CaptureError` of kind `.read` for `frame`.
        case readFails(frame: Int, mentioning: String)
    }

    var name: String
    var content: Content
    var reader: ReaderOutcome
    /// synscope's documented exit code for `synscope decode PATH`.
    var exitCode: Int32
    /// Packet lines synscope must print to stdout (those before any bad record).
    var printed: Int
    /// Text the single `synscope: PATH: …` stderr line must contain; nil when stderr must be empty.
    var error: String?
    /// What each printed packet line must contain.
    var packetText = Fixture.synText

    var testDescription: String { name }
}

extension InputCase {
    static let truncatedSyn = Array(Fixture.synPacket(sequence: 2000).prefix(30))

    static let all: [InputCase] = [
        InputCase(name: "empty file", content: .bytes([]),
                  reader: .openFails(mentioning: "truncated"), exitCode: 2, printed: 0, error: "truncated"),
        InputCase(name: "3 bytes", content: .bytes([0xd4, 0xc3, 0xb2]),
                  reader: .openFails(mentioning: "truncated"), exitCode: 2, printed: 0, error: "truncated"),
        InputCase(name: "4 KiB of seeded random bytes", content: .bytes(randomBytes(4096, seed: 0x5eed_cafe)),
                  reader: .openFails(mentioning: "unknown file format"), exitCode: 2, printed: 0, error: "unknown file format"),
        InputCase(name: "pcap global header cut at 20 bytes", content: .bytes(Array(Fixture.pcap(count: 0).bytes.prefix(20))),
                  reader: .openFails(mentioning: "truncated"), exitCode: 2, printed: 0, error: "truncated"),
        InputCase(name: "pcap global header only", content: .bytes(Fixture.pcap(count: 0).bytes),
                  reader: .reads(packets: 0), exitCode: 0, printed: 0, error: nil),
        InputCase(name: "pcap record header cut short", content: .bytes({
                      var w = Fixture.pcap(count: 1)
                      w.raw([0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00])  // 8 of 16 header bytes
                      return w.bytes
                  }()),
                  reader: .readFails(frame: 2, mentioning: "truncated"), exitCode: 2, printed: 1, error: "frame 2"),
        InputCase(name: "pcap record incl_len runs past EOF", content: .bytes({
                      var w = Fixture.pcap(count: 1)
                      w.recordHeader(seconds: Fixture.seconds + 1, fraction: 0, includedLength: 58, originalLength: 58)
                      w.raw(truncatedSyn)
                      return w.bytes
                  }()),
                  reader: .readFails(frame: 2, mentioning: "truncated"), exitCode: 2, printed: 1, error: "frame 2"),
        // libpcap reads a record longer than the file's snaplen (but within its
        // per-link-type maximum) and cuts it to the snaplen (sf-pcap.c).
        InputCase(name: "pcap record incl_len > snaplen", content: .bytes({
                      var w = Fixture.pcap(count: 0, snaplen: 40)
                      w.record(fraction: 1, data: Fixture.synPacket())
                      w.record(seconds: Fixture.seconds + 1, fraction: 2, data: Fixture.synPacket(sequence: 1001))
                      return w.bytes
                  }()),
                  reader: .reads(packets: 2), exitCode: 0, printed: 2, error: nil,
                  packetText: "IP 10.0.0.1.40000 > 10.0.0.2.80: [|tcp] [truncated TCP"),
        InputCase(name: "pcap record incl_len 0xffffffff", content: .bytes({
                      var w = Fixture.pcap(count: 1)
                      w.recordHeader(seconds: Fixture.seconds + 1, fraction: 0, includedLength: 0xffff_ffff, originalLength: 58)
                      w.raw(Fixture.synPacket())
                      return w.bytes
                  }()),
                  reader: .readFails(frame: 2, mentioning: "4294967295"), exitCode: 2, printed: 1, error: "4294967295"),
        // libpcap replaces a zero or oversized snaplen with the link type's maximum.
        InputCase(name: "pcap snaplen 0xffffffff", content: .bytes(Fixture.pcap(count: 1, snaplen: 0xffff_ffff).bytes),
                  reader: .reads(packets: 1), exitCode: 0, printed: 1, error: nil),
        InputCase(name: "pcap snaplen 0", content: .bytes(Fixture.pcap(count: 1, snaplen: 0).bytes),
                  reader: .reads(packets: 1), exitCode: 0, printed: 1, error: nil),
        InputCase(name: "pcap unknown link type 147", content: .bytes(Fixture.pcap(count: 1, linkType: 147).bytes),
                  reader: .reads(packets: 1), exitCode: 2, printed: 0, error: "link type 147"),
        InputCase(name: "pcapng SHB only", content: .bytes({
                      var w = PcapngWriter()
                      w.sectionHeader()
                      return w.bytes
                  }()),
                  reader: .openFails(mentioning: "Interface Description Block"), exitCode: 2, printed: 0,
                  error: "Interface Description Block"),
        InputCase(name: "pcapng SHB cut short", content: .bytes({
                      var w = PcapngWriter()
                      w.sectionHeader()
                      return Array(w.bytes.prefix(20))
                  }()),
                  reader: .openFails(mentioning: "truncated"), exitCode: 2, printed: 0, error: "truncated"),
        InputCase(name: "pcapng truncated EPB", content: .bytes({
                      var w = PcapngWriter()
                      w.sectionHeader()
                      w.interface()
                      w.enhancedPacket(microseconds: UInt64(Fixture.seconds) * 1_000_000, data: Fixture.synPacket())
                      w.enhancedPacket(microseconds: UInt64(Fixture.seconds + 1) * 1_000_000, data: Fixture.synPacket(sequence: 1001))
                      return Array(w.bytes.dropLast(10))
                  }()),
                  reader: .readFails(frame: 2, mentioning: "truncated"), exitCode: 2, printed: 1, error: "frame 2"),
        InputCase(name: "pcapng SHB + IDB + 2 EPBs", content: .bytes({
                      var w = PcapngWriter()
                      w.sectionHeader()
                      w.interface()
                      w.enhancedPacket(microseconds: UInt64(Fixture.seconds) * 1_000_000 + 123_456, data: Fixture.synPacket())
                      w.enhancedPacket(microseconds: UInt64(Fixture.seconds + 1) * 1_000_000 + 123_456, data: Fixture.synPacket(sequence: 1001))
                      return w.bytes
                  }()),
                  reader: .reads(packets: 2), exitCode: 0, printed: 2, error: nil),
        InputCase(name: "pcap big-endian", content: .bytes(Fixture.pcap(count: 2, bigEndian: true).bytes),
                  reader: .reads(packets: 2), exitCode: 0, printed: 2, error: nil),
        InputCase(name: "pcap nanosecond", content: .bytes(Fixture.pcap(count: 2, nanosecond: true, fraction: 123_456_789).bytes),
                  reader: .reads(packets: 2), exitCode: 0, printed: 2, error: nil),
        InputCase(name: "pcap big-endian nanosecond", content: .bytes(Fixture.pcap(count: 2, bigEndian: true, nanosecond: true, fraction: 123_456_789).bytes),
                  reader: .reads(packets: 2), exitCode: 0, printed: 2, error: nil),
        InputCase(name: "a directory", content: .directory,
                  reader: .openFails(mentioning: "directory"), exitCode: 2, printed: 0, error: "directory"),
        InputCase(name: "a nonexistent path", content: .missing,
                  reader: .openFails(mentioning: "No such file"), exitCode: 2, printed: 0, error: "No such file"),
    ]

    /// The path appears once in an error message (libpcap's own message for a
    /// file it cannot fopen() already starts with the path; CaptureError drops that).
    func expectPathOnce(_ path: String, in message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let count = message.components(separatedBy: path).count - 1
        #expect(count == 1, "\(message)", sourceLocation: sourceLocation)
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    /// Creates the input in `dir` and returns its path.
    func materialize(in dir: TemporaryDirectory) throws -> String {
        let file = name.replacingOccurrences(of: " ", with: "-") + ".pcap"
        switch content {
        case .bytes(let bytes):
            return try dir.write(file, bytes)
        case .directory:
            let url = dir.url.appendingPathComponent(file, isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            return url.path
        case .missing:
            return dir.url.appendingPathComponent(file).path
        }
    }
}

@Suite("CaptureFileReader and synscope decode on good and bad inputs")
struct BadInputTests {
    @Test("CaptureFileReader", arguments: InputCase.all)
    func reader(_ input: InputCase) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try input.materialize(in: dir)

        let reader: CaptureFileReader
        do {
            reader = try CaptureFileReader(path: path)
        } catch {
            guard case .openFails(let mention) = input.reader else {
                Issue.record("open should succeed, threw \(error.description)")
                return
            }
            #expect(error.kind == .open)
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path + ": "), "description must start with the path: \(error.description)")
            input.expectPathOnce(path, in: error.description)
            #expect(error.description.localizedCaseInsensitiveContains(mention), "\(error.description)")
            return
        }
        if case .openFails = input.reader {
            Issue.record("open should fail, but opened as \(reader.linkType)")
            return
        }

        var frames: [Int] = []
        var packets: [CapturedPacket] = []
        do {
            try reader.forEach { record in
                frames.append(record.frame)
                packets.append(record.copy())
            }
            guard case .reads(let count) = input.reader else {
                Issue.record("reading should fail, but read \(frames.count) packets to the end")
                return
            }
            #expect(frames == (0..<count).map { $0 + 1 })
        } catch {
            guard case .readFails(let frame, let mention) = input.reader else {
                Issue.record("reading should succeed, threw \(error.description)")
                return
            }
            #expect(error.kind == .read)
            #expect(error.path == path)
            #expect(error.frame == frame)
            #expect(frames == Array(1..<frame), "every record before the bad one is handed over first")
            #expect(error.description.hasPrefix("\(path): frame \(frame): "), "\(error.description)")
            #expect(error.description.localizedCaseInsensitiveContains(mention), "\(error.description)")
        }
        // Whatever was read is the fixture's SYN, whole or cut to the snaplen.
        let syn = Fixture.synPacket()
        for p in packets {
            #expect(p.linkType.rawValue == (input.name.contains("147") ? 147 : 1))
            #expect(p.originalLength == syn.count)
            #expect(p.bytes.count <= syn.count)
            #expect(Array(p.bytes.prefix(30)) == Array(syn.prefix(30)))
        }
        if input.name == "pcap record incl_len > snaplen" {
            #expect(reader.snapshotLength == 40)
            #expect(packets.allSatisfy { $0.bytes.count == 40 && $0.isCut })
        }
        if input.name.contains("big-endian") {
            #expect(reader.isSwapped)
        }
    }

    @Test("synscope decode", arguments: InputCase.all)
    func binary(_ input: InputCase) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try input.materialize(in: dir)

        let result = try SynscopeBinary.run(["decode", path])
        #expect(result.status == input.exitCode, "stderr: \(result.stderr)")

        let lines = result.stdoutLines
        #expect(lines.count == input.printed, "stdout: \(result.stdout)")
        for line in lines {
            #expect(line.contains(input.packetText), "\(line)")
            #expect(line.hasPrefix("\(Fixture.seconds / 100)"), "a timestamp starts the line: \(line)")
        }

        if let mention = input.error {
            let errors = result.stderrLines
            #expect(errors.count == 1, "exactly one error line; stderr: \(result.stderr)")
            if let line = errors.first {
                #expect(line.hasPrefix("synscope: \(path): "), "the error line names the file: \(line)")
                input.expectPathOnce(path, in: String(line))
                #expect(line.localizedCaseInsensitiveContains(mention), "\(line)")
            }
        } else {
            #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        }
    }
}
