@testable import Capture
import Foundation
import Testing
import TraceModel

/// `CaptureFileReader` reads plain classic pcap files itself
/// (`PlainPcapReader`) and hands anything else to libpcap. Whatever the
/// file, what comes out must be what libpcap alone gives: every record
/// (frame, time, lengths, bytes) and the same error at the same frame.
@Suite("the plain pcap reader gives what libpcap gives")
struct PlainReaderTests {
    struct Outcome: Equatable {
        var packets: [CapturedPacket] = []
        var error: String?
    }

    static func read(_ path: String, plain: Bool) -> Outcome {
        var out = Outcome()
        do throws(CaptureError) {
            let reader = try CaptureFileReader(path: path, plainReader: plain)
            try reader.forEach { out.packets.append($0.copy()) }
        } catch {
            out.error = error.description
        }
        return out
    }

    static func compare(_ path: String, _ what: String) {
        let plain = read(path, plain: true), libpcap = read(path, plain: false)
        #expect(plain.error == libpcap.error, "\(what)")
        #expect(plain.packets.count == libpcap.packets.count, "\(what)")
        #expect(plain.packets == libpcap.packets, "\(what)")
    }

    @Test("every bad-input case", arguments: InputCase.all)
    func badInputs(_ input: InputCase) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        Self.compare(try input.materialize(in: dir), input.name)
    }

    @Test("every committed capture")
    func captures() throws {
        let dir = SynscopeBinary.packageRoot.appendingPathComponent("captures")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
            Self.compare(dir.appendingPathComponent(name).path, name)
        }
    }

    /// Records around the reader's 1 MiB refills, cut at every kind of place.
    @Test("a long file cut at 40 places, and records larger than the snapshot length")
    func cuts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var w = PcapWriter(nanosecond: true, snaplen: 1500)
        for i in 0..<3000 {
            let n = 60 + (i * 7919) % 1400
            w.record(seconds: UInt32(1_700_000_000 + i), fraction: UInt32(i * 1000), data: (0..<n).map { UInt8(truncatingIfNeeded: $0 &+ i) })
        }
        let whole = w.bytes
        let path = dir.url.appendingPathComponent("cut.pcap").path
        var rng = SystemRandomNumberGenerator()
        for cut in [24, 25, 39, 40, 41] + (0..<35).map({ _ in Int.random(in: 24..<whole.count, using: &rng) }) {
            try Data(whole.prefix(cut)).write(to: URL(fileURLWithPath: path))
            Self.compare(path, "cut at \(cut) of \(whole.count)")
        }
        // A record whose incl_len exceeds the snaplen in the middle: libpcap cuts it (or fails); the reader defers to it.
        var big = PcapWriter(snaplen: 100)
        for i in 0..<5 { big.record(fraction: UInt32(i), data: [UInt8](repeating: UInt8(i), count: i == 2 ? 300 : 80)) }
        try Data(big.bytes).write(to: URL(fileURLWithPath: path))
        Self.compare(path, "incl_len 300 > snaplen 100 at record 3")
        // Negative seconds and a microsecond fraction past a second, as libpcap passes them.
        var odd = PcapWriter()
        odd.record(seconds: 0xffff_fff0, fraction: 999_999, data: [1, 2, 3])
        odd.record(seconds: 5, fraction: 2_000_000, data: [4])
        try Data(odd.bytes).write(to: URL(fileURLWithPath: path))
        Self.compare(path, "odd timestamps")
    }
}
