import Analysis
import Scenarios
import TraceModel

extension RunRecord {
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
}
