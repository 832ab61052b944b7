import PacketWire
import TraceModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // Every link type LinkHeader.isSupported accepts, including DLT_RAW's BSD numbers 12 and 14.
    let linkTypes: [LinkType] = [
        .ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6,
        LinkType(rawValue: 12), LinkType(rawValue: 14),
    ]
    // Whole packets, and packets cut by a snaplen (original length beyond the captured bytes).
    for originalLength in [size, size + 1, 65_535] {
        for linkType in linkTypes {
            let decoded = PacketDecoder.decode(bytes, linkType: linkType, originalLength: originalLength)
            // Touch what the formatters use, so their derived values run too.
            _ = decoded.source?.description
            _ = decoded.destination?.description
            _ = decoded.problem?.description
            if let tcp = decoded.tcp {
                var options = tcp.optionIterator(in: bytes)
                while let option = options.next() { withExtendedLifetime(option) {} }
                _ = options.error?.description
            }
            // The fast path agrees with decode whenever it answers.
            if let fast = PacketDecoder.decodeTCP(bytes, linkType: linkType, originalLength: originalLength) {
                precondition(decoded.tcp == fast.header && decoded.source == fast.source
                             && decoded.destination == fast.destination && decoded.isTruncated == fast.isTruncated,
                             "decodeTCP disagrees with decode")
            }
            withExtendedLifetime(decoded) {}
        }
    }
    return 0
}
