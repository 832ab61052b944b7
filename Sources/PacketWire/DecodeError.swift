/// The protocol layer a decoder was working on.
public enum Layer: UInt8, Sendable, Hashable, CustomStringConvertible {
    case ethernet, vlan, linuxSLL, linuxSLL2, loopback, ipv4, ipv6, ipv6Extension, tcp, tcpOption, udp, icmp, icmpv6, quotedIP

    public var description: String {
        switch self {
        case .ethernet: "Ethernet"
        case .vlan: "802.1Q"
        case .linuxSLL: "Linux SLL"
        case .linuxSLL2: "Linux SLL2"
        case .loopback: "loopback"
        case .ipv4: "IPv4"
        case .ipv6: "IPv6"
        case .ipv6Extension: "IPv6 extension header"
        case .tcp: "TCP"
        case .tcpOption: "TCP option"
        case .udp: "UDP"
        case .icmp: "ICMP"
        case .icmpv6: "ICMPv6"
        case .quotedIP: "ICMP quoted IP"
        }
    }
}

/// Why a header could not be decoded.
///
/// *Truncated*: the capture holds fewer bytes than the header needs (a snaplen
/// cut); what decoded before the cut is kept. *Malformed*: the header lies
/// about itself (a length below the minimum, beyond the packet, an option that
/// overruns).
public struct DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable { case truncated, malformed }

    public enum Reason: UInt8, Sendable {
        /// Fewer bytes than the header needs.
        case short
        case badVersion
        case headerLengthTooSmall
        case headerLengthBeyondPacket
        case totalLengthTooSmall
        case totalLengthBeyondPacket
        case dataOffsetTooSmall
        case dataOffsetBeyondSegment
        case optionLengthTooSmall
        case optionBeyondHeader
        case optionBadLength
        case udpLengthTooSmall
        case udpLengthBeyondPacket
        case extensionHeaderBeyondPacket
        case unknownAddressFamily
    }

    public var kind: Kind
    public var layer: Layer
    /// Offset in the packet of the field at fault (or of the layer's start).
    public var offset: Int
    public var reason: Reason
    /// The value at fault (a length, a version, a family), or the bytes needed.
    public var value: Int

    public init(_ kind: Kind, _ layer: Layer, offset: Int, _ reason: Reason, value: Int = 0) {
        self.kind = kind
        self.layer = layer
        self.offset = offset
        self.reason = reason
        self.value = value
    }

    static func truncated(_ layer: Layer, offset: Int, needed: Int) -> DecodeError {
        DecodeError(.truncated, layer, offset: offset, .short, value: needed)
    }

    static func malformed(_ layer: Layer, offset: Int, _ reason: Reason, value: Int) -> DecodeError {
        DecodeError(.malformed, layer, offset: offset, reason, value: value)
    }

    public var isTruncated: Bool { kind == .truncated }

    public var description: String {
        let what: String
        switch reason {
        case .short: what = "needs \(value) more bytes than were captured"
        case .badVersion: what = "version \(value)"
        case .headerLengthTooSmall: what = "header length \(value) is below the minimum"
        case .headerLengthBeyondPacket: what = "header length \(value) runs past the packet"
        case .totalLengthTooSmall: what = "total length \(value) is below the header length"
        case .totalLengthBeyondPacket: what = "length \(value) runs past the packet"
        case .dataOffsetTooSmall: what = "data offset \(value) bytes is below 20"
        case .dataOffsetBeyondSegment: what = "data offset \(value) bytes runs past the segment"
        case .optionLengthTooSmall: what = "option length \(value) is below 2"
        case .optionBeyondHeader: what = "option of length \(value) runs past the header"
        case .optionBadLength: what = "option has the wrong length \(value)"
        case .udpLengthTooSmall: what = "length \(value) is below 8"
        case .udpLengthBeyondPacket: what = "length \(value) runs past the packet"
        case .extensionHeaderBeyondPacket: what = "extension header of \(value) bytes runs past the packet"
        case .unknownAddressFamily: what = "unknown address family \(value)"
        }
        let k = kind == .truncated ? "truncated" : "malformed"
        return "\(k) \(layer) at offset \(offset): \(what)"
    }
}
