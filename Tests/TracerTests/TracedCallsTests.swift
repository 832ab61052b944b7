import Foundation
import Testing
@testable import Analysis
import KernelEvents
import TraceModel

/// TracedCalls on a real kernel's record (tools/record-trace-fixture): `sh -c 'python3 -m
/// http.server & sleep 1; curl …; kill $!'` followed by set_event_pid + event-fork.
@Suite struct TracedCallsTests {
    static let calls: TracedCalls = {
        let url = Bundle.module.url(forResource: "http-get", withExtension: "trace", subdirectory: "Fixtures")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        let events = TraceLineParser.events(text, offset: 0)
        let root = events.first!.pid
        return TracedCalls(events: events, root: root, rootName: "sh")
    }()

    func call(_ name: String, process: String) -> SyscallEvent? {
        Self.calls.events.first { $0.call == name && $0.process?.name == process }
    }

    @Test func processesAndTheirNames() {
        let names = Self.calls.processes.map(\.name)
        #expect(names.first == "sh")
        #expect(names.contains("python3") && names.contains("curl") && names.contains("sleep"))
        // python3's handler thread is a thread of python3, not a process.
        #expect(!Self.calls.processes.contains { $0.pid != $0.parent && $0.name == "python3" && $0.parent.map { p in Self.calls.processes.first { $0.pid == p }?.name == "python3" } == true })
        #expect(Self.calls.threads.count > Self.calls.processes.count)
    }

    @Test func addressesComeOnlyFromTheKernelsOwnEvents() throws {
        let listen = try #require(call("listen", process: "python3"))
        #expect(listen.outputs.first { $0.name == "addr" }?.value == .address(SocketAddress(.v4(IPv4Address("127.0.0.1")!), 8000)))
        #expect(listen.socket.hasSuffix("(127.0.0.1:8000, listening)"))
        let connect = try #require(call("connect", process: "curl"))
        #expect(connect.error == .inProgress)
        #expect(connect.argument("addr") == .address(SocketAddress(.v4(IPv4Address("127.0.0.1")!), 8000)))
        guard case .address(let local)? = connect.outputs.first(where: { $0.name == "local" })?.value else {
            Issue.record("connect has no local end: \(connect.outputs)"); return
        }
        let accept = try #require(call("accept4", process: "python3"))
        #expect(accept.outputs.first { $0.name == "peer" }?.value == .address(local))
        // bind's address is behind a pointer and no event of its context names it: left out, not guessed.
        let bind = try #require(call("bind", process: "python3"))
        #expect(bind.argument("addr") == nil)
    }

    @Test func onlyIPSocketsMakeLanes() {
        let lanes = Set(Self.calls.events.map(\.socket))
        #expect(lanes.contains { $0.hasPrefix("curl[") && $0.contains(" fd 5") })
        #expect(lanes.contains { $0.hasPrefix("python3[") && $0.contains(" fd 4 (from 127.0.0.1:") })
        // curl's and python3's AF_UNIX sockets (nscd lookups) and every file read are left out, and counted.
        #expect(!Self.calls.events.contains { $0.call == "socket" && $0.argument("domain") == nil })
        #expect(Self.calls.leftOut > 100)
        #expect(Self.calls.events.allSatisfy { $0.tid != nil && $0.process != nil })
    }

    @Test func theAcceptedSocketsCallsComeFromTheHandlerThread() throws {
        let recv = try #require(Self.calls.events.first { $0.call == "recvfrom" && $0.process?.name == "python3" })
        #expect(recv.tid != recv.process?.pid)
        #expect(recv.socket.contains(" fd 4 "))
        let shutdown = try #require(call("shutdown", process: "python3"))
        #expect(shutdown.argument("how") == .text("SHUT_WR"))
    }

    @Test func theKilledServerClosesItsListenerOnExit() throws {
        let exit = try #require(Self.calls.events.last { $0.call == "exit" })
        #expect(exit.process?.name == "python3")
        #expect(exit.socket.hasSuffix("listening)"))
    }
}
