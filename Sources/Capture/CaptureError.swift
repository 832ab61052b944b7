/// Why a capture could not be opened or read to its end.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// libpcap could not open the file (missing, not a capture, bad header).
        case open
        /// A record could not be read (truncated record, bad length).
        case read
        /// The file's link type is one synscope does not decode.
        case unsupportedLinkType
        /// An output file or its directory could not be written.
        case write
    }

    public var kind: Kind
    public var path: String
    /// The 1-based frame at fault, for read errors.
    public var frame: Int?
    public var message: String

    public init(_ kind: Kind, path: String, frame: Int? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.frame = frame
        self.message = message
    }

    public var description: String {
        if let frame { return "\(path): frame \(frame): \(message)" }
        return "\(path): \(message)"
    }
}
