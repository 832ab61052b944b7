@testable import Analysis
import Capture
import PacketWire
import TestSupport
import Testing
import TraceModel

/// `TCPSegment(bytes…)` and `TCPSegment.load` take `PacketDecoder.decodeTCP`'s
/// fast path where they can; they must give the segment `decode` gives,
/// packet for packet, header fields included.
@Suite("fast TCP decode")
struct FastDecodeTests {
    @Test("every packet of every capture: the fast path's segment is decode's", arguments: Captures.names)
    func agrees(name: String) throws {
        let reader = try CaptureFileReader(path: Captures.path(name))
        var fast = 0
        var tcp = 0
        // One segment loaded packet after packet, as `analyze` does: nothing of an earlier packet may stay.
        var reused = TCPSegment.empty
        try reader.forEach { r in
            let decoded = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            let slow = TCPSegment(decoded, frame: r.frame, time: r.timestamp)
            let either = TCPSegment(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp)
            #expect(either == slow, "\(name) frame \(r.frame)")
            let loaded = reused.load(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp)
            #expect(loaded == (slow != nil), "\(name) frame \(r.frame)")
            if let slow { #expect(reused == slow, "\(name) frame \(r.frame), loaded in place") }
            if slow != nil { tcp += 1 }
            if PacketDecoder.decodeTCP(r.bytes, linkType: r.linkType, originalLength: r.originalLength) != nil { fast += 1 }
        }
        // synscope's own recordings are plain loopback TCP: all of it takes the fast path.
        if name.hasPrefix("run-") { #expect(fast == tcp, "\(name): \(fast) of \(tcp) TCP packets on the fast path") }
    }

    @Test("a segment loaded in place after a cut copy of its packet is the packet's segment", arguments: Captures.names)
    func loadAfterCut(name: String) throws {
        let reader = try CaptureFileReader(path: Captures.path(name))
        var reused = TCPSegment.empty
        try reader.forEach { r in
            guard let slow = TCPSegment(r.bytes, linkType: r.linkType, originalLength: r.originalLength,
                                        frame: r.frame, time: r.timestamp) else { return }
            // Cuts inside the options, the fixed TCP header and the payload leave
            // truncation, problems and cut options behind if `load` kept any.
            for cut in [56, 60, 66, r.bytes.count / 2, r.bytes.count - 1] where cut > 0 && cut < r.bytes.count {
                _ = reused.load(UnsafeRawBufferPointer(rebasing: r.bytes[..<cut]), linkType: r.linkType,
                                originalLength: r.originalLength, frame: 0, time: Timestamp(nanoseconds: 0))
                _ = reused.load(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp)
                #expect(reused == slow, "\(name) frame \(r.frame) after a cut at \(cut)")
            }
        }
    }
}
