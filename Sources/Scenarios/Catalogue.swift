import Sockets
import TraceModel

/// The built-in scenarios.
public enum Catalogue {
    public static let all: [Scenario] = [connect, selfConnect, close, unlistenedPort]

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    static let serverPort: UInt16 = 5000

    /// listen, connect, accept, a few bytes each way, both close.
    public static let connect = Scenario(
        name: "connect",
        summary: """
        The three-way handshake. connect() sends the SYN and blocks until the SYN-ACK arrives; the kernel of the \
        listening socket answers the SYN on its own, and the client's kernel sends the final ACK before connect() \
        returns. accept() only takes a connection the kernel has already completed from the accept queue: it \
        returns after the third step of the handshake, even if it is called long after.
        """,
        steps: [
            .socket("listener", udp: false),
            .option("listener", .reuseAddress(true)),
            .bind("listener", port: serverPort),
            .listen("listener", backlog: 8),
            .socket("client", udp: false),
            .connect("client", port: serverPort),
            .accept("listener", as: "server"),
            .send("client", "hello"),
            .recv("server", capacity: 64),
            .send("server", "world!"),
            .recv("client", capacity: 64),
            .close("client"),
            .recv("server", capacity: 64),
            .close("server"),
            .close("listener"),
        ],
        expectations: [
            .outcome(step: 5, nil),
            .outcome(step: 6, nil),
            .returnedAfter(step: 5, flags: "S."),
            .returnedAfter(step: 6, flags: "."),
            .flags(#"S S\. \. P\. \. P\. \.( \S+)* F\.( \S+)* F\.( \S+)*"#),
        ])

    /// One socket bound to 127.0.0.1:P connects to 127.0.0.1:P.
    public static let selfConnect = Scenario(
        name: "self-connect",
        summary: """
        A socket bound to 127.0.0.1:P that connects to 127.0.0.1:P talks to itself. Its SYN comes back to it while \
        it is in SYN-SENT, which TCP treats as a simultaneous open (RFC 9293 §3.5): it answers with a SYN-ACK \
        carrying the same sequence number, receives that too, and becomes ESTABLISHED with itself. Whatever it \
        sends, it then receives. The same happens by accident when an ephemeral port equals the destination port.
        """,
        steps: [
            .socket("socket", udp: false),
            .bind("socket", port: 6000),
            .connect("socket", port: 6000),
            .send("socket", "ping"),
            .recv("socket", capacity: 64),
            .close("socket"),
        ],
        expectations: [
            .outcome(step: 2, nil),
            .outcome(step: 4, nil),
            .returnedAfter(step: 2, flags: "S."),
            .flags(#"S S\. \.( \S+)* F\.( \S+)*"#),
        ])

    /// A graceful close by the client.
    public static let close = Scenario(
        name: "close",
        summary: """
        A graceful close. The client's close() sends a FIN (FIN-WAIT-1, server CLOSE-WAIT). The server's kernel \
        acknowledges it on its own, on Linux usually as a delayed ACK some 40 ms later (client FIN-WAIT-2), and the \
        server's read() returns 0, end of file. When the server closes too, its FIN (LAST-ACK) is acknowledged by the \
        client, which then waits in TIME-WAIT for 60 s on Linux (TCP_TIMEWAIT_LEN; RFC 9293 asks for 2×MSL) while \
        the server's socket is gone (CLOSED).
        """,
        steps: [
            .socket("listener", udp: false),
            .option("listener", .reuseAddress(true)),
            .bind("listener", port: serverPort),
            .listen("listener", backlog: 8),
            .socket("client", udp: false),
            .connect("client", port: serverPort),
            .accept("listener", as: "server"),
            .send("client", "bye"),
            .recv("server", capacity: 64),
            .close("client"),
            .sleep(milliseconds: 100),
            .recv("server", capacity: 64),
            .close("server"),
            .sleep(milliseconds: 50),
            .close("listener"),
        ],
        expectations: [
            .outcome(step: 9, nil),
            .outcome(step: 11, nil),
            .kernelState(step: 11, socket: "client", state: "FIN-WAIT-2"),
            .kernelState(step: 11, socket: "server", state: "CLOSE-WAIT"),
            .kernelState(step: 13, socket: "client", state: "TIME-WAIT"),
            .endpointStates(originator: true, ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]),
            .endpointStates(originator: false, ["CLOSE-WAIT", "LAST-ACK", "CLOSED"]),
            .flags(#"S S\. \. P\. \. F\. \. F\. \."#),
        ])

    /// connect() to a port nobody has bound, and to one bound but not listening.
    public static let unlistenedPort = Scenario(
        name: "unlistened-port",
        summary: """
        connect() to a port where nothing listens fails with ECONNREFUSED: the kernel answers the SYN with a RST \
        (RFC 9293 §3.10.7.1) whether no socket has the port or a socket has bound it without calling listen(). \
        bind() alone does not make a socket accept connections.
        """,
        steps: [
            .socket("client", udp: false),
            .connect("client", port: 9),
            .socket("bound", udp: false),
            .bind("bound", port: 5001),
            .socket("client2", udp: false),
            .connect("client2", port: 5001),
            .close("client"),
            .close("client2"),
            .close("bound"),
        ],
        expectations: [
            .outcome(step: 1, .connectionRefused),
            .outcome(step: 3, nil),
            .outcome(step: 5, .connectionRefused),
            .returnedAfter(step: 1, flags: "R."),
            .returnedAfter(step: 5, flags: "R."),
            .flags(#"S R\. S R\."#),
        ])
}
