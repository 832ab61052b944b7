import PacketWire
import Testing

@Suite("DecodeError")
struct DecodeErrorTests {
    @Test("description names the kind, the layer, the offset and the fault")
    func descriptions() {
        #expect(DecodeError(.truncated, .tcp, offset: 20, .short, value: 10).description
            == "truncated TCP at offset 20: needs 10 more bytes than were captured")
        #expect(DecodeError(.malformed, .ipv4, offset: 14, .headerLengthTooSmall, value: 16).description
            == "malformed IPv4 at offset 14: header length 16 is below the minimum")
        #expect(DecodeError(.malformed, .tcpOption, offset: 55, .optionBadLength, value: 3).description
            == "malformed TCP option at offset 55: option has the wrong length 3")
        #expect(DecodeError(.malformed, .vlan, offset: 0, .badVersion, value: 5).description
            == "malformed 802.1Q at offset 0: version 5")
    }

    @Test("isTruncated follows the kind")
    func kind() {
        #expect(DecodeError(.truncated, .udp, offset: 0, .short).isTruncated)
        #expect(!DecodeError(.malformed, .udp, offset: 0, .udpLengthTooSmall).isTruncated)
    }

    static let layers: [(Layer, String)] = [
        (.ethernet, "Ethernet"), (.vlan, "802.1Q"), (.linuxSLL, "Linux SLL"), (.linuxSLL2, "Linux SLL2"),
        (.loopback, "loopback"), (.ipv4, "IPv4"), (.ipv6, "IPv6"), (.ipv6Extension, "IPv6 extension header"),
        (.tcp, "TCP"), (.tcpOption, "TCP option"), (.udp, "UDP"), (.icmp, "ICMP"), (.icmpv6, "ICMPv6"),
        (.quotedIP, "ICMP quoted IP"),
    ]

    @Test("layer names", arguments: layers)
    func layerName(layer: Layer, name: String) {
        #expect(layer.description == name)
    }

    @Test("a truncation reports the layer being read and the absolute offset of the cut header")
    func truncationLocation() {
        // Ethernet + IPv4 cut 6 bytes into the IPv4 header.
        let bytes = Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 40, proto: 6)
        let p = decode(Array(bytes[0..<20]), .ethernet, originalLength: 54)
        #expect(p.problem == DecodeError(.truncated, .ipv4, offset: 14, .short, value: 14))
        // A cut VLAN tag is the 802.1Q layer's.
        let q = decode(Build.ethernet(tags: [(0x8100, 1)], etherType: 0x0800)[0..<15].map { $0 }, .ethernet, originalLength: 60)
        #expect(q.problem?.layer == .vlan)
        // A cut NULL header is the loopback layer's.
        let l = decode([2, 0], .null, originalLength: 44)
        #expect(l.problem == DecodeError(.truncated, .loopback, offset: 0, .short, value: 2))
    }
}
