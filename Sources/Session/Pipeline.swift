import Analysis
import Capture
import PacketWire
import TraceModel

/// Where a pass reads its packets: a capture file, or a run's packets in memory.
public enum PacketSource {
    case file(String)
    case packets([CapturedPacket])
}

/// The one pass over packets that `decode`, `analyze`, `report`, `run` and
/// `trace` share: read (Capture) → decode (PacketWire) → track (Analysis).
/// A run's pass goes on to correlate and check (`RunRecord.init(metadata:packets:scenario:)`).
public enum Pipeline {
    /// Runs one pass over `source`.
    /// - `each` sees every packet as it is read, fully decoded when `decode` is set (`decode` formats
    ///   it, a run collects its segments and datagrams, `report` keeps a copy).
    /// - With `track`, each TCP segment is decoded in place into one reused segment and followed;
    ///   `finished` gets the connections as they end, and the rest at the end of the pass, also when
    ///   a read error stops it.
    /// A file must hold a link type PacketWire decodes. Read errors are thrown.
    public static func run(_ source: PacketSource, decode: Bool = false, track: ConnectionTracker.Options? = nil,
                           each: (PacketRecord, DecodedPacket?) -> Void = { _, _ in },
                           finished: ([Connection]) -> Void = { _ in }) throws(CaptureError) {
        var tracker = track.map { ConnectionTracker(options: $0) }
        // One segment, decoded into in place packet after packet. Held through a pointer:
        // a captured var was copied for each call.
        let seg = UnsafeMutablePointer<TCPSegment>.allocate(capacity: 1)
        seg.initialize(to: .empty)
        defer { seg.deinitialize(count: 1).deallocate() }
        func pass(_ r: PacketRecord) {
            each(r, decode ? PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength) : nil)
            if tracker != nil, seg.pointee.load(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp) {
                let emitted = tracker!.follow(seg.pointee)
                if !emitted.isEmpty { finished(emitted) }
            }
        }
        do {
            switch source {
            case .file(let path):
                let reader = try CaptureFileReader(path: path)
                try reader.requireDecodableLinkType()
                try reader.forEach(pass)
            case .packets(let packets):
                for p in packets {
                    p.bytes.withUnsafeBytes { pass(PacketRecord(p, bytes: $0)) }
                }
            }
        } catch {
            if tracker != nil { finished(tracker!.finish()) }
            throw error
        }
        if tracker != nil { finished(tracker!.finish()) }
    }
}

extension CaptureFileReader {
    /// Throws, naming the file and the link type, when PacketWire cannot decode this file's link type.
    public func requireDecodableLinkType() throws(CaptureError) {
        guard LinkHeader.isSupported(linkType) else {
            throw CaptureError(.unsupportedLinkType, path: path,
                               message: "link type \(linkType.rawValue) (\(linkType)) is not supported; synscope decodes EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4 and IPV6")
        }
    }
}
