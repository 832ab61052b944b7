import TraceModel

// Tests write expected kernel names as the kernel and strace print them
// ("NO_SOCKET", "connect"). The library never builds these types from
// literals: only the tests do, through these conformances.
extension Syscall: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
}

extension ResetReason: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
}

extension DropReason: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
}

extension KernelTCPState: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
}

extension TimerKind: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
}

extension TCPState: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        guard let state = TCPState(rawValue: value) else { fatalError("no TCP state is named \(value)") }
        self = state
    }
}
