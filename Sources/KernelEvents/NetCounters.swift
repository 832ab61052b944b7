import Glibc
import Synchronization

/// The calling thread's network namespace counters: /proc/thread-self/net/netstat and
/// /proc/thread-self/net/snmp (proc(5)), named as nstat(8) names them: "TcpExtListenOverflows",
/// "TcpRetransSegs". Both files are pairs of lines, "Prefix: Name1 Name2…" then "Prefix: v1 v2…".
///
/// For a per-step delta take `snapshot()` before and after (two reads and integer parsing, no Strings),
/// then `delta(_:_:)`, which names only the counters that moved.
public enum NetCounters {
    /// The values of one read, in file order; the names are shared by every snapshot of this kernel.
    public struct Snapshot: Sendable {
        public let names: [String]
        public let values: [Int64]
    }

    static let paths = ["/proc/thread-self/net/netstat", "/proc/thread-self/net/snmp"]
    /// The header lines last seen and the names they give (the layout is fixed for a running kernel).
    static let layout = Mutex<(headers: [UInt8], names: [String])>(([], []))

    public static func snapshot() -> Snapshot {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16_384)
        for path in paths { append(path, to: &bytes) }
        var values: [Int64] = []
        values.reserveCapacity(512)
        let headerLines = bytes.withUnsafeBufferPointer { pairs($0, values: &values) }
        return Snapshot(names: names(bytes, headerLines), values: values)
    }

    /// Reads the header/values line pairs of the files' text into `values`; returns the header lines kept.
    static func pairs(_ b: UnsafeBufferPointer<UInt8>, values: inout [Int64]) -> [Range<Int>] {
        var headerLines: [Range<Int>] = []
        var lines: [Range<Int>] = []
        var start = 0
        for i in 0..<b.count where b[i] == 0x0a {
            lines.append(start..<i)
            start = i + 1
        }
        // Lines alternate: header, values, with the same "Prefix:". A pair that does not fit is skipped.
        var k = 0
        while k + 1 < lines.count {
            let h = lines[k], v = lines[k + 1]
            var colon = h.lowerBound
            while colon < h.upperBound && b[colon] != 0x3a { colon += 1 }
            let prefixLength = colon - h.lowerBound
            var same = colon < h.upperBound && v.count > prefixLength
            var i = 0
            while same && i <= prefixLength { same = b[h.lowerBound + i] == b[v.lowerBound + i]; i += 1 }
            guard same else { k += 1; continue }
            var fields = 0
            var j = colon + 1
            while j < h.upperBound {
                if b[j] != 0x20 && b[j - 1] == 0x20 { fields += 1 }
                j += 1
            }
            let first = values.count
            var number: Int64 = 0, negative = false, inNumber = false, valid = true
            j = v.lowerBound + prefixLength + 1
            while j < v.upperBound {
                let c = b[j]
                if c >= 0x30 && c <= 0x39 { number = number &* 10 &+ Int64(c &- 0x30); inNumber = true }
                else if c == 0x2d { negative = true }
                else if c == 0x20 {
                    if inNumber { values.append(negative ? -number : number) }
                    number = 0; negative = false; inNumber = false
                } else { valid = false }
                j += 1
            }
            if inNumber { values.append(negative ? -number : number) }
            if valid && values.count - first == fields {
                headerLines.append(h)
            } else {
                values.removeSubrange(first...)
            }
            k += 2
        }
        return headerLines
    }

    /// The counters' names (`TcpExtListenOverflows`: the line's prefix and the header's word), cached while the headers stay the same.
    static func names(_ bytes: [UInt8], _ headerLines: [Range<Int>]) -> [String] {
        var headerLength = 0
        for h in headerLines { headerLength += h.count + 1 }
        return layout.withLock { cached in
            if cached.headers.count == headerLength && headerLinesEqual(bytes, headerLines, cached.headers) { return cached.names }
            var headers: [UInt8] = []
            var names: [String] = []
            for h in headerLines {
                let line = bytes[h]
                headers += line
                headers.append(0x0a)
                let colon = line.firstIndex(of: 0x3a)!
                let prefix = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
                for word in line[(colon + 1)...].split(separator: 0x20) {
                    names.append(prefix + String(decoding: word, as: UTF8.self))
                }
            }
            cached = (headers, names)
            return names
        }
    }

    static func headerLinesEqual(_ bytes: [UInt8], _ lines: [Range<Int>], _ cached: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            cached.withUnsafeBufferPointer { c in
                var k = 0
                for h in lines {
                    guard memcmp(b.baseAddress! + h.lowerBound, c.baseAddress! + k, h.count) == 0 else { return false }
                    k += h.count + 1
                }
                return true
            }
        }
    }

    static func append(_ path: String, to bytes: inout [UInt8]) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        if bytes.last != 0x0a && !bytes.isEmpty { bytes.append(0x0a) }
    }

    /// Every counter by name.
    public static func read() -> [String: Int64] {
        let s = snapshot()
        var counters: [String: Int64] = [:]
        for (name, value) in zip(s.names, s.values) { counters[name] = value }
        return counters
    }

    /// Only the counters that moved between two snapshots (after − before).
    public static func delta(_ before: Snapshot, _ after: Snapshot) -> [String: Int64] {
        guard before.names == after.names else {
            var b: [String: Int64] = [:], a: [String: Int64] = [:]
            for (n, v) in zip(before.names, before.values) { b[n] = v }
            for (n, v) in zip(after.names, after.values) { a[n] = v }
            return delta(b, a)
        }
        var moved: [String: Int64] = [:]
        for i in after.values.indices where after.values[i] != before.values[i] {
            moved[after.names[i]] = after.values[i] &- before.values[i]
        }
        return moved
    }

    /// Only the counters whose value moved (after − before); a counter new in `after` counts from 0.
    public static func delta(_ before: [String: Int64], _ after: [String: Int64]) -> [String: Int64] {
        var moved: [String: Int64] = [:]
        for (name, value) in after {
            let d = value &- (before[name] ?? 0)
            if d != 0 { moved[name] = d }
        }
        return moved
    }
}
