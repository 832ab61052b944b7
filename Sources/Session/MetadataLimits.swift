import Analysis
import TraceModel

/// What synscope's metadata block in a saved pcapng may hold. A saved file
/// is input like any other: its JSON is checked before it is decoded
/// (size, UTF-8, nesting) and the decoded `RunMetadata` before a run is
/// rebuilt from it (counts, lengths, times), so that a file whose metadata
/// lies gets one error naming the file instead of a crash or a hang.
public enum MetadataLimits {
    /// Largest metadata payload: a recorded run's is under 100 KiB.
    public static let maximumBytes = 16 << 20
    /// Deepest nesting of JSON arrays and objects: RunMetadata needs 6.
    public static let maximumDepth = 32
    /// Most syscall events in one run.
    public static let maximumEvents = 100_000
    /// Most arguments, outputs or socket snapshots on one event.
    public static let maximumPerEvent = 1_000
    /// Longest string (a socket name, a call, the data a call returned).
    public static let maximumStringBytes = 1 << 20
    /// Latest time accepted, in ns since the epoch (2^62 ns, in the year 2116):
    /// far from Int64's limit, so that time arithmetic cannot overflow.
    public static let latestTime: Int64 = 1 << 62

    /// What is wrong with a metadata block.
    public struct Violation: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Checks the JSON text before decoding: size, UTF-8, nesting depth.
    public static func check(json payload: [UInt8]) throws(Violation) {
        guard payload.count <= maximumBytes else {
            throw Violation("the metadata is \(payload.count) bytes, more than \(maximumBytes)")
        }
        guard String(validating: payload, as: UTF8.self) != nil else { throw Violation("the metadata is not UTF-8 text") }
        // JSON (RFC 8259 §2, §7): brackets count only outside strings.
        var depth = 0, inString = false, escaped = false
        for (offset, byte) in payload.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { throw Violation("the metadata nests more than \(maximumDepth) levels deep at byte \(offset)") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    /// Checks decoded metadata before a run is rebuilt from it.
    public static func check(_ m: RunMetadata) throws(Violation) {
        guard m.version == 1 else { throw Violation("metadata version \(m.version); this synscope reads version 1") }
        try text(m.scenario, "the scenario name")
        try text(m.summary, "the summary")
        try text(m.kernel, "the kernel")
        guard m.events.count <= maximumEvents else {
            throw Violation("\(m.events.count) syscall events, more than \(maximumEvents)")
        }
        for (i, e) in m.events.enumerated() {
            let what = "syscall event \(i)"
            try text(e.socket, "\(what): the socket name")
            try text(e.call.rawValue, "\(what): the call")
            guard e.arguments.count <= maximumPerEvent, e.outputs.count <= maximumPerEvent, e.snapshot.count <= maximumPerEvent else {
                throw Violation("\(what): more than \(maximumPerEvent) arguments, outputs or snapshots")
            }
            guard 0 <= e.begin.nanoseconds, e.begin <= e.end, e.end.nanoseconds <= latestTime else {
                throw Violation("\(what): begin \(e.begin.nanoseconds) and end \(e.end.nanoseconds) are not times from 1970 to 2116 in order")
            }
            for a in e.arguments + e.outputs {
                try text(a.name, "\(what): an argument name")
                switch a.value {
                case .text(let t): try text(t, "\(what): \(a.name)")
                case .flags(let f):
                    guard f.count <= maximumPerEvent else { throw Violation("\(what): \(a.name) has more than \(maximumPerEvent) flags") }
                    for flag in f { try text(flag, "\(what): \(a.name)") }
                case .int, .address: break
                }
            }
            for s in e.snapshot {
                try text(s.socket, "\(what): a snapshot's socket")
                guard s.receiveQueue >= 0, s.sendQueue >= 0, (s.synQueue ?? 0) >= 0 else {
                    throw Violation("\(what): a snapshot has a negative queue length")
                }
            }
        }
    }

    private static func text(_ s: String, _ what: String) throws(Violation) {
        guard s.utf8.count <= maximumStringBytes else {
            throw Violation("\(what) is \(s.utf8.count) bytes, more than \(maximumStringBytes)")
        }
    }
}
