/// Something notable about a segment: Wireshark's TCP analysis flags
/// (Wireshark User's Guide, "TCP Analysis"; tshark field `tcp.analysis.NAME`),
/// and odd headers, named like Zeek "weirds". A finding never drops a segment.
public enum Finding: String, Hashable, Sendable, CaseIterable, Comparable {
    // Wireshark's analysis flags; the raw value is the tshark field suffix.
    case retransmission
    case spuriousRetransmission = "spurious_retransmission"
    case fastRetransmission = "fast_retransmission"
    case outOfOrder = "out_of_order"
    case duplicateACK = "duplicate_ack"
    case zeroWindow = "zero_window"
    case zeroWindowProbe = "zero_window_probe"
    case zeroWindowProbeACK = "zero_window_probe_ack"
    case windowUpdate = "window_update"
    case windowFull = "window_full"
    case keepAlive = "keep_alive"
    case keepAliveACK = "keep_alive_ack"
    /// "Previous segment not captured".
    case lostSegment = "lost_segment"
    /// "ACKed unseen segment".
    case ackedUnseenSegment = "ack_lost_segment"
    /// "Port numbers reused": a new SYN on a 4-tuple that carried a connection before.
    case reusedPorts = "reused_ports"
    // Odd headers.
    case synFin = "syn_fin"
    case synRst = "syn_rst"
    case finRst = "fin_rst"
    case noFlags = "no_flags"
    case badHeaderLength = "bad_header_length"
    case badOption = "bad_option"
    case truncated
    /// A non-zero acknowledgment field while ACK is clear.
    case ackNonzeroWithoutACK = "ack_nonzero_without_ack"

    public var name: String { rawValue }

    /// Wireshark's display text for the flags it defines.
    public var label: String {
        switch self {
        case .retransmission: "TCP Retransmission"
        case .spuriousRetransmission: "TCP Spurious Retransmission"
        case .fastRetransmission: "TCP Fast Retransmission"
        case .outOfOrder: "TCP Out-Of-Order"
        case .duplicateACK: "TCP Dup ACK"
        case .zeroWindow: "TCP ZeroWindow"
        case .zeroWindowProbe: "TCP ZeroWindowProbe"
        case .zeroWindowProbeACK: "TCP ZeroWindowProbeAck"
        case .windowUpdate: "TCP Window Update"
        case .windowFull: "TCP Window Full"
        case .keepAlive: "TCP Keep-Alive"
        case .keepAliveACK: "TCP Keep-Alive ACK"
        case .lostSegment: "TCP Previous segment not captured"
        case .ackedUnseenSegment: "TCP ACKed unseen segment"
        case .reusedPorts: "TCP Port numbers reused"
        case .synFin: "SYN and FIN both set"
        case .synRst: "SYN and RST both set"
        case .finRst: "FIN and RST both set"
        case .noFlags: "no flags set"
        case .badHeaderLength: "bad header length"
        case .badOption: "malformed option"
        case .truncated: "cut by the snaplen"
        case .ackNonzeroWithoutACK: "acknowledgment field non-zero without ACK"
        }
    }

    /// Position in declaration order (a switch: no table lookup, no String hashing).
    public var position: Int {
        switch self {
        case .retransmission: 0
        case .spuriousRetransmission: 1
        case .fastRetransmission: 2
        case .outOfOrder: 3
        case .duplicateACK: 4
        case .zeroWindow: 5
        case .zeroWindowProbe: 6
        case .zeroWindowProbeACK: 7
        case .windowUpdate: 8
        case .windowFull: 9
        case .keepAlive: 10
        case .keepAliveACK: 11
        case .lostSegment: 12
        case .ackedUnseenSegment: 13
        case .reusedPorts: 14
        case .synFin: 15
        case .synRst: 16
        case .finRst: 17
        case .noFlags: 18
        case .badHeaderLength: 19
        case .badOption: 20
        case .truncated: 21
        case .ackNonzeroWithoutACK: 22
        }
    }

    static let ordered = allCases

    public static func < (l: Finding, r: Finding) -> Bool { l.position < r.position }
    public static func == (l: Finding, r: Finding) -> Bool { l.position == r.position }
    /// Hashes the position: RawRepresentable's default would hash the String raw value.
    public func hash(into hasher: inout Hasher) { hasher.combine(UInt8(truncatingIfNeeded: position)) }
}

/// A small inline set of findings (at most a handful per segment).
public struct Findings: Hashable, Sendable, Sequence {
    public private(set) var bits: UInt32 = 0
    public init() {}

    public init(_ list: [Finding]) {
        for f in list { insert(f) }
    }

    // Inlined: the per-segment analysis asks a dozen of these, mostly with a constant finding.
    @inline(__always) private static func bit(_ f: Finding) -> UInt32 { 1 << UInt32(f.position) }

    @inline(__always) public mutating func insert(_ f: Finding) { bits |= Self.bit(f) }
    @inline(__always) public func contains(_ f: Finding) -> Bool { bits & Self.bit(f) != 0 }
    public var isEmpty: Bool { bits == 0 }

    /// The findings in declaration order, without allocating.
    public func makeIterator() -> Iterator { Iterator(rest: bits) }

    public struct Iterator: IteratorProtocol {
        var rest: UInt32
        public mutating func next() -> Finding? {
            guard rest != 0 else { return nil }
            let i = rest.trailingZeroBitCount
            rest &= rest &- 1
            return Finding.ordered[i]
        }
    }
}
