@testable import Reports
import Testing

/// The one word wrapper: the text report's header lines and the SVG's notes.
@Suite("word wrapping")
struct TextWrapTests {
    @Test("lines of at most the width, words kept whole")
    func words() {
        #expect(TextWrap.lines("the quick brown fox", width: 9) == ["the quick", "brown fox"])
        #expect(TextWrap.lines("  spaced   out  ", width: 20) == ["spaced out"])
        #expect(TextWrap.lines("", width: 5) == [])
    }

    @Test("a word longer than the width: its own line, or cut for the SVG")
    func longWords() {
        #expect(TextWrap.lines("a abcdefghij b", width: 4) == ["a", "abcdefghij", "b"])
        #expect(TextWrap.lines("a abcdefghij b", width: 4, breakingLongWords: true) == ["a", "abcd", "efgh", "ij b"])
    }

    @Test("the text report's wrap counts its indent in the width")
    func indent() {
        #expect(RunText.wrap("one two three", width: 10, indent: "   ") == "   one two\n   three")
    }
}
