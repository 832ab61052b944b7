import Foundation
import TraceModel

/// The built-in scenarios: YAML files in Sources/Scenarios/Catalogue, in the
/// same format users write their own in, shipped as resources.
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
        let directory = Bundle.module.url(forResource: "Catalogue", withExtension: nil)
        let files = directory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        let present = files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        return order.filter(present.contains) + present.filter { !order.contains($0) }.sorted()
    }

    static func load(_ name: String) throws -> Scenario {
        guard let directory = Bundle.module.url(forResource: "Catalogue", withExtension: nil),
              case let url = directory.appendingPathComponent("\(name).yaml"),
              FileManager.default.fileExists(atPath: url.path) else {
            throw ScenarioFileError(source: "catalogue:\(name).yaml", line: nil, message: "missing from the resources")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try ScenarioFile.parse(text, source: "catalogue:\(name).yaml")
    }

    /// Reads a user's scenario file.
    public static func load(path: String) throws(ScenarioFileError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioFileError(source: path, line: nil, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioFileError(source: path, line: nil, message: "the file is not UTF-8 text")
        }
        return try ScenarioFile.parse(text, source: path)
    }
}
