import Yams

/// A mistake in a scenario file, with the line it is on.
public struct ScenarioFileError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var message: String

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}

/// Reads scenarios written in YAML (the format of the built-in catalogue,
/// and of users' own files). The README ("Scenario files") documents it.
/// Every mistake is reported with its line, before anything runs.
public enum ScenarioFile {
    public static func parse(_ text: String, source: String) throws(ScenarioFileError) -> Scenario {
        try ScenarioFileLimits.check(text: text, source: source)
        return try ScenarioFileLimits.onLargeStack { () throws(ScenarioFileError) in try parseChecked(text, source: source) }
    }

    private static func parseChecked(_ text: String, source: String) throws(ScenarioFileError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioFileError(source: source, line: nil, message: "the file is empty")
            }
            root = node
        } catch let e as ScenarioFileError {
            throw e
        } catch let e as YamlError {
            throw ScenarioFileError(source: source, line: yamlLine(e), message: "not valid YAML: \(yamlMessage(e))")
        } catch {
            throw ScenarioFileError(source: source, line: nil, message: "not valid YAML: \(error)")
        }
        try ScenarioFileLimits.check(root: root, source: source)
        var p = Parser(source: source)
        return try p.scenario(root)
    }

    static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    static func yamlMessage(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(e)"
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
