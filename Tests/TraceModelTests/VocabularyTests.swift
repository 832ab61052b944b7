import Foundation
import Testing
import TraceModel

@Suite struct VocabularyTests {
    @Test("SO_LINGER's value is written and read back by one type")
    func lingerText() {
        for l in [Linger(on: true, seconds: 0), Linger(on: false, seconds: 5), Linger(on: true, seconds: 120)] {
            #expect(Linger(text: l.text) == l)
        }
        #expect(Linger.abortive.text == "{onoff=1, linger=0}")
        for bad in ["", "{onoff=1}", "{onoff=x, linger=0}", "onoff=1, linger=0", "{onoff=1, linger=}"] {
            #expect(Linger(text: bad) == nil, "\(bad)")
        }
    }

    @Test("option numbers name the option (asm-generic/socket.h, netinet/tcp.h)")
    func optionNames() {
        #expect(SocketOptionName(level: 1, number: 13) == .linger)
        #expect(SocketOptionName(level: 6, number: 1) == .noDelay)
        #expect(SocketOptionName(level: 1, number: 99).rawValue == "SOL_SOCKET 99")
    }

    @Test("kernel state numbers and tracepoint names give RFC 9293's states")
    func kernelStates() {
        #expect(TCPState(kernelCode: 10) == .listen)
        #expect(TCPState(kernelCode: 12) == .synReceived)
        #expect(TCPState(kernelCode: 99) == .unknown)
        #expect(KernelTCPState(rawValue: "TCP_NEW_SYN_RECV").name == "SYN-RECEIVED")
        #expect(KernelTCPState(rawValue: "TCP_BOUND_INACTIVE").name == "BOUND-INACTIVE")
        // Every state but unknown has a tracepoint name.
        let named = Set(["TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV", "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT",
                         "TCP_CLOSE", "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING"].compactMap(TCPState.init(kernelName:)))
        #expect(named == Set(TCPState.allCases).subtracting([.unknown]))
    }

    /// Issue 14's rule: a state, call or timer name is written only in its type. The kernel's own
    /// names are read where they are parsed (TraceLineParser, the YAML parser, the tables of
    /// reasons' meanings), and those places compare no words of their own.
    @Test("no state, call or timer name is a string literal outside its type")
    func noLiterals() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let names = TCPState.allCases.map(\.rawValue) + ["retransmission", "delayed-ack", "zero-window-probe", "TCP_LISTEN", "TCP_SYN_SENT", "TCP_SYN_RECV"]
        let exempt = ["Vocabulary.swift", "SocketOptions.swift", "CatalogueFiles.swift"]
        var files = 0
        for case let url as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where url.pathExtension == "swift" {
            guard !exempt.contains(url.lastPathComponent) else { continue }
            files += 1
            let text = try String(contentsOf: url, encoding: .utf8)
            for name in names { #expect(!text.contains("\"\(name)\""), "\(url.lastPathComponent) writes \"\(name)\"") }
            #expect(text.range(of: #"call (==|!=) ""#, options: .regularExpression) == nil, "\(url.lastPathComponent) compares a call with a string")
            #expect(text.range(of: #"proto (==|!=) ""#, options: .regularExpression) == nil, "\(url.lastPathComponent) compares a protocol with a string")
        }
        #expect(files > 100)
    }
}
