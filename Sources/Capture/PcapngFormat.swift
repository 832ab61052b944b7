/// The Private Enterprise Number in synscope's pcapng Custom Blocks.
///
/// 32473 is the PEN that RFC 5612 reserves for documentation and examples;
/// synscope uses it until it has a PEN of its own.
public let synscopeEnterpriseNumber: UInt32 = 32473

/// Block types, option codes and magic numbers of the pcapng format
/// (draft-ietf-opsawg-pcapng: §3.5 options, §4.1 Section Header Block,
/// §4.2 Interface Description Block, §4.3 Enhanced Packet Block, §4.8 Custom Block).
enum Pcapng {
    enum BlockType {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 0x0000_0001
        static let enhancedPacket: UInt32 = 0x0000_0006
        /// Custom Block that may be copied to a new file (§4.8).
        static let customCopiable: UInt32 = 0x0000_0BAD
        /// Custom Block that must not be copied to a new file (§4.8).
        static let customNotCopiable: UInt32 = 0x4000_0BAD
    }

    enum Option {
        static let endOfOptions: UInt16 = 0
        static let comment: UInt16 = 1
        /// `shb_userappl`, in a Section Header Block.
        static let userApplication: UInt16 = 4
        /// `if_name`, in an Interface Description Block.
        static let interfaceName: UInt16 = 2
        /// `if_tsresol`, in an Interface Description Block.
        static let timestampResolution: UInt16 = 9
    }

    /// The Section Header Block's byte-order magic as written by the section's writer.
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// `if_tsresol` value 9: timestamps count units of 10^-9 seconds.
    static let nanosecondResolution: UInt8 = 9

    /// The four bytes that open synscope's custom data, after the PEN: "SYNS".
    static let metadataMagic: [UInt8] = Array("SYNS".utf8)

    /// Block Type and Block Total Length, before the body.
    static let blockHeaderLength = 8
    /// Block Type, both Block Total Lengths: the smallest possible block.
    static let minimumBlockLength = 12
    /// Fixed part of a Section Header Block: 12 + magic, version, section length.
    static let minimumSectionHeaderLength = 28
    /// Fixed part of a Custom Block: 12 + PEN.
    static let minimumCustomBlockLength = 16

    /// `n` rounded up to a multiple of 4, the alignment of every pcapng field.
    static func padded(_ n: Int) -> Int { (n + 3) & ~3 }
}

/// Encodes one pcapng block, little-endian, as §3.1's general block structure:
/// Block Type, Block Total Length, body, Block Total Length.
struct PcapngBlockEncoder {
    private(set) var bytes: [UInt8]
    private var options: [UInt8] = []
    /// Set when an option value was longer than its 16-bit length can say.
    private var overflowed = false

    init(type: UInt32) {
        bytes = []
        u32(type)
        u32(0)  // Block Total Length, filled in by finished().
    }

    mutating func u16(_ value: UInt16) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// `data` followed by zeros up to the next 32-bit boundary.
    mutating func padded(_ data: [UInt8]) {
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: repeatElement(0, count: Pcapng.padded(data.count) - data.count))
    }

    /// One option (§3.5): code, length, value padded to 32 bits. Options are
    /// kept apart and appended after the fixed fields by `finished()`.
    mutating func option(_ code: UInt16, _ value: [UInt8]) {
        guard let length = UInt16(exactly: value.count) else {
            overflowed = true
            return
        }
        var o = PcapngBlockEncoder(optionBuffer: options)
        o.u16(code)
        o.u16(length)
        o.padded(value)
        options = o.bytes
    }

    private init(optionBuffer: [UInt8]) { bytes = optionBuffer }

    /// The whole block: options closed with `opt_endofopt` when there are any,
    /// and both Block Total Length fields set. Nil when an option or the block
    /// would be longer than its length field can say.
    func finished() -> [UInt8]? {
        if overflowed { return nil }
        var block = PcapngBlockEncoder(optionBuffer: bytes)
        if !options.isEmpty {
            block.bytes += options
            block.u16(Pcapng.Option.endOfOptions)
            block.u16(0)
        }
        let total = block.bytes.count + 4
        guard let length = UInt32(exactly: total) else { return nil }
        block.u32(length)
        withUnsafeBytes(of: length.littleEndian) { raw in
            block.bytes.replaceSubrange(4..<8, with: raw)
        }
        return block.bytes
    }
}
