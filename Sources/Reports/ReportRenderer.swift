import Analysis

/// Renders `synscope report` for a set of inputs in one of its formats.
public enum ReportRenderer {
    public static func split(_ inputs: [ReportInput]) -> (runs: [RunRecord], captures: [(file: String, connections: [Connection])]) {
        var runs: [RunRecord] = []
        var captures: [(file: String, connections: [Connection])] = []
        for input in inputs {
            switch input {
            case .run(let r): runs.append(r)
            case .capture(let file, let connections, _): captures.append((file, connections))
            }
        }
        return (runs, captures)
    }

    public static func text(_ inputs: [ReportInput], width: Int = 100, color: Bool = false, full: Bool = false) -> String {
        var s = ""
        for input in inputs {
            switch input {
            case .run(let r):
                s += RunText.render(r, width: width, color: color, full: full)
            case .capture(let file, let connections, _):
                s += "== \(file): \(connections.count) TCP connection\(connections.count == 1 ? "" : "s")\n\n"
                for c in connections {
                    s += ConnectionText.summary(c) + ConnectionText.ladder(c, width: width, color: color, full: full) + "\n"
                }
            }
        }
        return s
    }

    public static func markdown(_ inputs: [ReportInput], title: String) -> String {
        let (runs, captures) = split(inputs)
        return MarkdownReport.render(runs: runs, captures: captures, title: title)
    }

    public static func html(_ inputs: [ReportInput], title: String) -> String {
        let (runs, captures) = split(inputs)
        return HTMLReport.render(runs: runs, connections: captures, title: title)
    }

    /// A run's JSON (as `run --format json`), or for captures `{"captures":[{"file","connections":[...]}]}`;
    /// with both, one object holding `runs` and `captures`.
    public static func json(_ inputs: [ReportInput]) -> String {
        let (runs, captures) = split(inputs)
        if captures.isEmpty { return RunJSON.render(runs) }
        struct Capture: Encodable { var file: String; var connections: [ConnectionModel] }
        struct Report: Encodable { var runs: [RunModel]?; var captures: [Capture] }
        return JSONOutput.encode(Report(runs: runs.isEmpty ? nil : runs.map(RunModel.init),
                                        captures: captures.map { c in Capture(file: c.file, connections: c.connections.map { ConnectionModel($0, includeSegments: true) }) }))
    }
}
