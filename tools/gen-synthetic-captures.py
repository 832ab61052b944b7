#!/usr/bin/env python3
"""Write the synthetic TCP captures `captures/synthetic-*.pcap`.

Standard library only, fully deterministic (no randomness, no clock): the
same script always writes byte-identical files.  Each file holds one TCP
connection over IPv4 127.0.0.1 with a clear story that loopback recordings
cannot easily produce (lost, reordered and retransmitted segments, zero
windows, keep-alives, sequence-number wraparound, odd flag combinations).

Format: classic little-endian pcap (magic 0xa1b2c3d4, microsecond
timestamps, snaplen 262144), DLT_EN10MB with the all-zero MACs Linux puts
on `lo`.  Every IPv4 header has the right total length and header checksum
(DF set, TTL 64, an IP id counting up per direction); every TCP header has
the right data offset and checksum.  The SYNs carry MSS (and, where a file
says so, SACK-permitted and timestamps); no window scale option, so every
window is the raw 16-bit value.

Usage:
  tools/gen-synthetic-captures.py [OUTDIR]     (default: captures/)
  tools/gen-synthetic-captures.py --list       (print each file's story)
  tools/gen-synthetic-captures.py --readme [README]
      (re)write this script's section of captures/README.md: the lines from
      the marker "<!-- gen-synthetic-captures -->" up to the next
      "<!-- ... -->" marker line or the end of the file are replaced; without
      the marker the section is appended at the end.  Nothing else changes.

The frame-by-frame story of every file is in the docstring of the function
that builds it, and summarised in captures/README.md.
"""

import os
import struct
import sys

DLT_EN10MB = 1
SNAPLEN = 262144
LOOPBACK = bytes([127, 0, 0, 1])
# Capture time of the first packet of every file: 2026-11-22 00:00:00 UTC.
EPOCH = 1795305600

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


class Endpoint:
    """One side of the connection: its port, next sequence number, window."""

    def __init__(self, port, isn, window):
        self.port = port
        self.isn = isn
        self.nxt = isn  # next sequence number this side will send
        self.window = window
        self.ip_id = 0
        self.ts = 1000 + port  # TCP timestamp clock (only with ts options)


class Capture:
    """Builds one connection's packets in capture order."""

    def __init__(self, client, server, ts_option=False):
        self.c = client
        self.s = server
        self.ts_option = ts_option
        self.records = []  # (microseconds since EPOCH, frame bytes)

    def peer(self, ep):
        return self.s if ep is self.c else self.c

    def options(self, ep, flags, peer_ts):
        opts = b""
        if flags & SYN:
            opts += struct.pack("!BBH", 2, 4, 65495)  # MSS
            if self.ts_option:
                opts += b"\x04\x02"  # SACK permitted
        if self.ts_option:
            ecr = peer_ts if flags & ACK else 0
            ts = struct.pack("!BBII", 8, 10, ep.ts, ecr)
            opts += ts if flags & SYN else b"\x01\x01" + ts
        while len(opts) % 4:
            opts += b"\x01"  # NOP padding
        return opts

    def send(self, ep, ms, flags, payload=b"", seq=None, ack=None, window=None, captured=True):
        """`ep` sends a segment at `ms` milliseconds.

        seq defaults to ep.nxt, which advances by the payload (and SYN/FIN)
        unless `seq` is given (a retransmission or probe); ack defaults to
        the peer's nxt: everything the peer has sent, captured or not.
        With captured=False the segment is "sent" but not written: it was
        lost before the capture point.
        """
        peer = self.peer(ep)
        default_seq = seq is None
        if default_seq:
            seq = ep.nxt
        if ack is None:
            ack = peer.nxt if flags & ACK else 0
        if window is None:
            window = ep.window
        if default_seq:
            ep.nxt = (ep.nxt + len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)) & 0xFFFFFFFF
        ep.ts += 1
        if not captured:
            return
        opts = self.options(ep, flags, peer.ts)
        offset = (20 + len(opts)) // 4
        tcp = struct.pack("!HHIIBBHHH", ep.port, peer.port, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          offset << 4, flags, window, 0, 0) + opts + payload
        pseudo = LOOPBACK + LOOPBACK + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ep.ip_id = (ep.ip_id + 1) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ep.ip_id, 0x4000, 64, 6, 0,
                         LOOPBACK, LOOPBACK)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        frame = bytes(12) + b"\x08\x00" + ip + tcp
        self.records.append((round(ms * 1000), frame))

    def handshake(self, t0=0.0, rtt=1.0):
        """SYN at t0, SYN-ACK at t0 + rtt/2, ACK at t0 + rtt."""
        self.send(self.c, t0, SYN)
        self.send(self.s, t0 + rtt / 2, SYN | ACK)
        self.send(self.c, t0 + rtt, ACK)

    def close(self, t0, step=1.0):
        """Client FIN-ACK, server FIN-ACK, client ACK."""
        self.send(self.c, t0, FIN | ACK)
        self.send(self.s, t0 + step, FIN | ACK)
        self.send(self.c, t0 + 2 * step, ACK)

    def write(self, path):
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, DLT_EN10MB)]
        last = -1
        for usec, frame in self.records:
            assert usec > last, "timestamps must increase"
            last = usec
            out.append(struct.pack("<IIII", EPOCH + usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)))
            out.append(frame)
        with open(path, "wb") as f:
            f.write(b"".join(out))


