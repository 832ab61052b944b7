import Analysis
import TraceModel

/// One entry of a run's `events`: a call, a segment or a datagram, told apart by `kind`.
public enum EventModel: Codable, Equatable {
    case syscall(SyscallModel)
    case segment(SegmentModel)
    case datagram(DatagramModel)

    init(_ e: TimelineEntry) {
        switch e {
        case .syscall(let c): self = .syscall(SyscallModel(c))
        case .segment(let g): self = .segment(SegmentModel(g))
        case .datagram(let d): self = .datagram(DatagramModel(d))
        }
    }

    public init(from decoder: Decoder) throws {
        struct Kind: Decodable { var kind: String }
        switch try Kind(from: decoder).kind {
        case "syscall": self = .syscall(try SyscallModel(from: decoder))
        case "segment": self = .segment(try SegmentModel(from: decoder))
        default: self = .datagram(try DatagramModel(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .syscall(let m): try m.encode(to: encoder)
        case .segment(let m): try m.encode(to: encoder)
        case .datagram(let m): try m.encode(to: encoder)
        }
    }
}

public struct SyscallModel: Codable, Equatable {
    public struct ProcessRef: Codable, Equatable { var name: String; var pid: Int32 }
    public struct SocketState: Codable, Equatable {
        var state: String
        var recv_q: Int
        var send_q: Int
        var syn_q: Int?
    }
    var kind = "syscall"
    var index: Int
    var socket: String
    var fd: Int32
    var call: String
    var thread: Nullable<String>
    var tid: Nullable<Int32>
    var process: Nullable<ProcessRef>
    var args: [String: ArgumentModel]
    var result: Int
    var errno: Nullable<String>
    var outputs: [String: ArgumentModel]
    var begin: String
    var end: String
    var caused: [Int]
    var returned_after: Nullable<Int>
    var counters: [String: Int64]
    var states_after: [String: SocketState]

    init(_ c: TimelineSyscall) {
        let e = c.event
        index = c.index
        socket = e.socket
        fd = e.fd
        call = e.call.rawValue
        thread = Nullable(e.thread)
        tid = Nullable(e.tid)
        process = Nullable(e.process.map { ProcessRef(name: $0.name, pid: $0.pid) })
        args = Dictionary(e.arguments.map { ($0.name, ArgumentModel($0.value)) }, uniquingKeysWith: { a, _ in a })
        result = e.result ?? -1
        errno = Nullable(e.error?.name)
        outputs = Dictionary(e.outputs.map { ($0.name, ArgumentModel($0.value)) }, uniquingKeysWith: { a, _ in a })
        begin = e.begin.decimalString
        end = e.end.decimalString
        caused = c.caused
        returned_after = Nullable(c.returnedAfter)
        counters = e.counters ?? [:]
        states_after = Dictionary(e.snapshot.map {
            ($0.socket, SocketState(state: $0.state.name, recv_q: $0.receiveQueue, send_q: $0.sendQueue, syn_q: $0.synQueue))
        }, uniquingKeysWith: { a, _ in a })
    }
}

public struct SegmentModel: Codable, Equatable {
    public struct Kernel: Codable, Equatable {
        var context: String
        var timer: Nullable<String>
        var reset_reason: Nullable<String>
        var retransmit: Bool
    }
    public struct Fate: Codable, Equatable { var dropped: String; var evidence: String }
    public struct StatesAfter: Codable, Equatable {
        var originator: String
        var responder: String
        var originator_name: String
        var responder_name: String
    }
    var kind = "segment"
    var index: Int
    var frame: Int
    var time: String
    var src: String
    var sport: UInt16
    var dst: String
    var dport: UInt16
    var sender: Nullable<String>
    var flags: String
    var rel_seq: UInt32
    var rel_ack: Nullable<UInt32>
    var payload_len: Int
    var connection: Int
    var cause: CauseModel
    var kernel: Nullable<Kernel>
    var fate: Nullable<Fate>
    var explanation: String
    var findings: [String]
    var states_after: StatesAfter

    init(_ g: TimelineSegment) {
        let s = g.segment
        let label = SegmentLabel(g)
        index = g.index
        frame = s.frame
        time = s.time.decimalString
        src = s.flow.source.address.description
        sport = s.flow.source.port
        dst = s.flow.destination.address.description
        dport = s.flow.destination.port
        sender = Nullable(g.sender)
        flags = label.flags.tcpdumpNotation
        rel_seq = label.sequence
        rel_ack = Nullable(label.acknowledgment)
        payload_len = label.length
        connection = g.annotated.connection
        cause = CauseModel(g.cause, source: g.source)
        kernel = Nullable(g.kernel.map {
            Kernel(context: $0.context.rawValue, timer: Nullable($0.timer), reset_reason: Nullable($0.resetReason?.rawValue), retransmit: $0.retransmit)
        })
        fate = Nullable(g.fate.map { Fate(dropped: $0.dropped.rawValue, evidence: $0.evidence) })
        explanation = g.explanation
        findings = g.annotated.findings.map(\.name)
        states_after = StatesAfter(originator: g.annotated.states.originator.name, responder: g.annotated.states.responder.name,
                                   originator_name: g.originatorName, responder_name: g.responderName)
    }
}

public struct DatagramModel: Codable, Equatable {
    var kind = "datagram"
    var index: Int
    var frame: Int
    var time: String
    var proto: String
    var src: String
    var sport: Nullable<UInt16>
    var dst: String
    var dport: Nullable<UInt16>
    var payload_len: Int
    var type: UInt8?
    var code: UInt8?
    var sender: Nullable<String>
    var cause: CauseModel
    var explanation: String

    init(_ d: TimelineDatagram) {
        index = d.index
        frame = d.frame
        time = d.time.decimalString
        proto = d.proto.rawValue
        src = d.source.address.description
        sport = Nullable(d.proto == .udp ? d.source.port : nil)
        dst = d.destination.address.description
        dport = Nullable(d.proto == .udp ? d.destination.port : nil)
        payload_len = d.payloadLength
        if let t = d.icmpType, let c = d.icmpCode {
            type = t
            code = c
        }
        sender = Nullable(d.sender)
        cause = CauseModel(d.cause, source: .inferred)
        explanation = d.explanation
    }
}
