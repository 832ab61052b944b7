/// The one bounds-checked reader through which every layer reads bytes.
///
/// It views a window of a packet's captured bytes; offsets given to it are
/// relative to the window, and errors report absolute packet offsets. Like
/// tcpdump's printers, decoders must assume the buffer is cut "at any random
/// position": every read checks its bounds and throws instead of trapping.
public struct ByteReader {
    let base: UnsafeRawBufferPointer
    /// Absolute offset of this window in the packet.
    public let origin: Int
    let layer: Layer

    public init(_ base: UnsafeRawBufferPointer, origin: Int = 0, layer: Layer) {
        self.base = base
        self.origin = origin
        self.layer = layer
    }

    public var count: Int { base.count }

    /// The bounds check inlines into every read; building the error does not (it is the cold path).
    @inline(__always)
    func check(_ offset: Int, _ size: Int) throws(DecodeError) {
        guard offset >= 0, size >= 0, offset <= base.count &- size else {
            throw shortfall(offset, size)
        }
    }

    @inline(never)
    func shortfall(_ offset: Int, _ size: Int) -> DecodeError {
        DecodeError.truncated(layer, offset: origin &+ Swift.max(offset, 0), needed: Swift.max(offset &+ size &- base.count, 1))
    }

    public func u8(_ offset: Int) throws(DecodeError) -> UInt8 {
        try check(offset, 1)
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// A big-endian (network order) 16-bit field.

    public func u16(_ offset: Int) throws(DecodeError) -> UInt16 {
        try check(offset, 2)
        return UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// A big-endian (network order) 32-bit field.

    public func u32(_ offset: Int) throws(DecodeError) -> UInt32 {
        try check(offset, 4)
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A little-endian 32-bit field (BSD loopback headers written on little-endian hosts).

    public func u32LE(_ offset: Int) throws(DecodeError) -> UInt32 {
        try check(offset, 4)
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A big-endian 64-bit field.

    public func u64(_ offset: Int) throws(DecodeError) -> UInt64 {
        try check(offset, 8)
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The window starting at `offset` of at most `length` bytes (clipped to
    /// what was captured), decoded as `layer`. Inlined: each packet takes
    /// three or four windows, and the call was 2% of `analyze`.
    @inline(__always)
    public func window(from offset: Int, length: Int? = nil, layer: Layer) throws(DecodeError) -> ByteReader {
        try check(offset, 0)
        let available = base.count - offset
        let n = Swift.min(Swift.max(length ?? available, 0), available)
        // In bounds by the check above: 0 <= offset <= count, 0 <= n <= count - offset.
        let slice = UnsafeRawBufferPointer(start: base.baseAddress.map { $0 + offset }, count: n)
        return ByteReader(slice, origin: origin + offset, layer: layer)
    }

    /// Checks that `size` bytes are available from `offset`.
    public func require(_ offset: Int, _ size: Int) throws(DecodeError) {
        try check(offset, size)
    }

}
