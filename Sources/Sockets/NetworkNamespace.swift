import CSystem
import Glibc
import TraceModel

/// A private network namespace for the calling thread.
///
/// unshare(CLONE_NEWNET) moves only the calling thread (unshare(2)); threads
/// it creates afterwards inherit the namespace, threads that already exist do
/// not. Sockets keep the namespace they were created in. Nothing here
/// touches the host namespace: its sysctls, qdiscs and firewall stay as they are.
public enum NetworkNamespace {
    /// Moves the calling thread into a new network namespace and brings its
    /// `lo` up. The corresponding C function is `unshare(2)`.
    ///
    /// Two unshares, so that the scenario's namespace has a TCP hash table of
    /// its own: `net.ipv4.tcp_child_ehash_entries`, set in a first, throwaway
    /// namespace, sizes the table of the namespaces made from it
    /// (Documentation/networking/ip-sysctl.rst). Otherwise every read of
    /// /proc/thread-self/net/tcp walks the host's 262,144-bucket table
    /// (about 13 ms here; about 0.1 ms with 1,024 buckets). The two limits the
    /// kernel derives from the table size (tcp_sk_init: tcp_max_syn_backlog,
    /// tcp_max_tw_buckets) are set back to what a namespace on the shared
    /// table gets, so that no scenario behaves differently. The host's own
    /// sysctls are never touched.
    public static func enterNew() throws(EnvironmentError) {
        try unshareNetwork()
        let inherited = ["net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_max_tw_buckets"].map { ($0, sysctl($0)) }
        if (try? setSysctl("net.ipv4.tcp_child_ehash_entries", String(privateHashEntries))) != nil {
            try unshareNetwork()
            for case let (name, value?) in inherited { try setSysctl(name, value) }
        }
        try bringLoopbackUp()
    }

    /// Buckets of the scenario namespace's own TCP hash table.
    static let privateHashEntries = 1024

    static func unshareNetwork() throws(EnvironmentError) {
        if unshare(synscope_clone_newnet()) != 0 {
            let e = errno
            if e == EPERM {
                throw EnvironmentError(.privilege, "cannot create a network namespace: unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN (run synscope as root)")
            }
            throw EnvironmentError(.namespace, "cannot create a network namespace: unshare(CLONE_NEWNET): \(String(cString: strerror(e)))")
        }
    }

    /// The inode-based identity of the calling thread's network namespace
    /// (`readlink /proc/thread-self/ns/net`, e.g. `net:[4026531840]`).
    public static func currentThreadNamespace() -> String? { readLink("/proc/thread-self/ns/net") }

    /// The namespace of the process's main thread.
    public static func processNamespace() -> String? { readLink("/proc/self/ns/net") }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// ioctl(SIOCGIFFLAGS) then ioctl(SIOCSIFFLAGS) with IFF_UP on `lo` (netdevice(7)).
    static func bringLoopbackUp() throws(EnvironmentError) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw EnvironmentError(.namespace, "cannot bring lo up: socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { raw in
            for (i, b) in "lo".utf8.enumerated() { raw[i] = b }
        }
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &request) == 0 else {
            throw EnvironmentError(.namespace, "cannot bring lo up: SIOCGIFFLAGS: \(String(cString: strerror(errno)))")
        }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &request) == 0 else {
            let e = errno
            let hint = e == EPERM ? " (needs CAP_NET_ADMIN)" : ""
            throw EnvironmentError(.namespace, "cannot bring lo up: SIOCSIFFLAGS: \(String(cString: strerror(e)))\(hint)")
        }
    }

    /// Renames the namespace's loopback device (`ip link set dev lo name NAME`), so that kernel events
    /// filtered on the device name see only this namespace's packets. The device must be down to be
    /// renamed (dev_change_name in net/core/dev.c), so it is taken down, renamed and brought up again;
    /// it keeps 127.0.0.0/8, ::1 and loopback semantics. ioctl(SIOCSIFNAME), netdevice(7).
    public static func renameLoopback(to name: String) throws(EnvironmentError) {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ), !name.contains("/"), !name.contains(" ") else {
            throw EnvironmentError(.namespace, "bad interface name '\(name)' (1 to \(IFNAMSIZ - 1) characters, no '/' or space)")
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw EnvironmentError(.namespace, "cannot rename lo: socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        func request(_ device: String) -> ifreq {
            var r = ifreq()
            withUnsafeMutableBytes(of: &r.ifr_ifrn.ifrn_name) { raw in
                for (i, b) in device.utf8.enumerated() { raw[i] = b }
            }
            return r
        }
        var flags = request("lo")
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &flags) == 0 else {
            throw EnvironmentError(.namespace, "cannot rename lo: SIOCGIFFLAGS: \(String(cString: strerror(errno)))")
        }
        let wasUp = flags.ifr_ifru.ifru_flags & Int16(IFF_UP) != 0
        if wasUp {
            flags.ifr_ifru.ifru_flags &= ~Int16(IFF_UP)
            guard ioctl(fd, UInt(SIOCSIFFLAGS), &flags) == 0 else {
                throw EnvironmentError(.namespace, "cannot take lo down to rename it: SIOCSIFFLAGS: \(String(cString: strerror(errno)))")
            }
        }
        var rename = request("lo")
        withUnsafeMutableBytes(of: &rename.ifr_ifru.ifru_newname) { raw in
            for (i, b) in name.utf8.enumerated() { raw[i] = b }
        }
        guard ioctl(fd, UInt(SIOCSIFNAME), &rename) == 0 else {
            throw EnvironmentError(.namespace, "cannot rename lo to \(name): SIOCSIFNAME: \(String(cString: strerror(errno)))")
        }
        if wasUp {
            var up = request(name)
            guard ioctl(fd, UInt(SIOCGIFFLAGS), &up) == 0 else {
                throw EnvironmentError(.namespace, "cannot bring \(name) up: SIOCGIFFLAGS: \(String(cString: strerror(errno)))")
            }
            up.ifr_ifru.ifru_flags |= Int16(IFF_UP)
            guard ioctl(fd, UInt(SIOCSIFFLAGS), &up) == 0 else {
                throw EnvironmentError(.namespace, "cannot bring \(name) up: SIOCSIFFLAGS: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes a sysctl of the calling thread's namespace through /proc/sys
    /// (`net.ipv4.tcp_syn_retries` → /proc/sys/net/ipv4/tcp_syn_retries).
    /// Only `net.*` sysctls are per namespace; others are refused.
    public static func setSysctl(_ name: String, _ value: String) throws(EnvironmentError) {
        guard name.hasPrefix("net.") else {
            throw EnvironmentError(.namespace, "sysctl \(name) is not per network namespace; synscope changes only net.* inside its own namespace")
        }
        let path = sysctlPath(name)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EnvironmentError(.namespace, "cannot set \(name): \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let text = value + "\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        guard written == text.utf8.count else {
            throw EnvironmentError(.namespace, "cannot set \(name)=\(value): \(String(cString: strerror(errno)))")
        }
    }

    static func sysctlPath(_ name: String) -> String {
        "/proc/sys/" + String(name.map { $0 == "." ? "/" : $0 })
    }

    /// Reads a sysctl of the calling thread's namespace.
    public static func sysctl(_ name: String) -> String? {
        let path = sysctlPath(name)
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else { return nil }
        var s = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while s.last == "\n" { s.removeLast() }
        return String(s.map { $0 == "\t" ? " " : $0 })
    }
}
