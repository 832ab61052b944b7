import Capture
import Glibc

/// Each input is written to a file in /dev/shm (the scanner reads files by
/// offset) and scanned for synscope's metadata blocks.
enum Scratch {
    static let path = "/dev/shm/synscope-fuzz-pcapng-\(getpid())"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPcapngScanner(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(Scratch.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot write \(Scratch.path)")
    var done = 0
    while done < size {
        let n = write(fd, data + done, size - done)
        precondition(n > 0, "cannot write \(Scratch.path)")
        done += n
    }
    close(fd)
    do {
        let payloads = try PcapngMetadataReader.read(path: Scratch.path)
        for p in payloads { withExtendedLifetime(p) {} }
    } catch {
        _ = error.description
    }
    return 0
}
