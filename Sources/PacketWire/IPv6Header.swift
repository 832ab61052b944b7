import TraceModel

/// IPv6 header, RFC 8200 §3, with the extension-header walk of §4.
public struct IPv6Header: Hashable, Sendable {
    private enum Field {
        static let versionClassFlow = 0
        static let payloadLength = 4
        static let nextHeader = 6
        static let hopLimit = 7
        static let source = 8
        static let destination = 24
        static let length = 40
    }

    /// Extension header numbers (IANA "IPv6 Extension Header Types").
    public enum Extension {
        public static let hopByHop: UInt8 = 0
        public static let routing: UInt8 = 43
        public static let fragment: UInt8 = 44
        public static let destinationOptions: UInt8 = 60
    }

    public var trafficClass: UInt8
    public var flowLabel: UInt32
    /// Payload length after the fixed header, extension headers included.
    public var payloadLength: Int
    /// The Next Header field of the fixed header.
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address

    /// The upper-layer protocol found after the extension headers.
    public var upperProtocol: UInt8
    /// Bytes from the start of the fixed header to the upper-layer header.
    public var headerLength: Int
    /// Number of extension headers walked.
    public var extensionCount: Int
    /// Present when a Fragment header was found (RFC 8200 §4.5).
    public var fragment: Fragment?
    /// Set when the capture ends inside an extension header; the walk stops there.
    public var extensionCut: DecodeError?

    public struct Fragment: Hashable, Sendable {
        /// Offset in bytes.
        public var offset: Int
        public var moreFragments: Bool
        public var identification: UInt32
        public var isFirst: Bool { offset == 0 }
    }

    /// Whether `nextHeader` is one of the extension headers the walk follows.
    public static func isExtension(_ nextHeader: UInt8) -> Bool {
        switch nextHeader {
        case Extension.hopByHop, Extension.routing, Extension.fragment, Extension.destinationOptions: true
        default: false
        }
    }

    public var isFragment: Bool { fragment.map { $0.moreFragments || $0.offset != 0 } ?? false }
    public var isFirstFragment: Bool { fragment?.isFirst ?? true }
    /// Bytes of upper-layer header and payload.
    public var upperLayerLength: Int { Field.length + payloadLength - headerLength }

    public init(parsing r: ByteReader, frameLength: Int) throws(DecodeError) {
        let first = try r.u32(Field.versionClassFlow)
        guard first >> 28 == 6 else {
            throw DecodeError.malformed(.ipv6, offset: r.origin, .badVersion, value: Int(first >> 28))
        }
        try r.require(0, Field.length)
        trafficClass = UInt8(truncatingIfNeeded: first >> 20)
        flowLabel = first & 0x000f_ffff
        var payload = Int(try r.u16(Field.payloadLength))
        if payload == 0 { payload = frameLength - Field.length }  // jumbogram or GSO
        guard Field.length + payload <= frameLength else {
            throw DecodeError.malformed(.ipv6, offset: r.origin + Field.payloadLength, .totalLengthBeyondPacket, value: payload)
        }
        payloadLength = payload
        nextHeader = try r.u8(Field.nextHeader)
        hopLimit = try r.u8(Field.hopLimit)
        source = IPv6Address(high: try r.u64(Field.source), low: try r.u64(Field.source + 8))
        destination = IPv6Address(high: try r.u64(Field.destination), low: try r.u64(Field.destination + 8))

        // Walk the extension headers.
        var next = nextHeader
        var offset = Field.length
        var count = 0
        var frag: Fragment?
        var cut: DecodeError?
        let end = Field.length + payload
        let ext = ByteReader(readerFor: r, layer: .ipv6Extension)
        walk: while true {
            switch next {
            case Extension.hopByHop, Extension.routing, Extension.destinationOptions:
                let length = (Int(try ext.u8(offset + 1)) + 1) * 8
                guard offset + length <= end else {
                    throw DecodeError.malformed(.ipv6Extension, offset: r.origin + offset, .extensionHeaderBeyondPacket, value: length)
                }
                next = try ext.u8(offset)
                if (try? ext.require(offset, length)) == nil {
                    // Cut inside this header: keep the fixed header, report the cut.
                    let captured = max(ext.count - offset, 0)
                    cut = DecodeError(.truncated, .ipv6Extension, offset: r.origin + offset, .short, value: length - captured)
                    offset += length
                    break walk
                }
                offset += length
            case Extension.fragment:
                guard offset + 8 <= end else {
                    throw DecodeError.malformed(.ipv6Extension, offset: r.origin + offset, .extensionHeaderBeyondPacket, value: 8)
                }
                let field = try ext.u16(offset + 2)
                let f = Fragment(offset: Int(field & 0xfff8), moreFragments: field & 1 != 0, identification: try ext.u32(offset + 4))
                frag = f
                next = try ext.u8(offset)
                offset += 8
                count += 1
                // Only a first fragment carries the upper-layer header.
                if f.offset != 0 { break walk }
                continue walk
            default:
                break walk
            }
            count += 1
        }
        upperProtocol = next
        headerLength = offset
        extensionCount = count
        fragment = frag
        extensionCut = cut
    }
}