def data(n, tag):
    """n bytes of printable, recognisable payload."""
    text = (tag + " ").encode()
    return (text * (n // len(text) + 1))[:n]


def midstream():
    """No handshake: the capture starts inside an established connection.

    1 C->S data 50 (PSH-ACK), 2 S->C data 80 (PSH-ACK), 3 C->S ACK,
    4 C->S FIN-ACK, 5 S->C FIN-ACK, 6 C->S ACK.
    Client 127.0.0.1:40101, server 127.0.0.1:47101; client seq starts at
    1000000, server seq at 2000000. 10 ms between segments.
    """
    c, s = Endpoint(40101, 1000000, 65535), Endpoint(47101, 2000000, 65535)
    cap = Capture(c, s)
    cap.send(c, 0, PSH | ACK, data(50, "midstream request"))
    cap.send(s, 10, PSH | ACK, data(80, "midstream response"))
    cap.send(c, 20, ACK)
    cap.close(30, 10)
    return cap


def missing_segment():
    """One client segment is missing from the capture.

    1-3 handshake (RTT 1 ms), 4 C->S data 100 (rel seq 1), 5 S->C ACK 101,
    [C->S data 100 at rel seq 101 was sent but is not in the capture],
    6 C->S data 100 at rel seq 201 ("previous segment not captured"),
    7 S->C ACK 301: it acknowledges the 100 bytes never seen ("ACKed unseen
    segment"), 8-10 FIN-ACK, FIN-ACK, ACK.
    Client 40102, server 47102.
    """
    c, s = Endpoint(40102, 0x10000000, 65535), Endpoint(47102, 0x20000000, 65535)
    cap = Capture(c, s)
    cap.handshake(0)
    cap.send(c, 10, PSH | ACK, data(100, "segment one"))
    cap.send(s, 11, ACK)
    cap.send(c, 20, PSH | ACK, data(100, "segment two"), captured=False)
    cap.send(c, 20.1, PSH | ACK, data(100, "segment three"))
    cap.send(s, 21, ACK)
    cap.close(30)
    return cap


def out_of_order():
    """Two client data segments captured in swapped order, 1 ms apart.

    1-3 handshake with a 10 ms RTT (SYN 0 ms, SYN-ACK 5 ms, ACK 10 ms), so
    Wireshark's out-of-order threshold is 10 ms; 4 C->S data 100 at rel seq
    101 (20 ms: "previous segment not captured", as its predecessor has not
    been seen yet), 5 C->S data 100 at rel seq 1 (21 ms: out-of-order),
    6 S->C ACK 201, 7-9 FIN-ACK, FIN-ACK, ACK.
    Client 40103, server 47103.
    """
    c, s = Endpoint(40103, 0x30000000, 65535), Endpoint(47103, 0x40000000, 65535)
    cap = Capture(c, s)
    cap.handshake(0, rtt=10)
    first_seq = c.nxt
    first, second = data(100, "first"), data(100, "second")
    cap.send(c, 20, PSH | ACK, second, seq=first_seq + 100)
    cap.send(c, 21, PSH | ACK, first, seq=first_seq)
    c.nxt = first_seq + 200
    cap.send(s, 22, ACK)
    cap.close(30)
    return cap


def retransmission():
    """Timeout, fast and spurious retransmissions.

    1-3 handshake (RTT 1 ms).
    4 C->S data 100 at rel 1 (10 ms), no ACK comes;
    5 the same segment again at 210 ms: retransmission (200 ms later);
    6 S->C ACK 101.
    7-10 C->S data 100 at rel 101, 201, 301, 401 (220.0-220.3 ms): the one
      at 101 is lost after the capture point;
    11-13 S->C three duplicate ACKs of 101 (221.0, 221.1, 221.2 ms);
    14 C->S rel 101 again at 223 ms: fast retransmission (within 20 ms of
      the duplicate ACKs, more than the 1 ms RTT after the highest segment);
    15 S->C ACK 501;
    16 C->S rel 401 again at 423 ms, after the ACK of 501 covered it:
      spurious retransmission; 17 S->C ACK 501 (a duplicate ACK);
    18-20 FIN-ACK, FIN-ACK, ACK.
    Client 40104, server 47104.
    """
    c, s = Endpoint(40104, 0x50000000, 65535), Endpoint(47104, 0x60000000, 65535)
    cap = Capture(c, s)
    cap.handshake(0)
    base = c.nxt
    seg = [data(100, "block %d" % i) for i in range(5)]
    cap.send(c, 10, PSH | ACK, seg[0])
    cap.send(c, 210, PSH | ACK, seg[0], seq=base)
    cap.send(s, 211, ACK)
    for i in range(1, 5):
        cap.send(c, 220 + 0.1 * (i - 1), PSH | ACK, seg[i])
    for i in range(3):
        cap.send(s, 221 + 0.1 * i, ACK, ack=base + 100)
    cap.send(c, 223, PSH | ACK, seg[1], seq=base + 100)
    cap.send(s, 224, ACK)
    cap.send(c, 423, PSH | ACK, seg[4], seq=base + 400)
    cap.send(s, 424, ACK)
    cap.close(430)
    return cap


def zero_window():
    """The receiver's window fills and drops to zero, then reopens.

    1-3 handshake (RTT 1 ms); the server advertises a 400-byte window.
    4 C->S data 200 (rel 1), 5 C->S data 200 (rel 201): it fills the window
      (window full); 6 S->C ACK 401 with window 0 (zero window);
    7 C->S 1-byte zero-window probe at rel 401 (211 ms), 8 S->C ACK 401,
      window 0 (zero-window probe ACK; the probe byte is not accepted);
    9 C->S the same probe again (611 ms), 10 S->C its ACK;
    11 S->C ACK 401 with window 8192 (window update);
    12 C->S data 200 at rel 401 (it starts with the probed byte);
    13 S->C ACK 601; 14-16 FIN-ACK, FIN-ACK, ACK.
    Client 40105, server 47105.
    """
    c, s = Endpoint(40105, 0x70000000, 65535), Endpoint(47105, 0x08000000, 400)
    cap = Capture(c, s)
    cap.handshake(0)
    cap.send(c, 10, PSH | ACK, data(200, "fill one"))
    cap.send(c, 10.1, PSH | ACK, data(200, "fill two"))
    s.window = 0
    cap.send(s, 11, ACK)
    rest = data(200, "after the window opened")
    probe_seq = c.nxt
    for t in (211, 611):
        cap.send(c, t, ACK, rest[:1], seq=probe_seq)
        cap.send(s, t + 1, ACK)
    s.window = 8192
    cap.send(s, 700, ACK)
    cap.send(c, 701, PSH | ACK, rest)
    cap.send(s, 702, ACK)
    cap.close(710)
    return cap


def keepalive():
    """An idle connection kept alive.

    1-3 handshake (RTT 1 ms, timestamp options on every segment);
    4 C->S data 20, 5 S->C ACK 21;
    6 C->S keep-alive: seq = next seq - 1 (rel 20), no payload (10.011 s),
    7 S->C keep-alive ACK (ACK 21 again, same window);
    8 C->S keep-alive with one garbage byte at rel 20 (20.011 s),
    9 S->C keep-alive ACK;
    10-12 FIN-ACK, FIN-ACK, ACK (30 s).
    Client 40106, server 47106.
    """
    c, s = Endpoint(40106, 0x11111111, 65535), Endpoint(47106, 0x22222222, 65535)
    cap = Capture(c, s, ts_option=True)
    cap.handshake(0)
    cap.send(c, 10, PSH | ACK, data(20, "hello keepalive"))
    cap.send(s, 11, ACK)
    cap.send(c, 10011, ACK, seq=c.nxt - 1)
    cap.send(s, 10012, ACK)
    cap.send(c, 20011, ACK, b"\x00", seq=c.nxt - 1)
    cap.send(s, 20012, ACK)
    cap.close(30000)
    return cap


def wraparound():
    """Sequence numbers wrap past 2^32 in both directions.

    Client ISN 0xFFFFFF00, server ISN 0xFFFFFFF0 (timestamp options on).
    1-3 handshake, 4-5 C->S data 100 + 100 (rel 1, 101), 6 S->C ACK 201,
    7 C->S data 100 at rel 201 (raw 0xFFFFFFC9, ends at raw 0x2D: wraps),
    8 C->S data 100 at rel 301 (raw 0x2D), 9 S->C data 50 at rel 1
    (raw 0xFFFFFFF1, ends at raw 0x23: wraps) with ACK rel 401,
    10 C->S ACK rel 51, 11-13 FIN-ACK (client rel 401), FIN-ACK (server rel
    51), ACK. No sequence or acknowledgment number is ever exactly 0.
    Client 40108, server 47108.
    """
    c, s = Endpoint(40108, 0xFFFFFF00, 65535), Endpoint(47108, 0xFFFFFFF0, 65535)
    cap = Capture(c, s, ts_option=True)
    cap.handshake(0)
    cap.send(c, 10, PSH | ACK, data(100, "wrap one"))
    cap.send(c, 10.1, PSH | ACK, data(100, "wrap two"))
    cap.send(s, 11, ACK)
    cap.send(c, 20, PSH | ACK, data(100, "wrap three"))
    cap.send(c, 20.1, PSH | ACK, data(100, "wrap four"))
    cap.send(s, 21, PSH | ACK, data(50, "wrapped reply"))
    cap.send(c, 22, ACK)
    cap.close(30)
    return cap


def odd_flags():
    """Flag combinations no normal stack sends, on one connection.

    1-3 handshake (RTT 1 ms), 4 C->S data 8, 5 S->C ACK 9;
    6 C->S a segment with no flags at all (rel seq 9, ack field 0);
    7 C->S SYN+FIN with the client's ISN again (ack field 0);
    8 S->C ACK 9 (the challenge ACK of RFC 5961 section 4: a duplicate ACK);
    9 C->S SYN+RST with the client's ISN again;
    10 C->S FIN+RST+ACK at rel seq 9: the abort.
    50 ms between the segments from frame 6 on.
    Client 40107, server 47107.
    """
    c, s = Endpoint(40107, 0x0BADF1A6, 65535), Endpoint(47107, 0x0DDF1A65, 65535)
    cap = Capture(c, s)
    cap.handshake(0)
    cap.send(c, 10, PSH | ACK, b"oddflags")
    cap.send(s, 11, ACK)
    cap.send(c, 60, 0, seq=c.nxt)
    cap.send(c, 110, SYN | FIN, seq=c.isn)
    cap.send(s, 111, ACK)
    cap.send(c, 160, SYN | RST, seq=c.isn)
    cap.send(c, 210, FIN | RST | ACK, seq=c.nxt)
    return cap


CAPTURES = [
    ("synthetic-midstream.pcap", midstream),
    ("synthetic-missing-segment.pcap", missing_segment),
    ("synthetic-out-of-order.pcap", out_of_order),
    ("synthetic-retransmission.pcap", retransmission),
    ("synthetic-zero-window.pcap", zero_window),
    ("synthetic-keepalive.pcap", keepalive),
    ("synthetic-wraparound.pcap", wraparound),
    ("synthetic-odd-flags.pcap", odd_flags),
]


README_MARKER = "<!-- gen-synthetic-captures -->"

# One row per file: packets, what it holds, what tshark 4.0.17 flags
# (`tcp.analysis.*`, with -o tcp.desegment_tcp_streams:FALSE).
README_ROWS = [
    ("synthetic-midstream.pcap", "127.0.0.1:40101 -> 47101. No handshake: the capture starts inside an established connection. Client data (50 B), server data (80 B), client ACK, client FIN-ACK, server FIN-ACK, final ACK; 10 ms apart. Client seq starts at 1000000, server seq at 2000000.",
     "none. Relative numbers start at 1 in each direction (first segment without SYN)."),
    ("synthetic-missing-segment.pcap", "127.0.0.1:40102 -> 47102. Handshake, 100 B at rel seq 1 (ACKed), then the 100 B at rel seq 101 are missing from the file (sent, never captured), 100 B at rel seq 201, then the server's ACK of 301, which covers the missing bytes; FIN/FIN/ACK.",
     "frame 6 `lost_segment` (previous segment not captured); frame 7 `ack_lost_segment` (ACKed unseen segment)."),
    ("synthetic-out-of-order.pcap", "127.0.0.1:40103 -> 47103. Handshake with a 10 ms RTT (SYN 0, SYN-ACK 5 ms, ACK 10 ms), then two 100 B client segments captured in swapped order 1 ms apart: rel seq 101 at 20 ms, rel seq 1 at 21 ms; server ACK 201; FIN/FIN/ACK.",
     "frame 4 `lost_segment`; frame 5 `out_of_order` (1 ms < the 10 ms handshake RTT)."),
    ("synthetic-retransmission.pcap", "127.0.0.1:40104 -> 47104. Handshake (RTT 1 ms). 100 B sent at 10 ms and again at 210 ms (timeout retransmission), ACKed; four 100 B segments at 220.0-220.3 ms, of which the first (rel seq 101) is lost after the capture point; three duplicate ACKs of 101 at 221.0-221.2 ms; rel seq 101 again at 223 ms (fast retransmission); ACK 501; rel seq 401 again at 423 ms although already ACKed (spurious retransmission), answered by a duplicate ACK; FIN/FIN/ACK.",
     "frame 5 `retransmission`; frames 11, 12, 13 `duplicate_ack`; frame 14 `fast_retransmission` + `retransmission`; frame 16 `spurious_retransmission` + `retransmission`; frame 17 `duplicate_ack`."),
    ("synthetic-zero-window.pcap", "127.0.0.1:40105 -> 47105. Handshake; the server advertises a 400-byte window (no window scaling). Two 200 B segments fill it; the server ACKs with window 0; two 1-byte zero-window probes at the next sequence number (211 ms, 611 ms), each answered by an ACK that repeats the ACK and window 0 (the probe byte is not accepted); then a window update (window 8192, same ACK); 200 B starting with the probed byte; ACK; FIN/FIN/ACK.",
     "frame 5 `window_full`; 6 `zero_window`; 7 and 9 `zero_window_probe`; 8 and 10 `zero_window` + `zero_window_probe_ack`; 11 `window_update`; frame 12 nothing (a probe does not advance nextseq)."),
    ("synthetic-keepalive.pcap", "127.0.0.1:40106 -> 47106, TCP timestamps on every segment. Handshake, 20 B, ACK; then idle: at 10 s a keep-alive with seq = next seq - 1 and no payload, at 20 s one with 1 garbage byte at the same seq; the server answers each with the same ACK and window; FIN/FIN/ACK at 30 s.",
     "frames 6 and 8 `keep_alive`; frames 7 and 9 `keep_alive_ack`."),
    ("synthetic-wraparound.pcap", "127.0.0.1:40108 -> 47108, TCP timestamps on. Client ISN 0xFFFFFF00, server ISN 0xFFFFFFF0: four 100 B client segments (raw seq 0xFFFFFF01, 0xFFFFFF65, 0xFFFFFFC9 which ends at 0x2D, 0x2D) and a 50 B server reply (raw 0xFFFFFFF1, ends at 0x23) cross 2^32; graceful close. No sequence or acknowledgment number is ever exactly 0 (Wireshark uses 0 for \"unknown\").",
     "none; relative seq of the client runs 1, 101, 201, 301, FIN at 401; the server's 1, FIN at 51."),
    ("synthetic-odd-flags.pcap", "127.0.0.1:40107 -> 47107. Handshake, 8 B, ACK; then, 50 ms apart: a segment with no flags at all (rel seq 9, ack field 0), SYN+FIN with the client's ISN, the server's challenge ACK (RFC 5961 §4), SYN+RST with the client's ISN, and FIN+RST+ACK at rel seq 9 (the abort). The SYN+FIN and SYN+RST repeat the ISN, so they stay in the same connection.",
     "frames 7 (SYN+FIN) and 9 (SYN+RST) `retransmission`; frame 8 `duplicate_ack`. (synscope's odd-header findings: 6 `no_flags`, 7 `syn_fin`, 9 `syn_rst`, 10 `fin_rst`.)"),
]


def readme_section():
    lines = [
        README_MARKER,
        "# Synthetic captures (`synthetic-*`)",
        "",
        "**Synthetic: not recorded.** These files were written byte by byte by",
        "`tools/gen-synthetic-captures.py` (python3, standard library only) for",
        "situations a loopback recording cannot easily produce. The script is",
        "deterministic: it writes byte-identical files on every run, so it can",
        "be rerun at any time (from the repository root):",
        "",
        "```sh",
        "tools/gen-synthetic-captures.py            # writes captures/synthetic-*.pcap",
        "tools/gen-synthetic-captures.py --list     # prints each file's frame-by-frame story",
        "tools/gen-synthetic-captures.py --readme   # rewrites this section of captures/README.md",
        "```",
        "",
        "`tools/record-tcpdump-fixtures` rewrites this whole README and",
        "`tools/record-analysis-fixtures` everything after its own marker, so",
        "run `tools/gen-synthetic-captures.py --readme` after either of them.",
        "",
        "Every file: classic little-endian pcap (magic a1b2c3d4, microsecond",
        "timestamps, snaplen 262144), DLT_EN10MB with all-zero MACs, one TCP",
        "connection over IPv4 127.0.0.1 -> 127.0.0.1, first packet at",
        "2026-11-22 00:00:00 UTC. IPv4 total length, header checksum (DF, TTL",
        "64, per-direction IP id), TCP data offset and TCP checksum are all",
        "correct. The SYNs carry MSS 65495 (plus SACK-permitted where the file",
        "has timestamps); no window scale option, so windows are raw. Payloads",
        "are printable ASCII naming the segment. Ports: client 401xx, server",
        "471xx. The last column is what `tshark -o tcp.desegment_tcp_streams:FALSE`",
        "4.0.17 reports (`tcp.analysis.*`); the analysis tests check synscope",
        "against it.",
        "",
        "| File | Packets | Contents | tshark 4.0.17 analysis flags |",
        "|------|--------:|----------|------------------------------|",
    ]
    for name, build in CAPTURES:
        row = next(r for r in README_ROWS if r[0] == name)
        lines.append("| `%s` | %d | %s | %s |" % (name, len(build().records), row[1], row[2]))
    return "\n".join(lines) + "\n"


def update_readme(path):
    """Replaces this script's section of `path`, or appends it."""
    with open(path) as f:
        old = f.read().split("\n")
    if old and old[-1] == "":
        old.pop()
    section = readme_section().rstrip("\n").split("\n")
    if README_MARKER in old:
        start = old.index(README_MARKER)
        end = start + 1
        while end < len(old) and not (old[end].startswith("<!-- ") and old[end].endswith(" -->")):
            end += 1
        # Keep one blank line before a following marker.
        tail = old[end:]
        new = old[:start] + section + ([""] + tail if tail else [])
    else:
        while old and old[-1] == "":
            old.pop()
        new = old + [""] + section
    with open(path, "w") as f:
        f.write("\n".join(new) + "\n")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if "--list" in argv:
        for name, build in CAPTURES:
            print("%s\n    %s\n" % (name, build.__doc__.strip().replace("\n", "\n    ")))
        return 0
    if argv[:1] == ["--readme"] and len(argv) <= 2:
        path = argv[1] if len(argv) == 2 else os.path.join(here, "..", "captures", "README.md")
        update_readme(path)
        print("%s: section %s written" % (os.path.normpath(path), README_MARKER))
        return 0
    if len(argv) > 1 or any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 1
    outdir = argv[0] if argv else os.path.join(here, "..", "captures")
    for name, build in CAPTURES:
        cap = build()
        path = os.path.join(outdir, name)
        cap.write(path)
        print("%s: %d packets" % (os.path.normpath(path), len(cap.records)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
