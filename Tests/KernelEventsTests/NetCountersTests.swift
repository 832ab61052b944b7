import KernelEvents
import TestSupport
import Testing

@Suite struct NetCountersTests {
    @Test func deltaKeepsOnlyWhatMoved() {
        let before: [String: Int64] = ["TcpExtListenOverflows": 3, "TcpRetransSegs": 10, "TcpActiveOpens": 1]
        let after: [String: Int64] = ["TcpExtListenOverflows": 5, "TcpRetransSegs": 10, "TcpActiveOpens": 2, "TcpExtTCPTimeouts": 1]
        #expect(NetCounters.delta(before, after) == ["TcpExtListenOverflows": 2, "TcpActiveOpens": 1, "TcpExtTCPTimeouts": 1])
    }
}
