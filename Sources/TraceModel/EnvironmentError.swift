/// Why a live run cannot happen here: a missing privilege, no network
/// namespace, no capture on `lo`. synscope exits with code 2 for these.
public struct EnvironmentError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Not root, or a capability is missing (the message names it).
        case privilege
        /// A network namespace could not be made or set up.
        case namespace
        /// libpcap could not capture on the namespace's `lo`.
        case capture
        /// The kernel's own events cannot be recorded: no tracefs, or a tracepoint is missing.
        case tracing
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
