import Analysis
import Foundation
import TraceModel

/// A value JSON shows as `null` when absent (Swift's synthesized coding leaves an absent optional out).
public struct Nullable<Value: Codable & Equatable>: Codable, Equatable {
    public var value: Value?
    public init(_ value: Value?) { self.value = value }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        value = c.decodeNil() ? nil : try c.decode(Value.self)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// One connection in JSON (schema in the README, "analyze --format json"). `ConnectionJSON`
/// writes the same bytes by hand for `analyze`, which writes one per connection of a capture.
public struct ConnectionModel: Codable, Equatable {
    public struct Endpoint: Codable, Equatable { var addr: String; var port: Int }
    public struct Stats: Codable, Equatable {
        var segments: Int
        var payload_bytes: Int
        var retransmissions: Int
    }
    public struct States: Codable, Equatable { var originator: String; var responder: String }
    public struct Segment: Codable, Equatable {
        var frame: Int
        var time: String
        var from: String
        var flags: String
        var rel_seq: UInt32
        var rel_ack: Nullable<UInt32>
        var payload_len: Int
        var window: UInt16
        var findings: [String]
        var states: States
    }
    var id: Int
    var originator: Endpoint
    var responder: Endpoint
    var originator_guessed: Bool
    var handshake: String
    var teardown: String
    var conn_state: String
    var history: String
    var originator_stats: Stats
    var responder_stats: Stats
    var handshake_rtt_ns: Nullable<Int64>
    var start: String
    var end: String
    var duration_ns: Int64
    var first_frame: Int
    var last_frame: Int
    var final_states: States
    var findings: [String: Int]
    var segments: [Segment]?

    public init(_ c: Connection, includeSegments: Bool) {
        func endpoint(_ a: SocketAddress) -> Endpoint { Endpoint(addr: a.address.description, port: Int(a.port)) }
        func stats(_ s: DirectionStats) -> Stats { Stats(segments: s.segments, payload_bytes: s.payloadBytes, retransmissions: s.retransmissions) }
        id = c.id
        originator = endpoint(c.originator)
        responder = endpoint(c.responder)
        originator_guessed = c.originatorIsGuess
        handshake = c.handshake.rawValue
        teardown = c.teardown.rawValue
        conn_state = c.connState
        history = c.history
        originator_stats = stats(c.originatorStats)
        responder_stats = stats(c.responderStats)
        handshake_rtt_ns = Nullable(c.handshakeRTT)
        start = c.start.decimalString
        end = c.end.decimalString
        duration_ns = c.duration
        first_frame = c.firstFrame
        last_frame = c.lastFrame
        final_states = States(c.finalStates)
        findings = Dictionary(c.findingCounts.map { ($0.key.name, $0.value) }, uniquingKeysWith: +)
        segments = includeSegments ? c.segments.map(Segment.init) : nil
    }
}

extension ConnectionModel.States {
    init(_ s: ConnectionStates) { self.init(originator: s.originator.name, responder: s.responder.name) }
}

extension ConnectionModel.Segment {
    init(_ a: AnnotatedSegment) {
        let label = SegmentLabel(a)
        self.init(frame: a.segment.frame, time: a.segment.time.decimalString, from: a.direction.rawValue, flags: label.flags.tcpdumpNotation,
                  rel_seq: label.sequence, rel_ack: Nullable(label.acknowledgment), payload_len: label.length,
                  window: a.segment.window, findings: a.findings.map(\.name), states: .init(a.states))
    }
}

/// How synscope writes JSON documents: keys sorted, one line, `/` not escaped.
enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The models hold only strings, numbers, booleans, arrays and objects: encoding cannot fail.
        guard let data = try? encoder.encode(value) else { preconditionFailure("a JSON model that does not encode") }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
