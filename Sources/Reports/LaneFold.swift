/// Folds numbered sockets into one lane when a scenario makes many of them
/// (a `repeat` of `c{i}`): beyond `limit`, `c0`…`c199` share the lane `c*`.
enum LaneFold {
    static let limit = 6

    /// Socket name → lane name, for the sockets that are folded.
    static func fold(_ sockets: [String]) -> [String: String] {
        var groups: [String: [String]] = [:]
        for s in sockets {
            let digits = s.reversed().prefix { $0.isNumber }.count
            guard digits > 0, digits < s.count else { continue }
            groups[String(s.dropLast(digits)), default: []].append(s)
        }
        var out: [String: String] = [:]
        for (prefix, names) in groups where names.count > limit {
            for n in names { out[n] = prefix + "*" }
        }
        return out
    }

    /// The lanes in order of first appearance, folded.
    static func lanes(_ sockets: [String], _ fold: [String: String]) -> [String] {
        var seen: Set<String> = []
        return sockets.map { fold[$0] ?? $0 }.filter { seen.insert($0).inserted }
    }
}
