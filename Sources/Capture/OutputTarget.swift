#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where a finished output file goes, and how it gets there.
///
/// A regular file is written beside itself as `FILE.partial` and renamed
/// into place, so that a half-written file never looks complete. That
/// rename must not reach anything else: renaming over `/dev/null`,
/// `/dev/stdout` or a FIFO replaces the node itself (an earlier version
/// turned the host's `/dev/null` into a regular file that way).
public enum OutputTarget: Equatable, Sendable {
    /// A regular file, or none yet: write `path.partial`, then rename(2) it
    /// to `path`. A symbolic link is followed, so the link stays a link.
    case replace(path: String)
    /// A device, FIFO or socket that exists: written directly, in place.
    case direct(path: String)

    /// Decides by stat(2) (which follows links) and realpath(3).
    public init(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            self = .replace(path: path)  // nothing there yet (or a dangling link: rename replaces it)
            return
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            self = .direct(path: path)
            return
        }
        var lst = stat()
        if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK, let resolved = realpath(path, nil) {
            defer { free(resolved) }
            self = .replace(path: String(cString: resolved))
            return
        }
        self = .replace(path: path)
    }

    /// Written in place rather than renamed into place.
    public var isInPlace: Bool {
        if case .direct = self { true } else { false }
    }

    /// The file finally written.
    public var path: String {
        switch self {
        case .replace(let p), .direct(let p): p
        }
    }
}
