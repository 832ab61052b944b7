/// One packet as a capture delivered it: the captured bytes, which may be
/// shorter than the packet on the wire when a snaplen cut it.
public struct CapturedPacket: Sendable, Hashable {
    /// 1-based position of the packet in its capture, counting every packet.
    public var frame: Int
    public var timestamp: Timestamp
    public var linkType: LinkType
    /// Length of the packet on the wire.
    public var originalLength: Int
    public var bytes: [UInt8]

    /// Captured length (`incl_len`/`caplen`).
    public var capturedLength: Int { bytes.count }
    /// True when the capture holds fewer bytes than were on the wire.
    public var isCut: Bool { bytes.count < originalLength }

    public init(frame: Int, timestamp: Timestamp, linkType: LinkType, originalLength: Int, bytes: [UInt8]) {
        self.frame = frame
        self.timestamp = timestamp
        self.linkType = linkType
        self.originalLength = originalLength
        self.bytes = bytes
    }
}
