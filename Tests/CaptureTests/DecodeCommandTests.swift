import Capture
import Foundation
import Testing
import TraceModel

@Suite("synscope decode: timestamps, formats, several files, usage errors")
struct DecodeCommandTests {
    /// Microsecond, nanosecond, little- and big-endian headers all give the same
    /// packets with nanosecond timestamps.
    @Test("timestamps", arguments: [
        (false, false, UInt32(123_456), "123456000"),
        (true, false, UInt32(123_456), "123456000"),
        (false, true, UInt32(123_456_789), "123456789"),
        (true, true, UInt32(123_456_789), "123456789"),
    ])
    func timestamps(bigEndian: Bool, nanosecond: Bool, fraction: UInt32, digits: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("ts.pcap", Fixture.pcap(count: 2, bigEndian: bigEndian, nanosecond: nanosecond, fraction: fraction).bytes)

        let packets = try CaptureFileReader(path: path).readAll()
        #expect(packets.map(\.timestamp.decimalString) == ["\(Fixture.seconds).\(digits)", "\(Fixture.seconds + 1).\(digits)"])
        #expect(packets.map(\.bytes) == [Fixture.synPacket(sequence: 1000), Fixture.synPacket(sequence: 1001)])

        let result = try SynscopeBinary.run(["decode", path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let lines = result.stdoutLines
        try #require(lines.count == 2, "stdout: \(result.stdout)")
        #expect(lines[0].hasPrefix("\(Fixture.seconds).\(digits) \(Fixture.synText), seq 1000"), "\(lines[0])")
        #expect(lines[1].hasPrefix("\(Fixture.seconds + 1).\(digits) \(Fixture.synText), seq 1001"), "\(lines[1])")
    }

    @Test("--format jsonl prints one JSON object per packet, also before a truncated record")
    func jsonl() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var w = Fixture.pcap(count: 2)
        w.recordHeader(seconds: Fixture.seconds + 2, fraction: 0, includedLength: 58, originalLength: 58)
        w.raw(InputCase.truncatedSyn)
        let path = try dir.write("cut.pcap", w.bytes)

        let result = try SynscopeBinary.run(["decode", "--format", "jsonl", path])
        #expect(result.status == 2)
        let lines = result.stdoutLines
        #expect(lines.count == 2, "stdout: \(result.stdout)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            #expect(object is [String: Any], "\(line)")
        }
        #expect(result.stderrLines.count == 1)
        #expect(result.stderrLines.first?.hasPrefix("synscope: \(path): frame 3: ") == true, "\(result.stderr)")
    }

    /// A bad file does not stop the others: every good file is decoded, each bad
    /// one gets its own error line, and the exit code is 2.
    @Test("several files, some bad")
    func severalFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = try dir.write("good.pcap", Fixture.pcap(count: 2).bytes)
        let missing = dir.url.appendingPathComponent("missing.pcap").path
        let junk = try dir.write("junk.pcap", Array("this is not a capture file\n".utf8))

        let result = try SynscopeBinary.run(["decode", missing, good, junk, good])
        #expect(result.status == 2)
        #expect(result.stdoutLines.count == 4, "stdout: \(result.stdout)")
        let errors = result.stderrLines
        #expect(errors.count == 2, "stderr: \(result.stderr)")
        if errors.count == 2 {
            #expect(errors[0].hasPrefix("synscope: \(missing): "))
            #expect(errors[1].hasPrefix("synscope: \(junk): "))
        }

        let ok = try SynscopeBinary.run(["decode", good, good])
        #expect(ok.status == 0)
        #expect(ok.stdoutLines.count == 4)
        #expect(ok.stderr.isEmpty)
    }

    /// `--jobs N` processes files at once; stdout, stderr and the exit code
    /// must be exactly those of one file after the other, in input order.
    @Test("--jobs gives the output of --jobs 1", arguments: [
        ["decode"], ["decode", "--format", "jsonl"], ["analyze"], ["analyze", "--format", "json"],
    ])
    func jobs(_ command: [String]) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var files: [String] = []
        for i in 0..<6 {
            files.append(try dir.write("f\(i).pcap", Fixture.pcap(count: 50 + 40 * i).bytes))
        }
        let junk = try dir.write("junk.pcap", Array("not a capture\n".utf8))
        let missing = dir.url.appendingPathComponent("missing.pcap").path
        let inputs = [files[0], junk, files[1], files[2], missing, files[3], files[4], files[5]]
        let one = try SynscopeBinary.run(command + ["--jobs", "1"] + inputs)
        #expect(one.status == 2)
        #expect(one.stderrLines.count == 2, "stderr: \(one.stderr)")
        #expect(!one.stdout.isEmpty)
        for jobs in ["2", "3", "8"] {
            let many = try SynscopeBinary.run(command + ["--jobs", jobs] + inputs)
            #expect(many.status == one.status)
            #expect(many.stdout == one.stdout, "--jobs \(jobs)")
            #expect(many.stderr == one.stderr, "--jobs \(jobs)")
        }
        #expect(try SynscopeBinary.run(command + ["--jobs", "0", files[0]]).status == 1)
    }

    @Test("usage errors exit 1", arguments: [
        ["decode", "--format", "nope", "x.pcap"],
        ["decode"],
        ["decode", "--no-such-flag", "x.pcap"],
        ["no-such-command"],
    ])
    func usage(_ arguments: [String]) throws {
        let result = try SynscopeBinary.run(arguments)
        #expect(result.status == 1, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)")
        #expect(!result.stderr.isEmpty, "a usage error explains itself on stderr")
    }

    @Test("--help exits 0")
    func help() throws {
        let result = try SynscopeBinary.run(["decode", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Exit codes"))
    }
}
