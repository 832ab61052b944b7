import Glibc
import TraceModel

/// One row of /proc/net/tcp or /proc/net/tcp6 (proc(5)).
public struct TCPTableRow: Hashable, Sendable {
    public var local: SocketAddress
    public var remote: SocketAddress
    /// The socket's state (include/net/tcp_states.h's number, as RFC 9293 names it).
    public var state: TCPState
    public var transmitQueue: Int
    public var receiveQueue: Int
    /// 0 for sockets no process holds (TIME-WAIT, not yet accepted).
    public var inode: UInt64
    /// The kernel's state number (include/net/tcp_states.h).
    public var code: Int
    /// The pending timer (`tr` in proc(5); net/ipv4/tcp_ipv4.c get_tcp4_sock):
    /// 0 none, 1 retransmission (or loss probe, or a request socket's SYN-ACK
    /// timer), 2 keepalive/SYN-RECV/FIN-WAIT-2 (sk_timer), 3 TIME-WAIT, 4 zero-window probe.
    public var timer: Int = 0
    /// When that timer fires, in nanoseconds from now (`tm->when`, in USER_HZ ticks of 10 ms).
    public var timerDue: Int64 = 0
    /// The delayed-ACK timeout (`ato`, in USER_HZ ticks), in nanoseconds; nil where the row has none.
    public var ackTimeout: Int64?
    /// A request socket: a half-open connection in a listener's SYN queue.
    /// /proc/net/tcp prints them as SYN_RECV (03) with no inode (tcp4_seq_show: get_openreq4).
    public var isRequest: Bool { (code == 3 || code == 12) && inode == 0 }

    /// Parses one data line; nil for the header or anything malformed.
    public init?(line: Substring) {
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 10, f[0].hasSuffix(":"),
              let local = Self.address(f[1]), let remote = Self.address(f[2]),
              let st = Int(f[3], radix: 16) else { return nil }
        let queues = f[4].split(separator: ":")
        guard queues.count == 2, let tx = Int(queues[0], radix: 16), let rx = Int(queues[1], radix: 16),
              let inode = UInt64(f[9]) else { return nil }
        self.local = local
        self.remote = remote
        self.state = TCPState(kernelCode: st)
        self.transmitQueue = tx
        self.receiveQueue = rx
        self.inode = inode
        self.code = st
        let timer = f[5].split(separator: ":")
        if timer.count == 2, let kind = Int(timer[0], radix: 16), let due = Int64(timer[1], radix: 16) {
            self.timer = kind
            self.timerDue = due * 10_000_000
        }
        if f.count >= 14, let ato = Int64(f[13]) { ackTimeout = ato * 10_000_000 }
    }

    /// `0100007F:1F90` (IPv4, the address as a host-order word) or 32 hex
    /// digits (IPv6, four host-order words), then the port.
    static func address(_ text: Substring) -> SocketAddress? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hex = parts[0]
        // The kernel prints each 32-bit word of the network-order address as a
        // host-order integer; UInt32(bigEndian:) undoes that on either byte order.
        func word(_ i: Int) -> UInt32? {
            let start = hex.index(hex.startIndex, offsetBy: i * 8)
            return UInt32(hex[start..<hex.index(start, offsetBy: 8)], radix: 16).map { UInt32(bigEndian: $0) }
        }
        switch hex.count {
        case 8:
            guard let w = word(0) else { return nil }
            return SocketAddress(.v4(IPv4Address(w)), port)
        case 32:
            var words: [UInt32] = []
            for i in 0..<4 {
                guard let w = word(i) else { return nil }
                words.append(w)
            }
            let high = UInt64(words[0]) << 32 | UInt64(words[1])
            let low = UInt64(words[2]) << 32 | UInt64(words[3])
            return SocketAddress(.v6(IPv6Address(high: high, low: low)), port)
        default:
            return nil
        }
    }
}

/// Reads the calling thread's namespace's TCP table. /proc/net is the
/// process's namespace; /proc/thread-self/net is the thread's.
public enum TCPTable {
    public static func read() -> [TCPTableRow] {
        readFile("/proc/thread-self/net/tcp") + readFile("/proc/thread-self/net/tcp6")
    }

    static func readFile(_ path: String) -> [TCPTableRow] {
        guard let f = fopen(path, "r") else { return [] }
        defer { fclose(f) }
        var rows: [TCPTableRow] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, f) > 0, let line {
            let text = String(cString: line)
            if let row = TCPTableRow(line: Substring(text)) { rows.append(row) }
        }
        return rows
    }
}
