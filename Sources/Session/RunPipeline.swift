import Analysis
import Capture
import PacketWire
import Scenarios
import TraceModel
import Tracer

extension RunRecord {
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

    /// The correlated timeline of a traced command (no expectations: nothing was foretold).
    public init(command run: CommandRun) {
        let metadata = RunMetadata(command: run.command, kernel: run.kernel, events: run.calls.events,
                                   captureDropped: run.statistics.dropped, captureInterfaceDropped: run.statistics.interfaceDropped,
                                   namespace: run.host ? nil : run.namespace, hostNamespace: run.hostNamespace, interrupted: run.interrupted,
                                   kernelEvents: run.kernelEvents, kernelEventsLost: run.kernelEventsLost, threads: run.calls.threads,
                                   device: run.device, processes: run.calls.processes, exitStatus: run.exitStatus, host: run.host,
                                   callsLeftOut: run.calls.leftOut + run.calls.waitsLeftOut, packetsLeftOut: run.packetsLeftOut)
        self.init(metadata: metadata, packets: run.packets, scenario: nil)
    }

    /// Rebuilds a run from its metadata and packets: the pipeline's pass decodes them, the
    /// correlator ties them to the calls (attested by the kernel's events when the run has
    /// them), and the scenario's expectations are checked when the scenario is known.
    public init(metadata: RunMetadata, packets: [CapturedPacket], scenario: Scenario?) {
        var segments: [TCPSegment] = []
        var datagrams: [Datagram] = []
        // In memory: no read error can happen.
        try? Pipeline.run(.packets(packets), each: { r in
            let decoded = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            if let s = TCPSegment(decoded, frame: r.frame, time: r.timestamp) {
                segments.append(s)
            } else if let d = Datagram(decoded, frame: r.frame, time: r.timestamp) {
                datagrams.append(d)
            }
        })
        let kernel = metadata.kernelEvents.map { events in
            KernelInput(events: events, packets: packets.map { PacketStamp(frame: $0.frame, time: $0.timestamp, length: $0.originalLength) },
                        threads: Set(metadata.threads ?? []))
        }
        let timeline = Correlator.timeline(scenario: metadata.scenario, kernel: metadata.kernel, events: metadata.events,
                                           segments: segments, datagrams: datagrams, kernelEvents: kernel,
                                           kernelUnavailable: metadata.kernelEvents == nil ? metadata.kernelEventsUnavailable ?? "the run was recorded without them" : nil)
        var results = scenario.map { ExpectationCheck.check($0, timeline: timeline) } ?? []
        if let why = metadata.interrupted {
            results.insert(ExpectationResult(expectation: "the run completes", passed: false, observed: "interrupted by \(why)"), at: 0)
        }
        self.init(metadata: metadata, packets: packets, timeline: timeline, results: results)
    }
}
