@preconcurrency import CPcap
import Glibc
import TraceModel

/// A live libpcap capture on an interface of the calling thread's network
/// namespace (pcap_create(3PCAP) binds its packet socket there; the
/// descriptor keeps that namespace whichever thread reads it).
///
/// Immediate mode: without it TPACKET_V3 holds packets until a block times
/// out (about 1 s). Nanosecond timestamps: `ts.tv_usec` then holds
/// nanoseconds, on the same CLOCK_REALTIME as syscall timestamps.
public final class LiveCapture {
    public let device: String
    public let linkType: LinkType
    public private(set) var packets: [CapturedPacket] = []
    private let handle: OpaquePointer
    /// Packets whose last bytes are this marker are synscope's own sentinel:
    /// counted in `sentinelsSeen`, never kept.
    public var sentinel: [UInt8] = []
    public private(set) var sentinelsSeen = 0

    /// Kernel counters (pcap_stats(3PCAP)). `received` counts both directions
    /// of `lo`, so it is not a packet count; `dropped` is what matters.
    public struct Statistics: Sendable, Hashable {
        public var received: UInt32
        public var dropped: UInt32
        public var interfaceDropped: UInt32
    }

    /// Opens and activates the capture; `filter` is a BPF expression (pcap-filter(7)).
    /// The ring holds `bufferSize / snapLength` frames (TPACKET_V2 in immediate mode:
    /// each frame is snaplen-sized), so the snap length is the largest loopback
    /// frame (a 65,535-byte IP packet and its Ethernet header), not 256 KiB: with
    /// 32 MiB that is about 500 frames between two drains, not 32.
    /// `inboundOnly` keeps one copy of each loopback packet; give false on an interface that is not a loopback.
    public init(device: String = "lo", filter: String, snapLength: Int32 = 65_600, bufferSize: Int32 = 32 << 20,
                inboundOnly: Bool = true) throws(EnvironmentError) {
        self.device = device
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(device, &errbuf) else {
            throw EnvironmentError(.capture, "cannot capture on \(device): \(cString(errbuf))")
        }
        pcap_set_snaplen(h, snapLength)
        pcap_set_immediate_mode(h, 1)
        pcap_set_buffer_size(h, bufferSize)
        // Timestamps are read as nanoseconds below: a capture that cannot give
        // them is refused rather than read 1000 times too slow (pcap_set_tstamp_precision(3PCAP)).
        if pcap_set_tstamp_precision(h, Int32(PCAP_TSTAMP_PRECISION_NANO)) != 0 {
            pcap_close(h)
            throw EnvironmentError(.capture, "cannot capture on \(device): libpcap refuses nanosecond timestamps (PCAP_TSTAMP_PRECISION_NANO)")
        }
        let status = pcap_activate(h)
        if status < 0 {
            let message = cString(pcap_geterr(h))
            pcap_close(h)
            if status == PCAP_ERROR_PERM_DENIED {
                throw EnvironmentError(.privilege, "cannot capture on \(device): needs CAP_NET_RAW (run synscope as root): \(message)")
            }
            throw EnvironmentError(.capture, "cannot capture on \(device): \(message)")
        }
        guard pcap_get_tstamp_precision(h) == Int32(PCAP_TSTAMP_PRECISION_NANO) else {
            pcap_close(h)
            throw EnvironmentError(.capture, "cannot capture on \(device): the activated capture gives no nanosecond timestamps")
        }
        handle = h
        linkType = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(h)))
        var program = bpf_program()
        guard pcap_compile(h, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = cString(pcap_geterr(h))
            pcap_close(h)
            throw EnvironmentError(.capture, "bad capture filter '\(filter)': \(message)")
        }
        defer { pcap_freecode(&program) }
        // A loopback packet passes the tap twice, outgoing and incoming. libpcap
        // drops the outgoing copy only on a device named "lo" (pcap-linux.c,
        // lo_ifindex); a renamed loopback needs the direction set (pcap_setdirection(3PCAP)).
        guard pcap_setfilter(h, &program) == 0, pcap_setdirection(h, inboundOnly ? PCAP_D_IN : PCAP_D_INOUT) == 0, pcap_setnonblock(h, 1, &errbuf) == 0 else {
            let message = cString(pcap_geterr(h))
            pcap_close(h)
            throw EnvironmentError(.capture, "cannot set up the capture on \(device): \(message)")
        }
    }

    deinit { pcap_close(handle) }

    /// Reads every packet the kernel has queued, without waiting. Returns how
    /// many were kept (sentinels are dropped and counted, not kept).
    @discardableResult
    public func drain() -> Int {
        var total = 0
        var state = DrainState(packets: packets, sentinel: sentinel)
        packets = []
        while true {
            let n = withUnsafeMutablePointer(to: &state) { pointer in
                pcap_dispatch(handle, -1, { user, header, bytes in
                    guard let user, let header, let bytes else { return }
                    let state = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DrainState.self)
                    let h = header.pointee
                    let captured = UnsafeBufferPointer(start: bytes, count: Int(h.caplen))
                    let marker = state.pointee.sentinel
                    if !marker.isEmpty && captured.count >= marker.count && captured.suffix(marker.count).elementsEqual(marker) {
                        state.pointee.sentinels += 1
                        return
                    }
                    let packet = CapturedPacket(
                        frame: state.pointee.packets.count + 1,
                        timestamp: Timestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec)),
                        linkType: LinkType(rawValue: 0), originalLength: Int(h.len),
                        bytes: Array(captured))
                    state.pointee.packets.append(packet)
                }, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self))
            }
            if n <= 0 { break }
            total += Int(n)
        }
        total -= state.sentinels
        sentinelsSeen += state.sentinels
        packets = state.packets
        for i in packets.indices where packets[i].linkType.rawValue == 0 && linkType.rawValue != 0 {
            packets[i].linkType = linkType
        }
        return total
    }

    private struct DrainState {
        var packets: [CapturedPacket]
        var sentinel: [UInt8]
        var sentinels = 0
    }

    /// Drains until `done()` holds or `limit` nanoseconds have passed,
    /// waiting on the capture descriptor at most `step` nanoseconds at a time.
    /// Returns whether `done()` held.
    @discardableResult
    public func drain(until done: () -> Bool, limit: Int64, step: Int64 = 10_000_000) -> Bool {
        let fd = pcap_get_selectable_fd(handle)
        let start = now()
        while true {
            drain()
            if done() { return true }
            if now() - start >= limit { return false }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, Int32(max(1, step / 1_000_000)))
        }
    }

    /// Drains until no packet has arrived for `settle` nanoseconds (or `limit`
    /// has passed): for callers that know no more about the wire than that.
    /// `synscope run` ends its capture on a sentinel instead (Scenarios.WireEnd).
    public func drainUntilQuiet(settle: Int64, limit: Int64 = 30_000_000_000) {
        var count = packets.count
        var last = now()
        drain(until: {
            if packets.count != count { count = packets.count; last = now() }
            return now() - last >= settle
        }, limit: limit)
    }

    public func statistics() -> Statistics {
        var s = pcap_stat()
        _ = pcap_stats(handle, &s)
        return Statistics(received: s.ps_recv, dropped: s.ps_drop, interfaceDropped: s.ps_ifdrop)
    }

    private func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

func cString(_ p: UnsafePointer<CChar>?) -> String {
    guard let p else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
}
