import Scenarios
import TestSupport
import Testing

/// The check every scenario-file mistake test makes: the text does not parse, and the one
/// error names the file and the line, and says what is wrong.
enum ScenarioMistake {
    static func expect(_ text: String, line: Int?, words: String, case i: Int) {
        do {
            _ = try ScenarioFile.parse(text, source: "bad.yaml")
            Issue.record("case \(i) parsed, but should fail with \(words)")
        } catch {
            #expect(error.line == line, "case \(i): \(error)")
            #expect(error.description.contains(words), "case \(i): \(error)")
            if let line { #expect(error.description.hasPrefix("bad.yaml:\(line): "), "case \(i): \(error)") }
        }
    }
}
