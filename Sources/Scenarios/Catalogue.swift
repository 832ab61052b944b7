import TraceModel

/// The built-in scenarios: YAML files in Sources/Scenarios/Catalogue, in the
/// same format users write their own in, embedded in the executable by
/// tools/embed-catalogue (CatalogueFiles.swift), so that an installed binary
/// needs no resource bundle.
public enum Catalogue {
    /// The order `synscope list` and `run --all` use.
    public static let order = [
        "connect", "self-connect", "close", "unlistened-port",
        "connect-without-accept", "simultaneous-open", "bound-not-listening", "close-unread-data", "linger-zero",
        "half-close", "write-after-reset", "backlog-overflow", "ephemeral-port", "bind-conflict", "time-wait-rebind",
        "reuseport-same-tuple", "connect-twice", "nonblocking-connect", "connect-timeout", "udp-connect", "tw-reuse",
        "keepalive", "somaxconn-cap", "accept-nonblocking", "syn-flood-cookies", "data-retransmit-timeout", "peer-reboot",
        "same-port-different-addresses", "wildcard-source-address", "readable-on-fin", "ephemeral-self-connect",
        "udp-reconnect", "sigpipe", "tw-reuse-server-side", "concurrent-connect",
    ]

    /// Every built-in scenario: those in `order` first, then any other file in
    /// the directory by name. A broken built-in file is a bug in synscope: it
    /// stops with the file and line.
    public static let all: [Scenario] = names.map { name in
        do {
            return try load(name)
        } catch {
            fatalError("built-in scenario \(name): \(error)")
        }
    }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    static var names: [String] {
        let present = files.map(\.name)
        return order.filter(present.contains) + present.filter { !order.contains($0) }.sorted()
    }

    static func load(_ name: String) throws(ScenarioFileError) -> Scenario {
        guard let file = files.first(where: { $0.name == name }) else {
            throw ScenarioFileError(source: "catalogue:\(name).yaml", line: nil, message: "not in the built-in catalogue")
        }
        return try ScenarioFile.parse(file.text, source: "catalogue:\(name).yaml")
    }

    /// Reads a user's scenario file: a regular file of UTF-8 text, at most
    /// `ScenarioFileLimits.maximumBytes` long.
    public static func load(path: String) throws(ScenarioFileError) -> Scenario {
        try ScenarioFile.parse(try ScenarioFileLimits.readText(path: path), source: path)
    }
}
