/// Finds synscope's metadata in a pcapng file: the payloads of the Custom
/// Blocks (draft-ietf-opsawg-pcapng §4.8, types 0x00000BAD and 0x40000BAD)
/// whose Private Enterprise Number is `synscopeEnterpriseNumber` and whose
/// custom data starts with "SYNS", as `PcapngWriter.writeMetadata` writes them.
///
/// The scanner walks blocks by their Block Total Length (§3.1), in each
/// section's byte order, and checks every length before using it: a block
/// whose length is too small, not a multiple of 4, runs past the end of
/// the file or differs from its trailing copy is a `CaptureError` naming
/// the byte offset of the block. Packets are not read.
public enum PcapngMetadataReader {
    /// Every synscope metadata payload in `path`, in file order. Returns []
    /// for a pcapng file without any, and for a classic pcap file.
    public static func read(path: String) throws(CaptureError) -> [[UInt8]] {
        let file = try PcapngInputFile(path: path)
        guard file.size >= 4 else {
            let what = file.size == 0 ? "the file is empty" : "the file is \(file.size) bytes"
            throw CaptureError(.open, path: path, message: "truncated: \(what), too short for a pcapng Section Header Block")
        }
        let start = try file.bytes(at: 0, count: 4)
        if classicMagics.contains(start) { return [] }
        guard ByteOrder.little.u32(start, at: 0) == Pcapng.BlockType.sectionHeader else {
            throw CaptureError(.open, path: path, message: "not a pcapng file: it starts with \(hex(start)), not a Section Header Block")
        }

        var payloads: [[UInt8]] = []
        var order = ByteOrder.little
        var offset = 0
        while offset < file.size {
            let block = try nextBlock(in: file, at: offset, order: &order)
            if block.type == Pcapng.BlockType.customCopiable || block.type == Pcapng.BlockType.customNotCopiable {
                let body = try file.bytes(at: offset + Pcapng.blockHeaderLength, count: block.length - Pcapng.minimumBlockLength)
                if let payload = try metadata(in: body, order: order, file: file, offset: offset) {
                    payloads.append(payload)
                }
            }
            offset += block.length
        }
        return payloads
    }

    /// First four bytes of classic pcap files: microsecond and nanosecond
    /// magics, in either byte order (pcap-savefile(5)).
    private static let classicMagics: [[UInt8]] = [
        [0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d], [0x4d, 0x3c, 0xb2, 0xa1],
    ]

    /// Reads and checks the Block Type and Block Total Length at `offset`.
    /// A Section Header Block sets `order` from its byte-order magic first.
    private static func nextBlock(in file: PcapngInputFile, at offset: Int, order: inout ByteOrder) throws(CaptureError) -> (type: UInt32, length: Int) {
        func failure(_ message: String) -> CaptureError {
            CaptureError(.read, path: file.path, message: "pcapng block at byte offset \(offset): \(message)")
        }
        let remaining = file.size - offset
        guard remaining >= Pcapng.blockHeaderLength else {
            throw failure("truncated: \(remaining) bytes left, fewer than a block header's \(Pcapng.blockHeaderLength)")
        }
        let header = try file.bytes(at: offset, count: Pcapng.blockHeaderLength)
        // The Section Header Block's type reads the same in both byte orders.
        let type = order.u32(header, at: 0)
        var minimum = Pcapng.minimumBlockLength
        if type == Pcapng.BlockType.sectionHeader {
            guard remaining >= Pcapng.blockHeaderLength + 4 else {
                throw failure("truncated Section Header Block: \(remaining) bytes left, no byte-order magic")
            }
            let magic = try file.bytes(at: offset + Pcapng.blockHeaderLength, count: 4)
            if ByteOrder.big.u32(magic, at: 0) == Pcapng.byteOrderMagic {
                order = .big
            } else if ByteOrder.little.u32(magic, at: 0) == Pcapng.byteOrderMagic {
                order = .little
            } else {
                throw failure("Section Header Block with unknown byte-order magic \(hex(magic))")
            }
            minimum = Pcapng.minimumSectionHeaderLength
        } else if type == Pcapng.BlockType.customCopiable || type == Pcapng.BlockType.customNotCopiable {
            minimum = Pcapng.minimumCustomBlockLength
        }
        let name = "block type \(hex(type))"
        let length = Int(order.u32(header, at: 4))
        guard length >= minimum else {
            throw failure("\(name): Block Total Length \(length) is less than the minimum \(minimum)")
        }
        guard length % 4 == 0 else {
            throw failure("\(name): Block Total Length \(length) is not a multiple of 4")
        }
        guard length <= remaining else {
            throw failure("\(name): Block Total Length \(length) runs past the end of the file (\(remaining) bytes left)")
        }
        let trailer = order.u32(try file.bytes(at: offset + length - 4, count: 4), at: 0)
        guard Int(trailer) == length else {
            throw failure("\(name): trailing Block Total Length \(trailer) differs from the leading \(length)")
        }
        return (type, length)
    }

    /// The payload of a Custom Block `body` (PEN onwards) when it is
    /// synscope's: PEN, "SYNS", 32-bit payload length, payload, padding.
    private static func metadata(in body: [UInt8], order: ByteOrder, file: PcapngInputFile, offset: Int) throws(CaptureError) -> [UInt8]? {
        let magic = Pcapng.metadataMagic
        guard order.u32(body, at: 0) == synscopeEnterpriseNumber,
              body.count >= 4 + magic.count, Array(body[4..<(4 + magic.count)]) == magic else { return nil }
        let lengthAt = 4 + magic.count
        guard body.count >= lengthAt + 4 else {
            throw CaptureError(.read, path: file.path, message: "synscope metadata block at byte offset \(offset): no payload length")
        }
        let length = Int(order.u32(body, at: lengthAt))
        let available = body.count - lengthAt - 4
        guard length <= available else {
            throw CaptureError(.read, path: file.path, message: "synscope metadata block at byte offset \(offset): payload length \(length) exceeds the block's \(available) bytes")
        }
        return Array(body[(lengthAt + 4)..<(lengthAt + 4 + length)])
    }

    /// `0x0a0d0d0a`: a block type as eight hex digits.
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
    }
}

/// The byte order of a pcapng section, set by its byte-order magic.
private enum ByteOrder {
    case little, big

    /// The 32-bit integer at `index`; 0 when `bytes` is too short (callers check lengths first).
    func u32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        guard index >= 0, bytes.count >= 4, index <= bytes.count - 4 else { return 0 }
        let b = bytes[index..<(index + 4)].map(UInt32.init)
        switch self {
        case .little: return b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24
        case .big: return b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]
        }
    }
}
