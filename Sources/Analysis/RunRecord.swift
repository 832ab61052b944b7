import TraceModel

/// A finished run, live or reloaded from its saved pcapng: what it recorded,
/// its correlated timeline and the verdict on each expectation. Built by
/// Session's pipeline; rendered by Reports.
public struct RunRecord: Sendable {
    public var metadata: RunMetadata
    public var packets: [CapturedPacket]
    public var timeline: Timeline
    public var results: [ExpectationResult]

    public var passed: Bool { results.allSatisfy(\.passed) }
    public var scenario: String { metadata.scenario }

    public init(metadata: RunMetadata, packets: [CapturedPacket], timeline: Timeline, results: [ExpectationResult]) {
        self.metadata = metadata
        self.packets = packets
        self.timeline = timeline
        self.results = results
    }
}

/// The verdict on one expectation of a scenario.
public struct ExpectationResult: Sendable, Hashable {
    public var expectation: String
    public var passed: Bool
    /// What was observed (for a DIFF, the difference).
    public var observed: String

    public init(expectation: String, passed: Bool, observed: String) {
        self.expectation = expectation
        self.passed = passed
        self.observed = observed
    }
}

/// What synscope stores in its pcapng metadata block, besides the packets:
/// enough to rebuild the timeline offline.
public struct RunMetadata: Codable, Sendable {
    /// Format version of this block.
    public var version = 1
    public var scenario: String
    public var summary: String
    public var kernel: String
    public var ipv6: Bool
    public var events: [SyscallEvent]
    public var captureDropped: UInt32
    public var namespace: String?
    public var hostNamespace: String?
    /// Packets the interface dropped (pcap_stats(3PCAP) ps_ifdrop).
    public var captureInterfaceDropped: UInt32?
    /// Why the run stopped before its end (SIGINT, SIGTERM, its deadline); nil when it ran to the end.
    public var interrupted: String?
    /// The kernel's events of the run, on the pcap clock; nil when they could not be recorded.
    public var kernelEvents: [KernelEvent]?
    /// Why there are no kernel events.
    public var kernelEventsUnavailable: String?
    /// Events the tracing instance lost.
    public var kernelEventsLost: Int?
    /// The threads that made the scenario's calls, and the run's loopback device name.
    public var threads: [Int32]?
    public var device: String?
    /// `synscope trace`: the command traced (nil for a scenario run; `scenario` is then "trace"),
    /// its processes, its exit status, whether it ran in the host's namespace, and what was left out.
    public var command: [String]?
    public var processes: [TracedProcess]?
    public var exitStatus: Int32?
    public var host: Bool?
    public var callsLeftOut: Int?
    public var packetsLeftOut: Int?

    /// The metadata of a scenario run.
    public init(scenario: String, summary: String, kernel: String, ipv6: Bool, events: [SyscallEvent], captureDropped: UInt32,
                namespace: String?, hostNamespace: String?, captureInterfaceDropped: UInt32?, interrupted: String?,
                kernelEvents: [KernelEvent]?, kernelEventsUnavailable: String?, kernelEventsLost: Int?, threads: [Int32]?, device: String?) {
        self.scenario = scenario
        self.summary = summary
        self.kernel = kernel
        self.ipv6 = ipv6
        self.events = events
        self.captureDropped = captureDropped
        self.namespace = namespace
        self.hostNamespace = hostNamespace
        self.captureInterfaceDropped = captureInterfaceDropped
        self.interrupted = interrupted
        self.kernelEvents = kernelEvents
        self.kernelEventsUnavailable = kernelEventsUnavailable
        self.kernelEventsLost = kernelEventsLost
        self.threads = threads
        self.device = device
    }
}

extension RunMetadata {
    /// The metadata of a `synscope trace` run (`scenario` "trace", `summary` the command line).
    public init(command: [String], kernel: String, events: [SyscallEvent], captureDropped: UInt32, captureInterfaceDropped: UInt32,
                namespace: String?, hostNamespace: String?, interrupted: String?, kernelEvents: [KernelEvent],
                kernelEventsLost: Int, threads: [Int32], device: String, processes: [TracedProcess], exitStatus: Int32,
                host: Bool, callsLeftOut: Int, packetsLeftOut: Int) {
        let ipv6 = events.contains { $0.argument("domain") == .text("AF_INET6") }
        self.init(scenario: "trace", summary: command.map(RunMetadata.shellQuoted).joined(separator: " "), kernel: kernel, ipv6: ipv6,
                  events: events, captureDropped: captureDropped, namespace: namespace, hostNamespace: hostNamespace,
                  captureInterfaceDropped: captureInterfaceDropped, interrupted: interrupted, kernelEvents: kernelEvents,
                  kernelEventsUnavailable: nil, kernelEventsLost: kernelEventsLost, threads: threads, device: device)
        self.command = command
        self.processes = processes
        self.exitStatus = exitStatus
        self.host = host
        self.callsLeftOut = callsLeftOut
        self.packetsLeftOut = packetsLeftOut
    }

    /// A word as a POSIX shell would need it quoted (`'a b'`), unchanged when it needs no quotes.
    public static func shellQuoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || "0123456789-_./:=@%+,".unicodeScalars.contains($0) }
        return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
