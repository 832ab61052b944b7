import Analysis
import Capture
import PacketWire
import TraceModel

/// A finished run, live or reloaded from its saved pcapng: the correlated
/// timeline and the verdict on each expectation.
public struct RunRecord: Sendable {
    public var metadata: RunMetadata
    public var packets: [CapturedPacket]
    public var timeline: Timeline
    public var results: [ExpectationResult]

    public var passed: Bool { results.allSatisfy(\.passed) }
    public var scenario: String { metadata.scenario }

    /// Correlates a live run and checks the scenario's expectations.
    public init(scenario: Scenario, live: LiveRun) {
        let metadata = RunMetadata(scenario: scenario.name, summary: scenario.summary, kernel: live.kernel, ipv6: live.ipv6,
                                   events: live.events, captureDropped: live.statistics.dropped,
                                   namespace: live.namespace, hostNamespace: live.hostNamespace,
                                   captureInterfaceDropped: live.statistics.interfaceDropped, interrupted: live.interrupted,
                                   kernelEvents: live.kernelEvents, kernelEventsUnavailable: live.kernelUnavailable,
                                   kernelEventsLost: live.kernelEventsLost, threads: live.threads, device: live.device)
        self.init(metadata: metadata, packets: live.packets, scenario: scenario)
    }

    /// Rebuilds a run from saved metadata and packets: the same correlation,
    /// and the same checks when the scenario is known.
    public init(metadata: RunMetadata, packets: [CapturedPacket], scenario: Scenario?) {
        self.metadata = metadata
        self.packets = packets
        var segments: [TCPSegment] = []
        var datagrams: [Datagram] = []
        for p in packets {
            let decoded = p.bytes.withUnsafeBytes {
                PacketDecoder.decode($0, linkType: p.linkType, originalLength: p.originalLength)
            }
            if let s = TCPSegment(decoded, frame: p.frame, time: p.timestamp) {
                segments.append(s)
            } else if let d = Datagram(decoded, frame: p.frame, time: p.timestamp) {
                datagrams.append(d)
            }
        }
        let kernel = metadata.kernelEvents.map { events in
            KernelInput(events: events, packets: packets.map { PacketStamp(frame: $0.frame, time: $0.timestamp, length: $0.originalLength) },
                        threads: Set(metadata.threads ?? []))
        }
        let timeline = Correlator.timeline(scenario: metadata.scenario, kernel: metadata.kernel, events: metadata.events,
                                           segments: segments, datagrams: datagrams, kernelEvents: kernel,
                                           kernelUnavailable: metadata.kernelEvents == nil ? metadata.kernelEventsUnavailable ?? "the run was recorded without them" : nil)
        self.timeline = timeline
        results = scenario.map { ExpectationCheck.check($0, timeline: timeline) } ?? []
        if let why = metadata.interrupted {
            results.insert(ExpectationResult(expectation: "the run completes", passed: false, observed: "interrupted by \(why)"), at: 0)
        }
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
