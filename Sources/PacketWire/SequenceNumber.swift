/// A TCP sequence number: arithmetic modulo 2^32 (RFC 9293 §3.4).
///
/// Deliberately not `Comparable`: order between sequence numbers only exists
/// within half the number space. Use `isBefore(_:)`/`isAfter(_:)`, which are
/// the kernel's `before()`/`after()` from include/net/tcp.h.
public struct SequenceNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { rawValue = value }

    /// `(s32)(self - other) < 0`.
    public func isBefore(_ other: SequenceNumber) -> Bool {
        Int32(bitPattern: rawValue &- other.rawValue) < 0
    }

    public func isAfter(_ other: SequenceNumber) -> Bool { other.isBefore(self) }

    public static func + (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &+ rhs)
    }

    public static func - (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber {
        SequenceNumber(lhs.rawValue &- rhs)
    }

    /// The distance from `base` to `self`, modulo 2^32 (a relative sequence number).
    public func distance(from base: SequenceNumber) -> UInt32 { rawValue &- base.rawValue }

    /// Signed distance, valid when the two are within 2^31 of each other.
    public func signedDistance(from base: SequenceNumber) -> Int32 {
        Int32(bitPattern: rawValue &- base.rawValue)
    }

    public var description: String { String(rawValue) }
}
