import Sockets
import TestSupport
import Testing
import TraceModel

@Suite("/proc/net/tcp parsing")
struct SocketTableTests {
    @Test("an IPv4 listener")
    func ipv4Listener() throws {
        let line = "   0: 0100007F:1388 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0"
        let row = try #require(TCPTableRow(line: Substring(line)))
        #expect(row.local == SocketAddress(.v4(.loopback), 5000))
        #expect(row.remote == SocketAddress(.v4(.any), 0))
        #expect(row.state == "LISTEN")
        #expect(row.receiveQueue == 3)
        #expect(row.inode == 123456)
    }

    @Test("an IPv4 TIME-WAIT socket has inode 0")
    func timeWait() throws {
        let line = "   3: 0100007F:823A 0100007F:1388 06 00000000:00000000 03:00001766 00000000     0        0 0 3 0000000000000000"
        let row = try #require(TCPTableRow(line: Substring(line)))
        #expect(row.state == "TIME-WAIT")
        #expect(row.local.port == 0x823A)
        #expect(row.remote == SocketAddress(.v4(.loopback), 5000))
        #expect(row.inode == 0)
    }

    @Test("an IPv6 established socket on ::1")
    func ipv6() throws {
        let line = "   1: 00000000000000000000000001000000:1388 00000000000000000000000001000000:9C40 01 00000005:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 20 4 30 10 -1"
        let row = try #require(TCPTableRow(line: Substring(line)))
        #expect(row.local == SocketAddress(.v6(.loopback), 5000))
        #expect(row.remote == SocketAddress(.v6(.loopback), 40000))
        #expect(row.state == "ESTABLISHED")
        #expect(row.transmitQueue == 5)
    }

    @Test("the header line and garbage are not rows", arguments: [
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        "", "0: zz:1 00:0 0A 0:0 0 0 0 0 0", "   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
    ])
    func notRows(_ line: String) {
        #expect(TCPTableRow(line: Substring(line)) == nil)
    }
}

@Suite("Errno")
struct ErrnoTests {
    @Test("names and messages", arguments: [
        (Errno.connectionRefused, "ECONNREFUSED", "Connection refused"),
        (.inProgress, "EINPROGRESS", "Operation now in progress"),
        (.addressInUse, "EADDRINUSE", "Address already in use"),
        (.addressNotAvailable, "EADDRNOTAVAIL", "Cannot assign requested address"),
        (.isConnected, "EISCONN", "Transport endpoint is already connected"),
    ])
    func names(_ e: Errno, _ name: String, _ message: String) {
        #expect(e.name == name)
        #expect(e.message == message)
        #expect(Errno(name: name) == e)
    }

    @Test func unknownKeepsItsNumber() {
        #expect(Errno(rawValue: 4095).name == "errno 4095")
    }

    @Test func straceForm() {
        let e = SyscallEvent(socket: "client", fd: 3, call: "connect",
                             arguments: [.init("fd", .int(3)), .init("addr", .address(SocketAddress(.v4(.loopback), 9)))],
                             result: nil, error: .connectionRefused, begin: Timestamp(nanoseconds: 0), end: Timestamp(nanoseconds: 1))
        #expect(e.strace == "connect(fd=3, addr=127.0.0.1:9) = -1 ECONNREFUSED (Connection refused)")
    }
}
