@testable import Capture
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--output` onto something that is not a regular file: the node must
/// survive (renaming FILE.partial over /dev/null once replaced the host's
/// /dev/null with a regular file), and a regular file behind a symbolic
/// link is replaced while the link stays.
@Suite("output targets: devices, FIFOs and links are written in place")
struct OutputTargetTests {
    static let capture = SynscopeBinary.packageRoot.appendingPathComponent("captures/conn-graceful.pcap").path

    private static func mode(_ path: String, follow: Bool = false) -> mode_t {
        var st = stat()
        let rc = follow ? stat(path, &st) : lstat(path, &st)
        return rc == 0 ? st.st_mode & S_IFMT : 0
    }

    private static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("the target is chosen by what is at the path")
    func classify() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.txt").path
        #expect(OutputTarget(file) == .replace(path: file))  // nothing there yet
        _ = FileManager.default.createFile(atPath: file, contents: Data("old".utf8))
        #expect(OutputTarget(file) == .replace(path: file))
        let link = dir.appendingPathComponent("link.txt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        #expect(OutputTarget(link).path.hasSuffix("/report.txt"))
        #expect(OutputTarget("/dev/null") == .direct(path: "/dev/null"))
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(OutputTarget(fifo) == .direct(path: fifo))
    }

    @Test("report and pcapng to /dev/null leave it a character device", arguments: ["text", "json", "pcapng"])
    func devNull(format: String) throws {
        #expect(Self.mode("/dev/null") == S_IFCHR)
        let r = try SynscopeBinary.run(["report", "--format", format, "--output", "/dev/null", Self.capture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.mode("/dev/null") == S_IFCHR)
        #expect(Self.mode("/dev/null.partial") == 0)
    }

    @Test("a report through a symbolic link replaces the file it names; the link stays a link")
    func throughLink() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.json").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("old".utf8))
        let link = dir.appendingPathComponent("latest.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let r = try SynscopeBinary.run(["report", "--format", "json", "--output", link, Self.capture])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.mode(link) == S_IFLNK)
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written.hasPrefix("{") || written.hasPrefix("["))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["latest.json", "report.json"])
    }

    @Test("a report into a FIFO reaches its reader, and the FIFO stays a FIFO")
    func fifo() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let copy = dir.appendingPathComponent("copy").path
        // cat reads the FIFO into a file while synscope writes it.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$1\"", fifo, copy]
        try reader.run()
        let r = try SynscopeBinary.run(["report", "--format", "json", "--output", fifo, Self.capture])
        reader.waitUntilExit()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.mode(fifo) == S_IFIFO)
        let direct = try SynscopeBinary.run(["report", "--format", "json", Self.capture])
        #expect(try String(contentsOfFile: copy, encoding: .utf8) == direct.stdout)
    }
}
