@testable import Analysis
import Capture
import PacketWire
import Testing
import TraceModel

/// `TCPSegment(bytes…)` takes `PacketDecoder.decodeTCP`'s fast path where it
/// can; it must give the segment `decode` gives, packet for packet.
@Suite("fast TCP decode")
struct FastDecodeTests {
    @Test("every packet of every capture: the fast path's segment is decode's", arguments: Captures.names)
    func agrees(name: String) throws {
        let reader = try CaptureFileReader(path: Captures.path(name))
        var fast = 0
        var tcp = 0
        try reader.forEach { r in
            let decoded = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            let slow = TCPSegment(decoded, frame: r.frame, time: r.timestamp)
            let either = TCPSegment(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp)
            #expect(either == slow, "\(name) frame \(r.frame)")
            if slow != nil { tcp += 1 }
            if PacketDecoder.decodeTCP(r.bytes, linkType: r.linkType, originalLength: r.originalLength) != nil { fast += 1 }
        }
        // synscope's own recordings are plain loopback TCP: all of it takes the fast path.
        if name.hasPrefix("run-") { #expect(fast == tcp, "\(name): \(fast) of \(tcp) TCP packets on the fast path") }
    }
}
