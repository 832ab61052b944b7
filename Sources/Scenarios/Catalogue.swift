import Foundation
import TraceModel

/// The built-in scenarios: YAML files in Sources/Scenarios/Catalogue, in the
/// same format users write their own in, shipped as resources.
public enum Catalogue {
    /// The order `synscope list` and `run --all` use.
    public static let order = [
        "connect", "self-connect", "close", "unlistened-port",
    ]

    /// Every built-in scenario. A broken built-in file is a bug in synscope: it stops with the file and line.
    public static let all: [Scenario] = order.map { name in
        do {
            return try load(name)
        } catch {
            fatalError("built-in scenario \(name): \(error)")
        }
    }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    static func load(_ name: String) throws -> Scenario {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Catalogue") else {
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
