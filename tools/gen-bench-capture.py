#!/usr/bin/env python3
"""Write a synthetic loopback TCP capture for benchmarking `synscope decode`.

Standard library only.  Output is a classic little-endian pcap (magic
0xa1b2c3d4, microsecond timestamps, snaplen 262144, DLT_EN10MB) holding
exactly N packets that look like a busy loopback interface:

  * 127.0.0.1 <-> 127.0.0.1 (about 90% of connections) and ::1 <-> ::1
    (the rest), with the all-zero MACs Linux puts on `lo`;
  * C connections in flight at once, their packets interleaved at random;
    when one finishes a new one starts, so the file is a steady stream;
  * each connection is one of
      - normal (~85%): SYN, SYN-ACK (MSS, SACK_PERM, TS, NOP, WS options),
        ACK, a few request/response exchanges (data segments with PSH and
        NOP,NOP,TS both ways, pure ACKs), then FIN/ACK, FIN/ACK, ACK;
      - refused (~7%): SYN answered by RST/ACK (no options, win 0);
      - aborted (~8%): handshake, some data, then RST/ACK from the client
        or a bare RST from the server;
  * timestamps strictly increase (one global clock, >= 1 us per packet);
  * sequence/ack numbers, TCP timestamp values/echoes, IP IDs, IPv4 total
    length, IPv4 header checksum, IPv6 payload length and the TCP data offset
    are consistent.  TCP checksums are left zero (tshark and tcpdump do not
    check them unless asked to).

The last connections are simply cut off when N packets have been written.
The same N/--connections/--seed always produce the same file.

Usage:
  gen-bench-capture.py OUT.pcap --packets N [--connections C] [--seed S]
"""

import argparse
import random
import struct
import sys

DLT_EN10MB = 1
SNAPLEN = 262144

ETH_V4 = bytes(12) + b"\x08\x00"
ETH_V6 = bytes(12) + b"\x86\xdd"

# TCP flags
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# Option kinds for a step
OPT_NONE, OPT_SYN, OPT_TS = 0, 1, 2

REC = struct.Struct("<IIII")
# IPv4 header (20 bytes, no options) followed by the fixed TCP header.
IP4_TCP = struct.Struct("!BBHHHBBH4s4sHHIIBBHHH")
# IPv6 header (40 bytes) followed by the fixed TCP header.
IP6_TCP = struct.Struct("!IHBB16s16sHHIIBBHHH")
SYN_OPTS = struct.Struct("!BBHBBBBII")  # MSS, SACK_PERM, TS (then NOP, WS appended)
TS_OPTS = struct.Struct("!BBBBII")      # NOP, NOP, TS

LO4 = bytes([127, 0, 0, 1])
LO6 = bytes(15) + b"\x01"
# Fixed part of the IPv4 header checksum sum: 0x4500 + DF 0x4000 +
# ttl/proto 0x4006 + src 127.0.0.1 + dst 127.0.0.1.
IP4_SUM_BASE = 0x4500 + 0x4000 + 0x4006 + 2 * (0x7F00 + 0x0001)

# Server ports.  Apart from 80/443 (where random bytes just show up as
# HTTP/TLS continuation data) none of these has a tshark port dissector, so
# the random payloads are not handed to some application-layer dissector that
# would flag them as malformed (7000, for one, is Gryphon's).
SERVER_PORTS = (80, 443, 7001, 8000, 8443, 9200)
# Ephemeral ports (Linux's default 32768-60999) skipping the ones tshark
# would dissect by port.
EPHEMERAL_FIRST, EPHEMERAL_LAST = 32768, 60999
EPHEMERAL_SKIP = frozenset((34980, 44321, 44322, 44818, 48049, 48898, 57000))
MSS4 = 65495   # what Linux advertises on lo (MTU 65536)
MSS6 = 65476

# Payload source: printable-ish bytes, sliced at random offsets.
PAYLOAD_POOL_SIZE = 1 << 16
MAX_PAYLOAD = 1448


