import Foundation
@testable import Scenarios
import TestSupport
import Testing

/// Hostile scenario files get one error naming the file (and line), never a
/// crash, a hang or memory exhaustion (ScenarioFileLimits).
@Suite("hostile scenario files")
struct HostileScenarioFileTests {
    static let head = "name: hostile\nsummary: s\n"

    /// Parses `text` and returns the error's description, recording an issue when it parses.
    static func error(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try ScenarioFile.parse(text, source: "hostile.yaml")
            Issue.record("parsed without an error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description
        }
    }

    @Test("a 10 MB string is refused by size")
    func hugeString() {
        let text = Self.head + "steps:\n  - sleep: 1\nexpect:\n  flags: '" + String(repeating: "S", count: 10_000_000) + "'\n"
        #expect(Self.error(text).hasPrefix("hostile.yaml: the text is 10000065 bytes; a scenario file may have at most 1048576"))
    }

    @Test("thousands of steps are refused with their count and line")
    func manySteps() {
        let text = Self.head + "steps:\n" + String(repeating: "  - sleep: 1\n", count: 5_000)
        #expect(Self.error(text) == "hostile.yaml:4: 5000 steps; a scenario may have at most 1000")
    }

    @Test("flow collections nested 100,000 deep are refused before YAML parsing")
    func deepFlow() {
        let text = Self.head + "steps: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        #expect(Self.error(text) == "hostile.yaml:3: more than 4000 '[' and '{' in the file")
    }

    @Test("the deepest flow nesting the limit lets through parses without a crash")
    func deepestAllowedFlow() {
        let depth = ScenarioFileLimits.maximumFlowOpenings
        let text = Self.head + "steps: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        #expect(Self.error(text).contains("hostile.yaml"))
    }

    /// tools/fuzz-run scenario-file, artifacts/scenario-file/crash-3757a169…: 1,860
    /// nested `{` overflowed the 8 MiB stack inside Yams under AddressSanitizer.
    @Test("fuzz finding: 1,860 nested mappings parse on the parser's own stack")
    func fuzzDeepMappings() {
        let text = String(repeating: "\r", count: 12) + String(repeating: "{", count: 1_860) + " fla]!!: '\r'-\r\r\r"
        #expect(Self.error(text).hasPrefix("hostile.yaml"))
    }

    @Test("the deepest nesting allowed parses from a thread with a 256 KiB stack")
    func smallCallerStack() {
        let depth = ScenarioFileLimits.maximumFlowOpenings
        let text = Self.head + "steps: " + String(repeating: "{a: ", count: depth) + String(repeating: "}", count: depth) + "\n"
        nonisolated(unsafe) var message = ""
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            message = Self.error(text)
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        done.wait()
        #expect(message.hasPrefix("hostile.yaml"))
    }

    @Test("block sequences nested 10,000 deep on one line are refused")
    func deepBlock() {
        let text = Self.head + "steps:\n" + String(repeating: "- ", count: 10_000) + "x\n"
        #expect(Self.error(text) == "hostile.yaml:4: indented (or nested with '- ') more than 160 columns deep")
    }

    @Test("nested aliases (billion laughs) are refused by node count")
    func billionLaughs() {
        var text = Self.head + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "steps: [*a9]\n"
        #expect(Self.error(text) == "hostile.yaml: more than 100000 YAML values (counting each use of an alias)")
    }

    @Test("a chain of 3,000 aliases, deeper than the text, is counted without recursion")
    func aliasChain() {
        var text = Self.head + "a0: &a0 x\n"
        for i in 1...3_000 { text += "a\(i): &a\(i) [*a\(i - 1)]\n" }
        text += "steps: [*a3000]\n"
        #expect(Self.error(text).hasPrefix("hostile.yaml"))
    }

    @Test("synscope run with a hostile file: exit 1 and the file's error, before anything runs")
    func commandLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let deep = dir.appendingPathComponent("deep.yaml").path
        _ = FileManager.default.createFile(atPath: deep, contents: Data((Self.head + "steps: " + String(repeating: "[", count: 5_000)).utf8))
        let fifo = dir.appendingPathComponent("fifo.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, message) in [(deep, "\(deep):3: more than 4000 '[' and '{' in the file"), (fifo, "\(fifo): not a regular file")] {
            let r = try LiveSupport.run(LiveSupport.binary, ["run", path, "--out", dir.path])
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }

    @Test("files: too big, not UTF-8, a FIFO, a directory, missing")
    func files() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ path: String) -> String {
            do {
                _ = try Catalogue.load(path: path)
                return "loaded"
            } catch {
                return error.description
            }
        }
        let big = dir.appendingPathComponent("big.yaml").path
        _ = FileManager.default.createFile(atPath: big, contents: Data(count: 10_000_000))
        #expect(load(big) == "\(big): the file is 10000000 bytes; a scenario file may have at most 1048576")
        let latin1 = dir.appendingPathComponent("latin1.yaml").path
        _ = FileManager.default.createFile(atPath: latin1, contents: Data("name: caf".utf8) + [0xe9, 0x0a])
        #expect(load(latin1) == "\(latin1): the file is not UTF-8 text")
        let fifo = dir.appendingPathComponent("fifo.yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(load(fifo) == "\(fifo): not a regular file")
        #expect(load(dir.path) == "\(dir.path): not a regular file")
        let missing = dir.appendingPathComponent("missing.yaml").path
        #expect(load(missing) == "\(missing): cannot read the file: No such file or directory")
    }
}
