import TraceModel

/// Writes a pcapng file (draft-ietf-opsawg-pcapng): one section, one
/// interface, nanosecond timestamps, packet comments and synscope's
/// metadata in Custom Blocks. Fields are written little-endian.
///
/// The capture is written to `path + ".partial"` and appears at `path` only
/// when `finish()` succeeds; a writer dropped before that (or whose write
/// failed) removes its partial file. Copies of a writer share one file.
public struct PcapngWriter {
    public let path: String
    public let linkType: LinkType
    public let snapLength: Int
    private let file: PcapngOutputFile

    /// Creates `path.partial` and writes a Section Header Block (§4.1: byte-order
    /// magic, version 1.0, section length -1, `shb_userappl`, `opt_comment`)
    /// and one Interface Description Block (§4.2: `linkType`, `snapLength`,
    /// `if_name` "lo", `if_tsresol` 9). `snapLength` 0 means no limit.
    /// A nil or empty `sectionComment` writes no comment.
    public init(path: String, linkType: LinkType, snapLength: Int, application: String, sectionComment: String?) throws(CaptureError) {
        guard let snap = UInt32(exactly: snapLength) else {
            throw CaptureError(.open, path: path, message: "snapshot length \(snapLength) is not in 0...\(UInt32.max)")
        }
        guard let linkTypeField = UInt16(exactly: linkType.rawValue) else {
            throw CaptureError(.open, path: path, message: "link type \(linkType.rawValue) does not fit the 16-bit pcapng field")
        }
        let userApplication = try Self.optionText(application, what: "application name", path: path, kind: .open, frame: nil)
        let comment = try Self.optionText(sectionComment, what: "section comment", path: path, kind: .open, frame: nil)

        var section = PcapngBlockEncoder(type: Pcapng.BlockType.sectionHeader)
        section.u32(Pcapng.byteOrderMagic)
        section.u16(1)  // Major Version
        section.u16(0)  // Minor Version
        section.u32(0xffff_ffff)  // Section Length -1 (64 bits): not given.
        section.u32(0xffff_ffff)
        if let comment { section.option(Pcapng.Option.comment, comment) }
        if let userApplication { section.option(Pcapng.Option.userApplication, userApplication) }

        var interface = PcapngBlockEncoder(type: Pcapng.BlockType.interfaceDescription)
        interface.u16(linkTypeField)
        interface.u16(0)  // Reserved
        interface.u32(snap)
        interface.option(Pcapng.Option.interfaceName, Array("lo".utf8))
        interface.option(Pcapng.Option.timestampResolution, [Pcapng.nanosecondResolution])

        guard let header = section.finished(), let description = interface.finished() else {
            throw CaptureError(.open, path: path, message: "the section header does not fit a pcapng block")
        }
        self.path = path
        self.linkType = linkType
        self.snapLength = snapLength
        file = try PcapngOutputFile(path: path)
        try file.append(header + description, frame: nil)
    }

    /// Appends an Enhanced Packet Block (§4.3) on interface 0: the timestamp
    /// in nanoseconds as two 32-bit halves, captured and original length,
    /// the bytes padded to 32 bits, and `opt_comment` (UTF-8) when `comment`
    /// is neither nil nor empty.
    ///
    /// Throws without writing anything when the packet cannot be stored as
    /// it is: another link type, a negative timestamp, more bytes than the
    /// snapshot length, an original length shorter than the captured one,
    /// or a comment over 65535 bytes. Throws after removing the partial file
    /// when the write itself fails.
    public mutating func write(_ packet: CapturedPacket, comment: String?) throws(CaptureError) {
        func reject(_ message: String) -> CaptureError {
            CaptureError(.read, path: path, frame: packet.frame, message: message)
        }
        guard packet.linkType == linkType else {
            throw reject("link type \(packet.linkType) differs from the file's \(linkType)")
        }
        guard packet.timestamp.nanoseconds >= 0 else {
            throw reject("timestamp \(packet.timestamp.nanoseconds) ns is before 1970 and cannot be stored")
        }
        guard snapLength == 0 || packet.capturedLength <= snapLength else {
            throw reject("\(packet.capturedLength) captured bytes exceed the snapshot length \(snapLength)")
        }
        guard packet.originalLength >= packet.capturedLength, let originalLength = UInt32(exactly: packet.originalLength) else {
            throw reject("original length \(packet.originalLength) is not in \(packet.capturedLength)...\(UInt32.max)")
        }
        let text = try Self.optionText(comment, what: "packet comment", path: path, kind: .read, frame: packet.frame)

        let nanoseconds = UInt64(packet.timestamp.nanoseconds)
        var block = PcapngBlockEncoder(type: Pcapng.BlockType.enhancedPacket)
        block.u32(0)  // Interface ID
        block.u32(UInt32(truncatingIfNeeded: nanoseconds >> 32))
        block.u32(UInt32(truncatingIfNeeded: nanoseconds))
        block.u32(UInt32(packet.capturedLength))  // ≤ originalLength, so it fits.
        block.u32(originalLength)
        block.padded(packet.bytes)
        if let text { block.option(Pcapng.Option.comment, text) }
        guard let bytes = block.finished() else {
            throw reject("the packet does not fit a pcapng block")
        }
        try file.append(bytes, frame: packet.frame)
    }

    /// Appends a Custom Block that may be copied (§4.8, type 0x00000BAD):
    /// `synscopeEnterpriseNumber`, the magic "SYNS", the payload's length as
    /// a 32-bit integer, then the payload padded to 32 bits. The length is
    /// there because the padding would otherwise make a payload ending in
    /// zero bytes ambiguous. `PcapngMetadataReader` reads these back.
    ///
    /// libpcap (so tcpdump and `CaptureFileReader`) skips Custom Blocks, but
    /// tshark 4.0 shows each as a record numbered like a frame: write
    /// metadata after the last packet to keep both tools' frame numbers equal.
    public mutating func writeMetadata(_ payload: [UInt8]) throws(CaptureError) {
        var block = PcapngBlockEncoder(type: Pcapng.BlockType.customCopiable)
        block.u32(synscopeEnterpriseNumber)
        block.padded(Pcapng.metadataMagic)
        let tooLong = CaptureError(.read, path: path, message: "a metadata payload of \(payload.count) bytes does not fit a pcapng block")
        guard let length = UInt32(exactly: payload.count) else { throw tooLong }
        block.u32(length)
        block.padded(payload)
        guard let bytes = block.finished() else { throw tooLong }
        try file.append(bytes, frame: nil)
    }

    /// Writes out what is buffered, then `fsync(2)`, `close(2)` and
    /// `rename(2)` of `path.partial` to `path`, replacing any file there
    /// atomically. Throws, after removing the partial file, if any step
    /// fails; throws if called twice.
    public func finish() throws(CaptureError) {
        try file.commit()
    }

    /// The UTF-8 bytes of an option's text; nil for no text or an empty one.
    private static func optionText(_ text: String?, what: String, path: String,
                                   kind: CaptureError.Kind, frame: Int?) throws(CaptureError) -> [UInt8]? {
        guard let text, !text.isEmpty else { return nil }
        let bytes = Array(text.utf8)
        guard bytes.count <= Int(UInt16.max) else {
            throw CaptureError(kind, path: path, frame: frame, message: "the \(what) is \(bytes.count) bytes; a pcapng option holds at most \(UInt16.max)")
        }
        return bytes
    }
}
