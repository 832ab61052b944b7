@preconcurrency import CPcap
import TraceModel

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One record of a capture, valid only inside the closure it is passed to.
public struct PacketRecord {
    /// 1-based index of the record in its file.
    public var frame: Int
    public var timestamp: Timestamp
    public var linkType: LinkType
    public var originalLength: Int
    /// The captured bytes; they belong to the reader (libpcap's buffer, or
    /// `PlainPcapReader`'s) and are reused after the closure returns.
    public var bytes: UnsafeRawBufferPointer

    init(frame: Int, timestamp: Timestamp, linkType: LinkType, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        self.frame = frame
        self.timestamp = timestamp
        self.linkType = linkType
        self.originalLength = originalLength
        self.bytes = bytes
    }

    /// A packet held in memory, seen through `bytes` (its own bytes, valid while they are).
    public init(_ packet: CapturedPacket, bytes: UnsafeRawBufferPointer) {
        frame = packet.frame
        timestamp = packet.timestamp
        linkType = packet.linkType
        originalLength = packet.originalLength
        self.bytes = bytes
    }

    /// A copy that outlives the closure.
    public func copy() -> CapturedPacket {
        CapturedPacket(frame: frame, timestamp: timestamp, linkType: linkType, originalLength: originalLength, bytes: Array(bytes))
    }
}

/// Reads a pcap or pcapng file through libpcap, with nanosecond timestamps
/// whatever the file's resolution (`pcap_open_offline_with_tstamp_precision(3PCAP)`).
public final class CaptureFileReader {
    public let path: String
    public let linkType: LinkType
    public let snapshotLength: Int
    private let handle: OpaquePointer
    /// The stdio buffer of the file libpcap reads, when synscope opened it.
    private var buffer: UnsafeMutablePointer<CChar>?
    /// The reader of a plain classic pcap file (`PlainPcapReader`); libpcap reads the rest.
    private var plain: PlainPcapReader?

    /// Read buffer size: libpcap's fread(3) calls go through stdio, whose
    /// default buffer (st_blksize, 4 KiB) costs one read(2) per 4 KiB.
    static let bufferSize = 1 << 20

    /// Opens `path`. The corresponding C functions are fopen(3), setvbuf(3) and
    /// `pcap_fopen_offline_with_tstamp_precision(3PCAP)` (`pcap_open_offline_with_tstamp_precision`
    /// for `-`, standard input).
    public convenience init(path: String) throws(CaptureError) {
        try self.init(path: path, plainReader: true)
    }

    /// `plainReader: false` reads through libpcap alone (the tests compare the two).
    init(path: String, plainReader: Bool) throws(CaptureError) {
        self.path = path
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        var opened: OpaquePointer?
        if path == "-" {
            opened = pcap_open_offline_with_tstamp_precision(path, precision, &errbuf)
        } else if let file = fopen(path, "rb") {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Self.bufferSize)
            setvbuf(file, buffer, _IOFBF, Self.bufferSize)
            opened = pcap_fopen_offline_with_tstamp_precision(file, precision, &errbuf)
            if let opened {
                self.buffer = buffer
                if plainReader {
                    plain = PlainPcapReader(fd: fileno(file), linkType: LinkType(rawValue: UInt32(bitPattern: pcap_datalink(opened))),
                                            snapshotLength: Int(pcap_snapshot(opened)))
                }
            } else {
                fclose(file)
                buffer.deallocate()
            }
        } else {
            // As libpcap words a failed fopen(3): "PATH: reason".
            let reason = String(cString: strerror(errno))
            throw CaptureError(.open, path: path, message: reason)
        }
        guard let h = opened else {
            var message = cString(errbuf)
            // libpcap names the file itself when fopen() fails; CaptureError adds the path once.
            if message.hasPrefix("\(path): ") { message.removeFirst(path.count + 2) }
            throw CaptureError(.open, path: path, message: message)
        }
        handle = h
        linkType = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(h)))
        snapshotLength = Int(pcap_snapshot(h))
    }

    deinit {
        pcap_close(handle)  // closes the file too
        buffer?.deallocate()
    }

    /// Whether the file's pcap/pcapng header is byte-swapped relative to this host.
    public var isSwapped: Bool { pcap_is_swapped(handle) == 1 }

    /// Calls `body` with every record in order. Stops at the end of the file,
    /// or throws at the first record libpcap cannot read (after `body` has
    /// seen every record before it). The corresponding C function is `pcap_next_ex(3PCAP)`.
    public func forEach(_ body: (PacketRecord) -> Void) throws(CaptureError) {
        var frame = 0
        if let plain {
            self.plain = nil  // one pass: libpcap reads any later one
            guard let delivered = plain.forEach(linkType: linkType, body) else { return }
            // A record for libpcap: it skips those already delivered, then reads on.
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            while frame < delivered, pcap_next_ex(handle, &header, &data) == 1 { frame += 1 }
        }
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                frame += 1
                guard let header, let data else { continue }
                let h = header.pointee
                // With nanosecond precision, tv_usec holds nanoseconds (pcap(3PCAP)).
                let ts = Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec))
                let record = PacketRecord(
                    frame: frame, timestamp: ts, linkType: linkType, originalLength: Int(h.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)))
                body(record)
            case PCAP_ERROR_BREAK:
                return  // -2: no more packets in the file.
            default:
                throw CaptureError(.read, path: path, frame: frame + 1, message: String(cString: pcap_geterr(handle)))
            }
        }
    }

    /// Every packet of the file, copied.
    public func readAll() throws(CaptureError) -> [CapturedPacket] {
        var packets: [CapturedPacket] = []
        try forEach { packets.append($0.copy()) }
        return packets
    }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
