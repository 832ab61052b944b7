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
    /// - `each` sees every packet as it is read (`decode` decodes and formats it with
    ///   `PacketDecoder.decode`, a run collects its segments and datagrams, `report` keeps a copy).
    /// - With `track`, each TCP segment is decoded in place into one reused segment and followed;
    ///   `finished` gets the connections as they end, and the rest at the end of the pass, also when
    ///   a read error stops it.
    /// A file must hold a link type PacketWire decodes. Read errors are thrown.
    public static func run(_ source: PacketSource, track: ConnectionTracker.Options? = nil,
                           each: (PacketRecord) -> Void = { _ in },
                           finished: ([Connection]) -> Void = { _ in }) throws(CaptureError) {
        guard let track else {
            try read(source, each)
            return
        }
        var tracker = ConnectionTracker(options: track)
        // One segment, decoded into in place packet after packet. Held through a pointer:
        // a captured var was copied for each call.
        let seg = UnsafeMutablePointer<TCPSegment>.allocate(capacity: 1)
        seg.initialize(to: .empty)
        defer { seg.deinitialize(count: 1).deallocate() }
        do {
            try read(source) { r in
                each(r)
                guard seg.pointee.load(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp) else { return }
                let emitted = tracker.follow(seg.pointee)
                if !emitted.isEmpty { finished(emitted) }
            }
        } catch {
            finished(tracker.finish())
            throw error
        }
        finished(tracker.finish())
    }

    /// Every packet of `source`, in order.
    static func read(_ source: PacketSource, _ body: (PacketRecord) -> Void) throws(CaptureError) {
        switch source {
        case .file(let path):
            let reader = try CaptureFileReader(path: path)
            try reader.requireDecodableLinkType()
            try reader.forEach(body)
        case .packets(let packets):
            for p in packets {
                p.bytes.withUnsafeBytes { body(PacketRecord(p, bytes: $0)) }
            }
        }
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
