import TraceModel

/// What a scenario does besides socket calls, recorded on lanes of their own: firewall rules and namespace sysctls.
extension SocketCalls {
    /// Changes the namespace's firewall and records it as an event of the
    /// `firewall` lane. A rule nft refuses stops the run.
    @discardableResult
    public func firewall(_ description: String, _ body: () throws(EnvironmentError) -> Void) throws(EnvironmentError) -> SyscallEvent {
        let begin = RealtimeClock.now()
        try body()
        let event = SyscallEvent(socket: "firewall", fd: -1, call: .nft, arguments: [.init("rule", .text(description))],
                                 result: 0, error: nil, begin: begin, end: RealtimeClock.now())
        recordEvent(event)
        return event
    }

    /// A change to, or a reading of, the namespace (a sysctl), recorded on the `namespace` lane.
    @discardableResult
    public func namespaceEvent(_ call: Syscall, _ arguments: [SyscallEvent.Argument],
                               _ body: () throws(EnvironmentError) -> [SyscallEvent.Argument]) throws(EnvironmentError) -> SyscallEvent {
        let begin = RealtimeClock.now()
        let outputs = try body()
        let event = SyscallEvent(socket: "namespace", fd: -1, call: call, arguments: arguments, result: 0, error: nil,
                                 begin: begin, end: RealtimeClock.now(), outputs: outputs)
        recordEvent(event)
        return event
    }
}
