#if canImport(Glibc)
import Glibc
#endif
import Yams

/// What a scenario file may hold, checked before and after YAML parsing, so
/// that a hostile or broken file gets one error with its name (and line)
/// instead of exhausting memory or the stack. Yams builds its tree
/// recursively, one stack frame per nesting level, so nesting is bounded
/// from the text before Yams sees it.
public enum ScenarioFileLimits {
    /// Largest scenario file: the biggest built-in one is under 4 KiB.
    public static let maximumBytes = 1 << 20
    /// Most `[` and `{` in a file (quoted or not), which bounds the nesting
    /// of flow collections.
    public static let maximumFlowOpenings = 4_000
    /// Furthest column at which a line's content may start (indentation plus
    /// `- `/`? `/`: ` indicators), which bounds the nesting of block collections.
    public static let maximumIndentation = 160
    /// Most YAML nodes in the tree, aliases counted each time they are used
    /// (a "billion laughs" file stops here).
    public static let maximumNodes = 100_000
    /// Most steps in one scenario.
    public static let maximumSteps = 1_000
    /// Most steps once every `repeat` is unrolled.
    public static let maximumUnrolledSteps = 10_000

    /// The text of the file at `path`, which must be a regular file of at
    /// most `maximumBytes` bytes of UTF-8. Never blocks on a FIFO or device.
    public static func readText(path: String) throws(ScenarioFileError) -> String {
        func failure(_ message: String) -> ScenarioFileError { ScenarioFileError(source: path, line: nil, message: message) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot read the file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot read the file: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure("not a regular file") }
        guard info.st_size <= maximumBytes else {
            throw failure("the file is \(info.st_size) bytes; a scenario file may have at most \(maximumBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure("cannot read the file: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        // One byte more than fstat said means the file grew while we read it.
        guard count <= maximumBytes else { throw failure("the file is over \(maximumBytes) bytes; a scenario file may have at most \(maximumBytes)") }
        guard let text = String(validating: bytes[0..<count], as: UTF8.self) else { throw failure("the file is not UTF-8 text") }
        return text
    }

    /// Stack of the thread that parses: Yams builds (and Swift frees) the
    /// tree recursively, a few KiB per level (more under AddressSanitizer),
    /// so the deepest file the limits let through needs far more than a
    /// secondary thread's 512 KiB or even the main thread's 8 MiB.
    static let parserStackBytes = 64 << 20

    /// Runs `body` on a new thread with a `parserStackBytes` stack and waits
    /// for it. Only touched pages of that stack use memory. The
    /// corresponding C functions are `pthread_create(3)` and `pthread_join(3)`.
    static func onLargeStack<T>(_ body: () throws(ScenarioFileError) -> T) throws(ScenarioFileError) -> T {
        var result: Result<T, ScenarioFileError>?
        withoutActuallyEscaping(body) { body in
            withUnsafeMutablePointer(to: &result) { slot in
                let job = ParserJob { slot.pointee = Result { () throws(ScenarioFileError) in try body() } }
                var attributes = pthread_attr_t()
                pthread_attr_init(&attributes)
                defer { pthread_attr_destroy(&attributes) }
                var thread = pthread_t()
                var started = false
                if pthread_attr_setstacksize(&attributes, parserStackBytes) == 0 {
                    let context = Unmanaged.passRetained(job).toOpaque()
                    started = pthread_create(&thread, &attributes, { context in
                        Unmanaged<ParserJob>.fromOpaque(context!).takeRetainedValue().run()
                        return nil
                    }, context) == 0
                    if !started { Unmanaged<ParserJob>.fromOpaque(context).release() }
                }
                if started {
                    pthread_join(thread, nil)
                } else {
                    // No thread (out of memory or threads): parse here.
                    job.run()
                }
            }
        }
        return try result!.get()
    }

    /// Checks size and nesting on the text, before YAML parsing.
    static func check(text: String, source: String) throws(ScenarioFileError) {
        func failure(_ line: Int, _ message: String) -> ScenarioFileError { ScenarioFileError(source: source, line: line, message: message) }
        guard text.utf8.count <= maximumBytes else {
            throw ScenarioFileError(source: source, line: nil, message: "the text is \(text.utf8.count) bytes; a scenario file may have at most \(maximumBytes)")
        }
        var scan = NestingScan()
        var line = 1
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                line += 1
                scan.newLine()
                continue
            }
            scan.next(byte)
            if scan.flowOpenings > maximumFlowOpenings {
                throw failure(line, "more than \(maximumFlowOpenings) '[' and '{' in the file")
            }
            if scan.column > maximumIndentation {
                throw failure(line, "indented (or nested with '- ') more than \(maximumIndentation) columns deep")
            }
        }
    }

    /// Checks the YAML tree before it becomes a scenario: node count (with
    /// aliases expanded) and the number of steps.
    static func check(root: Node, source: String) throws(ScenarioFileError) {
        var budget = maximumNodes
        guard count(root, budget: &budget) else {
            throw ScenarioFileError(source: source, line: nil, message: "more than \(maximumNodes) YAML values (counting each use of an alias)")
        }
        if let steps = root.mapping?["steps"], let list = steps.sequence, list.count > maximumSteps {
            throw ScenarioFileError(source: source, line: steps.mark?.line,
                                    message: "\(list.count) steps; a scenario may have at most \(maximumSteps)")
        }
    }

    /// Counts `node` and its descendants against `budget`, without
    /// recursion (aliases can nest deeper than the text); false once it runs out.
    private static func count(_ root: Node, budget: inout Int) -> Bool {
        var pending = [root]
        while let node = pending.popLast() {
            budget -= 1
            if budget < 0 { return false }
            if let s = node.sequence {
                pending.append(contentsOf: s)
            } else if let m = node.mapping {
                for (k, v) in m { pending.append(k); pending.append(v) }
            }
        }
        return true
    }
}

/// Work handed to the parser thread.
private final class ParserJob: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Bounds YAML nesting from the text alone (YAML 1.2 §6–§8): a flow
/// collection opens at a `[` or `{`, so their count bounds flow nesting,
/// quoted or not; a nested block collection starts further right than its
/// parent (or after a `- `/`? `/`: ` indicator on the same line), so the
/// column where a line's content starts bounds block nesting.
private struct NestingScan {
    /// Every `[` and `{` so far.
    var flowOpenings = 0
    /// Indentation plus indicators of the current line, while still in them.
    var column = 0
    private var atLineStart = true

    mutating func newLine() {
        atLineStart = true
        column = 0
    }

    mutating func next(_ byte: UInt8) {
        if atLineStart {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                column += 1
            default:
                atLineStart = false
            }
        }
        if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { flowOpenings += 1 }
    }
}
