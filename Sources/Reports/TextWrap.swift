/// The word wrapper of every report: the text ladder's header lines and the
/// SVG diagram's notes.
enum TextWrap {
    /// `text`'s words (split at spaces) in lines of at most `width` characters.
    /// A longer word gets a line of its own, or with `breakingLongWords`, is
    /// cut into lines of `width` (SVG text does not wrap or scroll).
    static func lines(_ text: String, width: Int, breakingLongWords: Bool = false) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            if breakingLongWords && line.isEmpty && word.count > width && width > 0 {
                var rest = word
                while rest.count > width {
                    lines.append(String(rest.prefix(width)))
                    rest = rest.dropFirst(width)
                }
                line = String(rest)
                continue
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
