import Glibc
import TraceModel

/// nftables rules in the calling thread's network namespace, made with the
/// `nft` command (nft(8)). A child process starts in the namespace of the
/// thread that spawns it, so rules land in the scenario's namespace and
/// disappear with it; the host's firewall is never touched.
public enum Firewall {
    static let table = "synscope"

    /// Adds `rule` to a chain on `hook` (`input` or `output`) of synscope's own table.
    public static func add(hook: String, rule: String) throws(EnvironmentError) {
        guard hook == "input" || hook == "output" else {
            throw EnvironmentError(.namespace, "firewall hook must be input or output, not \(hook)")
        }
        let script = """
        table inet \(table) {
          chain \(hook) { type filter hook \(hook) priority 0; policy accept; }
        }
        add rule inet \(table) \(hook) \(rule)
        """
        try run(["nft", "-f", "-"], input: script)
    }

    /// Deletes synscope's table (all its rules), if there is one.
    public static func flush() throws(EnvironmentError) {
        try run(["nft", "-f", "-"], input: "table inet \(table)\ndelete table inet \(table)\n")
    }

    static func run(_ argv: [String], input: String) throws(EnvironmentError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw EnvironmentError(.namespace, "nft: pipe(): \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var pid = pid_t()
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let status = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        close(fds[0])
        guard status == 0 else {
            close(fds[1])
            throw EnvironmentError(.namespace, "cannot run nft (install nftables): \(String(cString: strerror(status)))")
        }
        _ = input.withCString { write(fds[1], $0, strlen($0)) }
        close(fds[1])
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) == -1 && errno == EINTR {}
        guard exit == 0 else { throw EnvironmentError(.namespace, "nft refused the rule (exit status \(exit >> 8)): \(input)") }
    }
}
