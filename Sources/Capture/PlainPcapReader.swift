import TraceModel

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A classic pcap file read with pread(2) into a buffer of our own, without
/// libpcap: its reads go through stdio and copy each packet once more into
/// libpcap's buffer, a quarter of `analyze`'s time; this reads the file in
/// half the time and hands out views into the buffer.
///
/// It delivers exactly what `pcap_next_ex(3PCAP)` would (libpcap's
/// `sf-pcap.c`, `pcap_next_packet`), and only while that is plain: a file
/// in this host's byte order, version 2.4, a link type synscope decodes,
/// records whose captured length is within the snapshot length and whose
/// bytes are all in the file. At the first record that is anything else
/// (or a read error) it stops and says how many records it delivered, and
/// `CaptureFileReader` lets libpcap read on from there: libpcap's answer,
/// and its error message, are the rule.
struct PlainPcapReader {
    private let fd: Int32
    private let nanosecond: Bool
    private let snapshot: Int
    private static let fileHeaderLength = 24
    private static let recordHeaderLength = 16

    /// Link types (as `pcap_datalink` gives them) whose records libpcap
    /// passes through unchanged in a file of this host's byte order.
    private static let plainLinkTypes: [UInt32] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]

    /// Reads through `fd` (with pread, so the descriptor's offset, which
    /// libpcap's stdio stream uses, is left alone) when it is a regular
    /// classic pcap file that qualifies; nil otherwise.
    init?(fd: Int32, linkType: LinkType, snapshotLength: Int) {
        guard Self.plainLinkTypes.contains(linkType.rawValue), snapshotLength > 0 else { return nil }
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var header = [UInt8](repeating: 0, count: Self.fileHeaderLength)
        let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.fileHeaderLength, 0) }
        guard n == Self.fileHeaderLength else { return nil }
        let magic = header.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let major = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self) }
        let minor = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self) }
        // TCPDUMP_MAGIC or NSEC_TCPDUMP_MAGIC, unswapped; version 2.4 (no caplen/len swap in libpcap).
        guard magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d, major == 2, minor == 4 else { return nil }
        self.fd = fd
        nanosecond = magic == 0xa1b2_3c4d
        snapshot = snapshotLength
    }

    /// Calls `body` with each plain record in order. Returns nil at the end
    /// of the file, or the number of records delivered when the next one
    /// is for libpcap to read.
    func forEach(linkType: LinkType, _ body: (PacketRecord) -> Void) -> Int? {
        let capacity = max(1 << 20, 2 * (Self.recordHeaderLength + snapshot))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var fileOffset = Self.fileHeaderLength  // of the buffer's first byte
        var have = 0  // bytes in the buffer
        var at = 0  // the next record's offset in the buffer
        var frame = 0
        var atEnd = false
        while true {
            // Refill when the next record may not be whole in the buffer.
            let left = have - at
            var whole = left >= Self.recordHeaderLength
            if whole {
                let captured = Int(buffer.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self))
                whole = captured <= snapshot && left - Self.recordHeaderLength >= captured
                if captured > snapshot { return frame }
            }
            if !whole {
                if atEnd { return left == 0 ? nil : frame }
                buffer.copyMemory(from: buffer + at, byteCount: left)
                fileOffset += at
                have = left
                at = 0
                let n = pread(fd, buffer + have, capacity - have, off_t(fileOffset + have))
                if n < 0 { if errno == EINTR { continue } else { return frame } }
                if n == 0 { atEnd = true }
                have += n
                continue
            }
            let h = buffer + at
            let seconds = Int32(bitPattern: h.loadUnaligned(as: UInt32.self))
            let fraction = Int32(bitPattern: h.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let captured = Int(h.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let original = Int(h.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            frame += 1
            // libpcap scales a microsecond file's fraction by 1000 (SCALE_UP).
            let nanoseconds = nanosecond ? Int64(fraction) : Int64(fraction) * 1000
            body(PacketRecord(frame: frame, timestamp: Timestamp(seconds: Int64(seconds), nanoseconds: nanoseconds),
                              linkType: linkType, originalLength: original,
                              bytes: UnsafeRawBufferPointer(start: h + Self.recordHeaderLength, count: captured)))
            at += Self.recordHeaderLength + captured
        }
    }
}
