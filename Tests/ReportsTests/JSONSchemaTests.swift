import Analysis
import Foundation
import Reports
import Session
import TestSupport
import Testing

/// The JSON synscope writes comes from the Codable models in Reports; these tests hold the
/// models to the README's schema tables, and `analyze`'s hand-written writer to the model.
@Suite("JSON schema")
struct JSONSchemaTests {
    /// The keys a README table names: the backquoted words of each row's first column,
    /// outside parentheses, in the table that follows `heading` (the n-th table after it).
    static func readmeKeys(after heading: String, table n: Int = 0) throws -> Set<String> {
        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("#") && $0.contains(heading) }, "no heading \(heading)")
        var tables: [[Substring]] = []
        var current: [Substring] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("#") { break }
            if line.hasPrefix("|") { current.append(line) } else if !current.isEmpty { tables.append(current); current = [] }
        }
        if !current.isEmpty { tables.append(current) }
        let rows = try #require(tables.indices.contains(n) ? tables[n] : nil, "table \(n) after \(heading)").dropFirst(2)
        var keys: Set<String> = []
        for row in rows {
            let first = row.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            var depth = 0, inCode = false, word = ""
            for ch in first {
                if ch == "(" && !inCode { depth += 1 } else if ch == ")" && !inCode { depth -= 1 }
                if ch == "`" {
                    if inCode && depth == 0 { keys.insert(word) }
                    inCode.toggle(); word = ""
                } else if inCode { word.append(ch) }
            }
        }
        return keys
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    static func run(_ name: String) throws -> RunRecord {
        try #require(try SavedRun.load(path: Fixtures.path(name)))
    }

    @Test("a run's keys are the README's run table")
    func runKeys() throws {
        let run = try Self.object(RunJSON.render([try Self.run("run-connect.pcapng")]))
        #expect(Set(run.keys) == (try Self.readmeKeys(after: "`run --format json` schema")))
    }

    @Test("a traced command's keys are the run table's and the trace table's")
    func traceKeys() throws {
        let run = try Self.object(RunJSON.render([try Self.run("trace-http-get.pcapng")]))
        let expected = try Self.readmeKeys(after: "`run --format json` schema").union(try Self.readmeKeys(after: "`trace` JSON and exit codes"))
        #expect(Set(run.keys) == expected)
    }

    @Test("syscall, segment and datagram events have the keys of their README tables")
    func eventKeys() throws {
        for (table, kind) in [(1, "syscall"), (2, "segment"), (3, "datagram")] {
            let expected = try Self.readmeKeys(after: "`run --format json` schema", table: table)
            var seen = 0
            for name in ["run-connect.pcapng", "run-udp-connect.pcapng", "run-unlistened-port.pcapng"] {
                let events = try #require(try Self.object(RunJSON.render([try Self.run(name)]))["events"] as? [[String: Any]])
                for e in events where e["kind"] as? String == kind {
                    seen += 1
                    // ICMP type and code are only on ICMP datagrams, and always there.
                    let udp = kind == "datagram" && e["proto"] as? String == "udp"
                    let keys = udp ? Set(e.keys).union(["type", "code"]) : Set(e.keys)
                    #expect(keys == expected, "\(name) #\(e["index"] ?? "?")")
                }
            }
            #expect(seen > 0, "no \(kind) event")
        }
    }

    @Test("a connection's keys are the README's analyze table")
    func connectionKeys() throws {
        let expected = try Self.readmeKeys(after: "`analyze --format json` / `jsonl` schema")
        guard case .capture(_, let connections, _) = try ReportInput.load(path: Fixtures.path("conn-graceful.pcap")) else {
            Issue.record("conn-graceful.pcap is not a plain capture"); return
        }
        let c = try #require(connections.first)
        #expect(Set(try Self.object(ConnectionJSON.object(c, includeSegments: true)).keys) == expected)
        #expect(Set(try Self.object(ConnectionJSON.object(c, includeSegments: false)).keys) == expected.subtracting(["segments"]))
    }

    /// `analyze` writes connections by hand for speed; the bytes must be the model's.
    @Test("analyze's writer writes the model's bytes", arguments: Fixtures.captureNames)
    func handWrittenEqualsModel(_ name: String) throws {
        let input = try ReportInput.load(path: Fixtures.path(name), keepPackets: false)
        let connections: [Connection] = switch input {
        case .capture(_, let c, _): c
        case .run(let r): r.timeline.connections
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for c in connections {
            for segments in [false, true] {
                let model = String(decoding: try encoder.encode(ConnectionModel(c, includeSegments: segments)), as: UTF8.self)
                #expect(ConnectionJSON.object(c, includeSegments: segments) == model, "\(name) connection \(c.id)")
            }
        }
    }
}
