import CSystem
import Foundation
import Glibc
import TestSupport
import Testing

/// All live suites, one at a time: they share the machine's tracing instances and counters.
@Suite(.serialized) enum LiveKernel {}

/// When live tests can run: as root. Under CI=true they always run, so that a missing privilege fails.
enum Live {
    static let enabled = ProcessInfo.processInfo.environment["CI"] == "true" || geteuid() == 0
    static let reason: Comment = "live tests need root (namespaces, tracefs, capture); they always run under CI=true"

    /// Runs `body` on a new pthread (its own namespaces) and waits for it.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ThreadBox(body)
        let done = DispatchSemaphore(value: 0)
        // Foundation's Thread runs its block on a fresh pthread.
        let t = Thread { box.result = Result { try box.body() }; done.signal() }
        t.start()
        done.wait()
        return try box.result!.get()
    }

    /// Runs a shell command from the calling thread (the child inherits its namespaces); stdout.
    static func shell(_ command: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The tracing instances of the machine, listed from a private mount namespace.
    static func instances() -> [String] {
        shell("unshare -m sh -c 'mount --make-rprivate / && mount -t tracefs nodev /sys/kernel/tracing && ls /sys/kernel/tracing/instances'")
            .split(separator: "\n").map(String.init)
    }

    /// read(2) until end of file (tracefs files report size 0, so Foundation's readers stop early).
    static func readAll(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static var tid: Int32 { Int32(synscope_gettid()) }
}

final class ThreadBox<T>: @unchecked Sendable {
    let body: @Sendable () throws -> T
    var result: Result<T, any Error>?
    init(_ body: @escaping @Sendable () throws -> T) { self.body = body }
}

/// Plain blocking IPv4 TCP sockets for the live tests (the syscalls are the point, not a wrapper).
enum Net {
    static func socketTCP() -> Int32 { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }

    static func address(_ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return a
    }

    static func bind(_ fd: Int32, _ port: UInt16) -> Int32 {
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = address(port)
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    static func connect(_ fd: Int32, _ port: UInt16) -> Int32 {
        var a = address(port)
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    static func localPort(_ fd: Int32) -> UInt16 {
        var a = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: a.sin_port)
    }
}
