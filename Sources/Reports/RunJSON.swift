import Analysis
import TraceModel

/// `synscope run --format json` and `trace --format json` (schema in the README), from the
/// models below, encoded by `JSONEncoder` with sorted keys.
public enum RunJSON {
    /// One run as an object; several as `{"runs":[...]}`.
    public static func render(_ runs: [RunRecord]) -> String {
        struct Runs: Encodable { var runs: [RunModel] }
        return runs.count == 1 ? JSONOutput.encode(RunModel(runs[0])) : JSONOutput.encode(Runs(runs: runs.map(RunModel.init)))
    }
}

/// A run in JSON.
public struct RunModel: Codable, Equatable {
    public struct Process: Codable, Equatable {
        var name: String
        var pid: Int32
        var parent: Nullable<Int32>
        var programs: [String]
        var exited: Nullable<String>
    }
    public struct LeftOut: Codable, Equatable { var calls: Int; var packets: Int }
    public struct StateChangeModel: Codable, Equatable {
        var time: String
        var socket: Nullable<String>
        var local: Nullable<String>
        var remote: Nullable<String>
        var from: String
        var to: String
    }
    public struct Inference: Codable, Equatable { var agree: Int; var total: Int; var differences: [String] }
    public struct Check: Codable, Equatable { var expectation: String; var passed: Bool; var observed: String }
    public struct Expectations: Codable, Equatable { var status: String; var checks: [Check] }

    var scenario: Nullable<String>
    // A trace of a command: the command, where it ran, its processes, and what was left out.
    var command: [String]?
    var namespace: String?
    var device: String?
    var exit_status: Nullable<Int32>?
    var processes: [Process]?
    var left_out: LeftOut?
    var kernel: String
    var family: String
    var sockets: [String]
    var capture_dropped: UInt32
    var capture_interface_dropped: UInt32
    var interrupted: Nullable<String>
    var kernel_events: Nullable<String>
    var state_changes: [StateChangeModel]
    var inference: Nullable<Inference>
    var events: [EventModel]
    var connections: [ConnectionModel]
    var expectations: Expectations

    public init(_ r: RunRecord) {
        let m = r.metadata
        let t = r.timeline
        scenario = Nullable(m.command == nil ? r.scenario : nil)
        if let c = m.command {
            command = c
            namespace = m.host == true ? "host" : "private"
            device = m.device ?? "lo"
            exit_status = Nullable(m.exitStatus)
            processes = (m.processes ?? []).map {
                Process(name: $0.name, pid: $0.pid, parent: Nullable($0.parent), programs: $0.programs, exited: Nullable($0.exited?.decimalString))
            }
            left_out = LeftOut(calls: m.callsLeftOut ?? 0, packets: m.packetsLeftOut ?? 0)
        }
        kernel = m.kernel
        family = m.ipv6 ? "ipv6" : "ipv4"
        sockets = t.sockets
        capture_dropped = m.captureDropped
        capture_interface_dropped = m.captureInterfaceDropped ?? 0
        interrupted = Nullable(m.interrupted)
        kernel_events = Nullable(t.kernelEvents)
        state_changes = t.stateChanges.map {
            StateChangeModel(time: $0.time.decimalString, socket: Nullable($0.socket), local: Nullable($0.local?.hostPort),
                             remote: Nullable($0.remote?.hostPort), from: $0.from, to: $0.to)
        }
        inference = Nullable(t.inference.map { Inference(agree: $0.agree, total: $0.total, differences: $0.differences) })
        events = t.entries.map(EventModel.init)
        connections = t.connections.map { ConnectionModel($0, includeSegments: false) }
        expectations = Expectations(status: r.results.isEmpty ? "unchecked" : r.passed ? "pass" : "diff",
                                    checks: r.results.map { Check(expectation: $0.expectation, passed: $0.passed, observed: $0.observed) })
    }
}

/// A segment's or datagram's cause: `{"event":4,"kind":"reply","source":"kernel","timer":null}`.
public struct CauseModel: Codable, Equatable {
    var kind: String
    var event: Nullable<Int>
    var timer: Nullable<String>
    var task: Int32?
    var source: String

    init(_ c: SegmentCause, source: CauseSource) {
        self.source = source.rawValue
        switch c {
        case .syscall(let e): kind = "syscall"; event = Nullable(e); timer = Nullable(nil)
        case .reply(let e): kind = "reply"; event = Nullable(e); timer = Nullable(nil)
        case .timer(let t): kind = "timer"; event = Nullable(nil); timer = Nullable(t.rawValue)
        case .untraced(let t): kind = "untraced"; event = Nullable(nil); timer = Nullable(nil); task = t
        }
    }
}

/// A value of a call's arguments or outputs: a number, or text.
public enum ArgumentModel: Codable, Equatable {
    case number(Int)
    case text(String)

    init(_ v: SyscallValue) {
        if case .int(let n) = v { self = .number(n) } else { self = .text(v.description) }
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .text(let t): try c.encode(t)
        }
    }
}
