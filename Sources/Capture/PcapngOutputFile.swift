import Glibc

/// The `.partial` file a `PcapngWriter` writes into, and the one owner of
/// its descriptor. Bytes are buffered and written in chunks. Unless
/// `commit()` has renamed it into place, the partial file is removed when
/// this object goes away, so a half-written capture never looks complete.
/// A device or FIFO (`OutputTarget.direct`) is written in place instead.
final class PcapngOutputFile {
    enum State {
        case open
        /// Renamed into place by `commit()`.
        case committed
        /// A write, sync or rename failed; the partial file has been removed.
        case failed
    }

    /// The name the finished capture gets.
    let path: String
    /// Where it is written until then: `path + ".partial"`, or `path` itself
    /// for a device or FIFO.
    let partialPath: String
    private let inPlace: Bool
    private var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var state = State.open

    /// Buffered bytes are written once there are this many.
    static let flushThreshold = 1 << 16

    /// Creates (or truncates) `path.partial` for writing.
    /// The corresponding C function is `open(2)` with `O_CREAT|O_TRUNC|O_WRONLY|O_CLOEXEC`.
    init(path: String) throws(CaptureError) {
        self.path = path
        let target = OutputTarget(path)
        inPlace = target.isInPlace
        partialPath = inPlace ? path : target.path + ".partial"
        var descriptor: Int32
        repeat {
            descriptor = inPlace ? Glibc.open(path, O_WRONLY | O_CLOEXEC)
                : Glibc.open(partialPath, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
        } while descriptor < 0 && errno == EINTR
        finalPath = target.path
        guard descriptor >= 0 else {
            throw CaptureError(.open, path: path, message: "cannot create \(partialPath): \(pcapngErrnoText(errno))")
        }
        fd = descriptor
    }

    /// `path`, or the file a symbolic link at `path` names.
    private let finalPath: String

    deinit {
        guard state == .open else { return }
        _ = Glibc.close(fd)
        if !inPlace { _ = Glibc.unlink(partialPath) }
    }

    /// Queues `bytes`, writing the buffer out once it is large.
    func append(_ bytes: [UInt8], frame: Int?) throws(CaptureError) {
        try checkOpen(frame: frame)
        buffer += bytes
        if buffer.count >= Self.flushThreshold { try flush(frame: frame) }
    }

    /// Writes out the buffer, fsyncs, closes, then renames `path.partial`
    /// to `path`. The corresponding C functions are `write(2)`, `fsync(2)`,
    /// `close(2)` and `rename(2)`. On failure the partial file is removed.
    func commit() throws(CaptureError) {
        try checkOpen(frame: nil)
        try flush(frame: nil)
        var status: Int32 = 0
        // A device or FIFO has nothing to sync (fsync(2) gives EINVAL there).
        if !inPlace {
            repeat { status = Glibc.fsync(fd) } while status < 0 && errno == EINTR
        }
        if status < 0 { try fail("fsync(2) of \(partialPath)", errno: errno, frame: nil) }
        // Linux releases the descriptor even when close(2) fails, so it is never retried.
        let closed = Glibc.close(fd)
        let closeErrno = errno
        fd = -1
        if closed < 0 { try fail("close(2) of \(partialPath)", errno: closeErrno, frame: nil) }
        if !inPlace, Glibc.rename(partialPath, finalPath) < 0 {
            try fail("rename(2) of \(partialPath) to \(finalPath)", errno: errno, frame: nil)
        }
        state = .committed
    }

    private func checkOpen(frame: Int?) throws(CaptureError) {
        switch state {
        case .open: return
        case .committed:
            throw CaptureError(.read, path: path, frame: frame, message: "the pcapng writer has already finished")
        case .failed:
            throw CaptureError(.read, path: path, frame: frame, message: "the pcapng writer failed earlier and its partial file was removed")
        }
    }

    /// Writes out the buffer, then `bytes` straight from where they are.
    func append(unbuffered bytes: UnsafeRawBufferPointer) throws(CaptureError) {
        try checkOpen(frame: nil)
        try flush(frame: nil)
        try write(bytes, frame: nil)
    }

    /// Writes every buffered byte.
    private func flush(frame: Int?) throws(CaptureError) {
        var buffered: [UInt8] = []
        swap(&buffered, &buffer)
        let failure: CaptureError? = buffered.withUnsafeBytes { raw in
            do throws(CaptureError) { try write(raw, frame: frame) } catch { return error }
            return nil
        }
        if let failure { throw failure }
        buffered.removeAll(keepingCapacity: true)
        buffer = buffered
    }

    /// Writes all of `raw`, retrying short writes and `EINTR`.
    /// The corresponding C function is `write(2)`.
    private func write(_ raw: UnsafeRawBufferPointer, frame: Int?) throws(CaptureError) {
        var done = 0
        while done < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                try fail("write(2) to \(partialPath)", errno: errno, frame: frame)
            }
            if n == 0 { try fail("write(2) to \(partialPath)", errno: EIO, frame: frame) }
            done += n
        }
    }

    /// Closes the descriptor if still open, removes the partial file and
    /// throws: a capture that could not be written completely is not kept.
    private func fail(_ what: String, errno code: Int32, frame: Int?) throws(CaptureError) -> Never {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        if !inPlace { _ = Glibc.unlink(partialPath) }
        state = .failed
        buffer = []
        throw CaptureError(.read, path: path, frame: frame, message: "\(what) failed: \(pcapngErrnoText(code))")
    }
}

/// A finished report (text, HTML, JSON) written the way a capture is: into
/// `path.partial`, then fsync and rename, so that a half-written file never
/// looks complete; a device or FIFO is written in place (`OutputTarget`).
public enum OutputFile {
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(CaptureError) {
        let file = try PcapngOutputFile(path: path)
        try file.append(unbuffered: bytes)
        try file.commit()
    }

    /// mkdir -p: `path` and every missing directory above it.
    public static func makeDirectory(_ path: String) throws(CaptureError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CaptureError(.write, path: prefix, message: "cannot create the directory: \(pcapngErrnoText(errno))")
            }
            prefix += "/"
        }
    }
}

/// `strerror(3)`'s text for `code`.
func pcapngErrnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
