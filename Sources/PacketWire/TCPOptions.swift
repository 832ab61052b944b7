/// One TCP option (IANA "TCP Option Kind Numbers").
public enum TCPOption: Hashable, Sendable {
    /// Kind 0 (RFC 9293 §3.2).
    case endOfList
    /// Kind 1 (RFC 9293 §3.2).
    case noOperation
    /// Kind 2 (RFC 9293 §3.2).
    case maximumSegmentSize(UInt16)
    /// Kind 3 (RFC 7323 §2).
    case windowScale(UInt8)
    /// Kind 4 (RFC 2018 §2).
    case sackPermitted
    /// Kind 5 (RFC 2018 §3).
    case sack(SACKBlocks)
    /// Kind 8 (RFC 7323 §3).
    case timestamps(value: UInt32, echoReply: UInt32)
    /// Kind 34 (RFC 7413 §4.1.1): an empty cookie is a cookie request.
    /// `cookieOffset` is relative to the first option byte.
    case fastOpen(cookieOffset: Int, cookieLength: Int)
    /// Any other kind, or a known kind with a wrong length; `dataOffset`
    /// is relative to the first option byte.
    case unknown(kind: UInt8, dataOffset: Int, dataLength: Int)
}

/// Up to four SACK blocks (the most 40 option bytes can hold), stored inline.
public struct SACKBlocks: Hashable, Sendable {
    public private(set) var count = 0
    private var storage: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    public static func == (l: SACKBlocks, r: SACKBlocks) -> Bool {
        l.count == r.count && (0..<l.count).allSatisfy { l[$0] == r[$0] }
    }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for i in 0..<count { h.combine(self[i].left); h.combine(self[i].right) }
    }

    /// Block `i`: left edge and right edge (RFC 2018 §3).
    public subscript(i: Int) -> (left: SequenceNumber, right: SequenceNumber) {
        precondition(i >= 0 && i < count)
        return withUnsafeBytes(of: storage) { raw in
            (SequenceNumber(raw.load(fromByteOffset: i * 8, as: UInt32.self)),
             SequenceNumber(raw.load(fromByteOffset: i * 8 + 4, as: UInt32.self)))
        }
    }

    mutating func append(left: UInt32, right: UInt32) {
        guard count < 4 else { return }
        let i = count
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.storeBytes(of: left, toByteOffset: i * 8, as: UInt32.self)
            raw.storeBytes(of: right, toByteOffset: i * 8 + 4, as: UInt32.self)
        }
        count += 1
    }
}

/// Walks the option bytes of a TCP header in order, without allocating.
///
/// Stops at the end of the options, after End of Option List, or at the
/// first fault, which it leaves in `error`: *truncated* when the capture cut
/// the options, *malformed* when an option's length is below 2 or runs past
/// the header. An option of a known kind with a wrong length is returned as
/// `.unknown` and also recorded as malformed, and the walk goes on.
public struct TCPOptionIterator: IteratorProtocol {
    private let bytes: ByteReader
    private let declaredLength: Int
    private var offset = 0
    private var done = false
    public private(set) var error: DecodeError?
    /// True when the capture cut the options, even if an earlier fault is in `error`.
    public private(set) var wasCut = false

    /// `bytes` holds the captured option bytes; `declaredLength` is how many
    /// the data offset says there are.
    public init(_ bytes: ByteReader, declaredLength: Int) {
        self.bytes = bytes
        self.declaredLength = declaredLength
    }

    public mutating func next() -> TCPOption? {
        guard !done, offset < declaredLength else { return nil }
        do {
            return try step()
        } catch {
            if error.isTruncated { wasCut = true }
            self.error = self.error ?? error
            done = true
            return nil
        }
    }

    private mutating func step() throws(DecodeError) -> TCPOption {
        let kind = try bytes.u8(offset)
        switch kind {
        case 0:
            done = true
            offset += 1
            return .endOfList
        case 1:
            offset += 1
            return .noOperation
        default:
            break
        }
        guard offset + 1 < declaredLength else {
            throw DecodeError.malformed(.tcpOption, offset: bytes.origin + offset, .optionBeyondHeader, value: 2)
        }
        let length = Int(try bytes.u8(offset + 1))
        guard length >= 2 else {
            throw DecodeError.malformed(.tcpOption, offset: bytes.origin + offset + 1, .optionLengthTooSmall, value: length)
        }
        guard offset + length <= declaredLength else {
            throw DecodeError.malformed(.tcpOption, offset: bytes.origin + offset + 1, .optionBeyondHeader, value: length)
        }
        try bytes.require(offset, length)
        let start = offset
        offset += length
        func wrongLength() -> TCPOption {
            error = error ?? DecodeError.malformed(.tcpOption, offset: bytes.origin + start + 1, .optionBadLength, value: length)
            return .unknown(kind: kind, dataOffset: start + 2, dataLength: length - 2)
        }
        switch kind {
        case 2:
            guard length == 4 else { return wrongLength() }
            return .maximumSegmentSize(try bytes.u16(start + 2))
        case 3:
            guard length == 3 else { return wrongLength() }
            return .windowScale(try bytes.u8(start + 2))
        case 4:
            guard length == 2 else { return wrongLength() }
            return .sackPermitted
        case 5:
            guard (length - 2) % 8 == 0, length > 2 else { return wrongLength() }
            var blocks = SACKBlocks()
            var o = start + 2
            while o < start + length {
                blocks.append(left: try bytes.u32(o), right: try bytes.u32(o + 4))
                o += 8
            }
            return .sack(blocks)
        case 8:
            guard length == 10 else { return wrongLength() }
            return .timestamps(value: try bytes.u32(start + 2), echoReply: try bytes.u32(start + 6))
        case 34:
            return .fastOpen(cookieOffset: start + 2, cookieLength: length - 2)
        default:
            return .unknown(kind: kind, dataOffset: start + 2, dataLength: length - 2)
        }
    }
}

/// The options of one TCP header that analysis needs, decoded inline.
public struct TCPOptions: Hashable, Sendable {
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    public var timestampValue: UInt32?
    public var timestampEchoReply: UInt32?
    public var sackBlocks: SACKBlocks?
    /// Cookie length of a Fast Open option (0 is a cookie request).
    public var fastOpenCookieLength: Int?
    /// Options of kinds synscope does not decode, kept in the raw bytes.
    public var unknownCount = 0
    /// Every option, NOP and EOL included.
    public var count = 0

    public init() {}

    /// Collects every option `iterator` yields.
    public init(_ iterator: inout TCPOptionIterator) {
        collect(&iterator)
    }

    /// Replaces these options with every option `iterator` yields, in place.
    mutating func collect(_ iterator: inout TCPOptionIterator) {
        self = TCPOptions()
        while let option = iterator.next() {
            count += 1
            switch option {
            case .maximumSegmentSize(let v): maximumSegmentSize = v
            case .windowScale(let v): windowScale = v
            case .sackPermitted: sackPermitted = true
            case .timestamps(let v, let e): timestampValue = v; timestampEchoReply = e
            case .sack(let b): sackBlocks = b
            case .fastOpen(_, let n): fastOpenCookieLength = n
            case .unknown: unknownCount += 1
            case .endOfList, .noOperation: break
            }
        }
    }
}