class Conn:
    __slots__ = (
        "v6", "cport", "sport", "seq", "nxt", "ipid", "tsoff", "last_ts",
        "steps", "pos", "flow", "win",
    )


def make_steps(rng, short=False):
    """The packet script of one connection: (from_server, flags, payload_len, opts).

    With `short`, every connection has one request and a one-segment reply
    (about 10 packets), so a capture holds more connections."""
    r = rng.random()
    steps = [(0, SYN, 0, OPT_SYN)]
    if r < 0.07:
        steps.append((1, RST | ACK, 0, OPT_NONE))
        return steps
    steps.append((1, SYN | ACK, 0, OPT_SYN))
    steps.append((0, ACK, 0, OPT_TS))
    aborted = r >= 0.92
    exchanges = 1 if short else 1 + int(rng.expovariate(0.6))
    if exchanges > 12:
        exchanges = 12
    for _ in range(exchanges):
        # request: one or two segments, acked by the server
        for _ in range(1 if rng.random() < 0.8 else 2):
            steps.append((0, PSH | ACK, rng.randint(16, 600), OPT_TS))
        steps.append((1, ACK, 0, OPT_TS))
        # response: one to four segments; the client acks every other one
        nseg = 1 if short else rng.choice((1, 1, 1, 2, 2, 3, 4))
        for i in range(nseg):
            plen = MAX_PAYLOAD if i < nseg - 1 else rng.randint(1, 900)
            steps.append((1, PSH | ACK if i == nseg - 1 else ACK, plen, OPT_TS))
            if i % 2 == 1 or i == nseg - 1:
                steps.append((0, ACK, 0, OPT_TS))
    if aborted:
        if rng.random() < 0.5:
            steps.append((0, RST | ACK, 0, OPT_NONE))
        else:
            steps.append((1, RST, 0, OPT_NONE))
        return steps
    if rng.random() < 0.7:  # client closes first
        steps.append((0, FIN | ACK, 0, OPT_TS))
        steps.append((1, FIN | ACK, 0, OPT_TS))
        steps.append((0, ACK, 0, OPT_TS))
    else:
        steps.append((1, FIN | ACK, 0, OPT_TS))
        steps.append((0, FIN | ACK, 0, OPT_TS))
        steps.append((1, ACK, 0, OPT_TS))
    return steps


def new_conn(rng, ephemeral, short=False):
    c = Conn()
    c.v6 = rng.random() < 0.10
    c.cport = ephemeral
    c.sport = rng.choice(SERVER_PORTS)
    isn_c = rng.getrandbits(32)
    isn_s = rng.getrandbits(32)
    c.seq = [isn_c, isn_s]          # next sequence number to send, per side
    c.nxt = [0, 0]                  # ack to send = peer's next seq (after SYN seen)
    c.ipid = [rng.getrandbits(16), 0]
    c.tsoff = [rng.getrandbits(32), rng.getrandbits(32)]
    c.last_ts = [0, 0]              # last TSval each side received (to echo)
    c.flow = [rng.getrandbits(20), rng.getrandbits(20)]
    c.win = [rng.choice((512, 1024, 2047, 6144)), rng.choice((512, 1024, 2047, 8192))]
    c.steps = make_steps(rng, short)
    c.pos = 0
    return c


