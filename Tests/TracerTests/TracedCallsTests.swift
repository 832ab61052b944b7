import Foundation
import TestSupport
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
        Self.calls.events.first { $0.call.rawValue == name && $0.process?.name == process }
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
        #expect(!Self.calls.events.contains { $0.call == .socket && $0.argument("domain") == nil })
        #expect(Self.calls.leftOut > 100)
        #expect(Self.calls.events.allSatisfy { $0.tid != nil && $0.process != nil })
    }

    @Test func theAcceptedSocketsCallsComeFromTheHandlerThread() throws {
        let recv = try #require(Self.calls.events.first { $0.call == .recvfrom && $0.process?.name == "python3" })
        #expect(recv.tid != recv.process?.pid)
        #expect(recv.socket.contains(" fd 4 "))
        let shutdown = try #require(call("shutdown", process: "python3"))
        #expect(shutdown.argument("how") == .text("SHUT_WR"))
    }

    @Test func theKilledServerClosesItsListenerOnExit() throws {
        let exit = try #require(Self.calls.events.last { $0.call == .exit })
        #expect(exit.process?.name == "python3")
        #expect(exit.socket.hasSuffix("listening)"))
    }
}

/// The fd-table rules on a small hand-made record (inetd style: a socket given to an exec'd program as fd 0).
@Suite struct TracedFDTableTests {
    static func event(_ ns: Int64, _ pid: Int32, _ kind: KernelEvent.Kind) -> KernelEvent {
        KernelEvent(time: Timestamp(nanoseconds: ns), cpu: 0, pid: pid, context: .process, kind: kind)
    }

    @Test func dup2ClearsCloseOnExecAndTheSocketSurvivesExec() {
        let e = Self.event
        let events = [
            e(1, 10, .syscallEnter(name: .socket, args: [2, 0o2000001, 0])), e(2, 10, .syscallExit(name: .socket, result: 3)),
            e(3, 10, .syscallEnter(name: .dup2, args: [3, 0])), e(4, 10, .syscallExit(name: .dup2, result: 0)),
            e(5, 10, .exec(pid: 10, filename: "/usr/bin/cat")),
            e(6, 10, .syscallEnter(name: .read, args: [0, 0, 100])), e(7, 10, .syscallExit(name: .read, result: 5)),
            e(8, 10, .syscallEnter(name: .read, args: [3, 0, 100])), e(9, 10, .syscallExit(name: .read, result: -9)),
        ]
        let calls = TracedCalls(events: events, root: 10, rootName: "sh")
        #expect(calls.events.map(\.call.rawValue) == ["socket", "read"], "fd 0 kept the socket; fd 3 was closed by the exec")
        #expect(calls.events.last?.process?.name == "cat")
        #expect(calls.events.last?.socket == "sh[10] fd 3", "the lane keeps its creator's name")
        #expect(calls.leftOut == 1, "the read on fd 3, closed by the exec (dup2 is bookkeeping, not counted)")
    }

    @Test func aChildProcessGetsACopyOfTheTableAndAThreadSharesIt() {
        let e = Self.event
        let events = [
            e(1, 10, .syscallEnter(name: .socket, args: [2, 1, 0])), e(2, 10, .syscallExit(name: .socket, result: 3)),
            e(3, 10, .newTask(pid: 11, comm: "sh", flags: 0x1200011)),
            e(4, 10, .newTask(pid: 12, comm: "sh", flags: 0x3d0f00)),
            e(5, 11, .syscallEnter(name: .close, args: [3])), e(6, 11, .syscallExit(name: .close, result: 0)),
            e(7, 12, .syscallEnter(name: .shutdown, args: [3, 1])), e(8, 12, .syscallExit(name: .shutdown, result: 0)),
        ]
        let calls = TracedCalls(events: events, root: 10, rootName: "sh")
        #expect(calls.events.map(\.call.rawValue) == ["socket", "close", "shutdown"])
        #expect(calls.events[1].process == .init(name: "sh", pid: 11))
        #expect(calls.events[2].process == .init(name: "sh", pid: 10), "a thread's call is its process's")
        #expect(calls.events[2].tid == 12)
        #expect(calls.processes.map(\.pid) == [10, 11])
    }
}
