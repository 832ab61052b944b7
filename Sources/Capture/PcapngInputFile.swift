import Glibc

/// A file read by offset through a 64 KiB window, the one bounds-checked
/// reader of `PcapngMetadataReader`. Every read names the file and the
/// byte offset when it fails; none reads past the size found at open.
final class PcapngInputFile {
    let path: String
    /// The file's size when it was opened.
    let size: Int
    private let fd: Int32
    private var window: [UInt8] = []
    private var windowStart = 0

    static let windowSize = 1 << 16

    /// Opens `path` for reading. The corresponding C functions are `open(2)` and `fstat(2)`.
    init(path: String) throws(CaptureError) {
        self.path = path
        var descriptor: Int32
        repeat { descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            throw CaptureError(.open, path: path, message: pcapngErrnoText(errno))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            _ = Glibc.close(descriptor)
            throw CaptureError(.open, path: path, message: "fstat(2) failed: \(pcapngErrnoText(code))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            _ = Glibc.close(descriptor)
            let what = status.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw CaptureError(.open, path: path, message: "is \(what)")
        }
        fd = descriptor
        size = Int(status.st_size)
    }

    deinit { _ = Glibc.close(fd) }

    /// Whether `count` bytes from `offset` lie inside the file.
    func contains(offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= size && count <= size - offset
    }

    /// `count` bytes from `offset`. Throws when they are not all inside the
    /// file, or when `pread(2)` fails or the file has shrunk.
    func bytes(at offset: Int, count: Int) throws(CaptureError) -> [UInt8] {
        guard contains(offset: offset, count: count) else {
            throw CaptureError(.read, path: path, message: "\(count) bytes at byte offset \(offset) lie beyond the end of the \(size)-byte file")
        }
        if offset >= windowStart, offset + count <= windowStart + window.count {
            let start = offset - windowStart
            return Array(window[start..<(start + count)])
        }
        if count >= Self.windowSize { return try read(at: offset, count: count) }
        window = try read(at: offset, count: min(Self.windowSize, size - offset))
        windowStart = offset
        return Array(window[0..<count])
    }

    /// Exactly `count` bytes from `offset`, retrying short reads and `EINTR`.
    /// The corresponding C function is `pread(2)`.
    private func read(at offset: Int, count: Int) throws(CaptureError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = result.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CaptureError(.read, path: path, message: "pread(2) at byte offset \(offset + done) failed: \(pcapngErrnoText(errno))")
            }
            if n == 0 {
                throw CaptureError(.read, path: path, message: "the file ended at byte offset \(offset + done) while being read; it was \(size) bytes when opened")
            }
            done += n
        }
        return result
    }
}