def build_packet(c, step, t_us, pool, rng):
    side, flags, plen, opts = step
    peer = 1 - side
    seq = c.seq[side]
    if flags & ACK:
        ack = c.seq[peer]
    else:
        ack = 0
    if side == 0:
        sport, dport = c.cport, c.sport
    else:
        sport, dport = c.sport, c.cport

    tsval = ((t_us // 1000) + c.tsoff[side]) & 0xFFFFFFFF
    if opts == OPT_SYN:
        tsecr = c.last_ts[side] if flags & ACK else 0
        mss = MSS6 if c.v6 else MSS4
        optbytes = SYN_OPTS.pack(2, 4, mss, 4, 2, 8, 10, tsval, tsecr) + b"\x01\x03\x03\x07"
        window = 65483 if side else 65495
        c.last_ts[peer] = tsval
    elif opts == OPT_TS:
        optbytes = TS_OPTS.pack(1, 1, 8, 10, tsval, c.last_ts[side])
        window = c.win[side]
        c.last_ts[peer] = tsval
    else:
        optbytes = b""
        window = 0
        if c.pos == 1:
            seq = 0  # refused: the RST/ACK answering a SYN has seq 0
    tcplen = 20 + len(optbytes)
    doff = (tcplen // 4) << 4

    if plen:
        off = rng.randrange(PAYLOAD_POOL_SIZE - plen)
        payload = pool[off:off + plen]
    else:
        payload = b""

    # Advance sequence state
    consumed = plen + (1 if flags & (SYN | FIN) else 0)
    c.seq[side] = (c.seq[side] + consumed) & 0xFFFFFFFF

    ipid = c.ipid[side]
    c.ipid[side] = (ipid + 1) & 0xFFFF
    if c.v6:
        paylen = tcplen + plen
        hdr = IP6_TCP.pack(0x60000000 | c.flow[side], paylen, 6, 64, LO6, LO6,
                           sport, dport, seq, ack, doff, flags, window, 0, 0)
        frame = b"".join((ETH_V6, hdr, optbytes, payload))
    else:
        total = 20 + tcplen + plen
        s = IP4_SUM_BASE + total + ipid
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        hdr = IP4_TCP.pack(0x45, 0, total, ipid, 0x4000, 64, 6, (~s) & 0xFFFF, LO4, LO4,
                           sport, dport, seq, ack, doff, flags, window, 0, 0)
        frame = b"".join((ETH_V4, hdr, optbytes, payload))
    return frame


def generate(out, packets, connections, seed, short=False, mean_gap_us=40.0):
    rng = random.Random(seed)
    pool = bytes(rng.randrange(0x20, 0x7F) for _ in range(PAYLOAD_POOL_SIZE))

    ephemeral = EPHEMERAL_FIRST

    def next_port(port):
        port += 1
        while port in EPHEMERAL_SKIP or port > EPHEMERAL_LAST:
            port = EPHEMERAL_FIRST if port > EPHEMERAL_LAST else port + 1
        return port

    active = []
    for _ in range(connections):
        active.append(new_conn(rng, ephemeral, short))
        ephemeral = next_port(ephemeral)

    t_us = 1_700_000_000 * 1_000_000 + rng.randrange(1_000_000)
    written = 0
    chunk = []
    rec_pack = REC.pack
    randrange = rng.randrange
    expo = rng.expovariate
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, DLT_EN10MB))
        while written < packets:
            i = randrange(connections)
            c = active[i]
            step = c.steps[c.pos]
            t_us += 1 + int(expo(1 / mean_gap_us))
            frame = build_packet(c, step, t_us, pool, rng)
            c.pos += 1
            if c.pos == len(c.steps):
                active[i] = new_conn(rng, ephemeral, short)
                ephemeral = next_port(ephemeral)
            n = len(frame)
            chunk.append(rec_pack(t_us // 1_000_000, t_us % 1_000_000, n, n))
            chunk.append(frame)
            written += 1
            if len(chunk) >= 16384:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", metavar="OUT.pcap")
    ap.add_argument("--packets", type=int, required=True, metavar="N")
    ap.add_argument("--connections", type=int, default=100, metavar="C",
                    help="concurrent connections (default 100)")
    ap.add_argument("--seed", type=int, default=1, metavar="S", help="RNG seed (default 1)")
    ap.add_argument("--short", action="store_true",
                    help="one request and a one-segment reply per connection (~10 packets each)")
    ap.add_argument("--mean-gap-us", type=float, default=40.0, metavar="US",
                    help="mean gap between packets in microseconds (default 40)")
    args = ap.parse_args(argv)
    if args.packets < 0:
        ap.error("--packets must be >= 0")
    if not 1 <= args.connections <= 20000:
        ap.error("--connections must be between 1 and 20000")
    generate(args.out, args.packets, args.connections, args.seed, args.short, args.mean_gap_us)
    return 0


if __name__ == "__main__":
    sys.exit(main())
