#!/usr/bin/env python3
"""Small classic-pcap helper used to derive synscope's fixture captures.

Standard library only.  It reads classic libpcap files (either byte order,
microsecond or nanosecond magic) whose link type is DLT_EN10MB and rewrites
the packets with a different link-layer framing:

  en10mb   Ethernet, unchanged (use with --byte-order big for a big-endian file)
  vlan     Ethernet with one 802.1Q tag (TPID 0x8100) inserted after the MACs
  qinq     Ethernet with an 802.1ad S-tag (0x88a8) and an 802.1Q C-tag (0x8100)
  null     DLT_NULL (0): 4-byte address family in the *file's* byte order
  loop     DLT_LOOP (108): 4-byte address family in network byte order
  raw      DLT_RAW / LINKTYPE_RAW (101): bare IPv4 or IPv6 packet
  ipv4     LINKTYPE_IPV4 (228): bare IPv4 packet (IPv6 input is an error)
  ipv6     LINKTYPE_IPV6 (229): bare IPv6 packet (IPv4 input is an error)

Timestamps are copied unchanged (and the nanosecond/microsecond magic is kept).
incl_len and orig_len both change by exactly the link-header size difference,
so a packet that was truncated by the snaplen stays truncated by the same
amount of payload.  Several inputs are concatenated in the order given.

Usage:
  pcaptool.py convert --to null --byte-order little -o out.pcap in1.pcap [in2.pcap ...]
  pcaptool.py info FILE.pcap       # header + one line per packet
  pcaptool.py same A.pcap B.pcap   # exit 0 if both files hold the same records
"""

import argparse
import struct
import sys

MAGIC_USEC = 0xA1B2C3D4
MAGIC_NSEC = 0xA1B23C4D

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

LINKTYPE_NAMES = {
    0: "NULL", 1: "EN10MB", 101: "RAW", 108: "LOOP", 113: "LINUX_SLL",
    228: "IPV4", 229: "IPV6", 276: "LINUX_SLL2",
}

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_VLAN = 0x8100
ETHERTYPE_QINQ = 0x88A8

AF_INET = 2
# AF_INET6 differs by OS; DLT_NULL/DLT_LOOP readers are expected to accept
# 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD/DragonFly) and 30 (Darwin/macOS).
# Linux's AF_INET6 (10) never appears in real DLT_NULL captures.
AF_INET6_DEFAULT = 30


class PcapError(Exception):
    pass


class Pcap:
    """A classic pcap file held in memory."""

    def __init__(self, endian, nanos, version, thiszone, sigfigs, snaplen,
                 linktype, records):
        self.endian = endian          # "<" or ">"
        self.nanos = nanos            # True for 0xa1b23c4d files
        self.version = version        # (major, minor)
        self.thiszone = thiszone
        self.sigfigs = sigfigs
        self.snaplen = snaplen
        self.linktype = linktype      # low 16 bits of the link-type field
        self.records = records        # list of (ts_sec, ts_frac, orig_len, data)

    @classmethod
    def read(cls, path):
        with open(path, "rb") as f:
            blob = f.read()
        if len(blob) < 24:
            raise PcapError(f"{path}: too short for a pcap header")
        for endian in ("<", ">"):
            (magic,) = struct.unpack(endian + "I", blob[:4])
            if magic in (MAGIC_USEC, MAGIC_NSEC):
                break
        else:
            raise PcapError(
                f"{path}: not a classic pcap file (magic {blob[:4].hex()}); "
                "convert pcapng with `editcap -F pcap` first")
        nanos = magic == MAGIC_NSEC
        major, minor, thiszone, sigfigs, snaplen, network = struct.unpack(
            endian + "HHiIII", blob[4:24])
        records = []
        off = 24
        while off < len(blob):
            if off + 16 > len(blob):
                raise PcapError(f"{path}: truncated record header at {off}")
            ts_sec, ts_frac, incl, orig = struct.unpack(
                endian + "IIII", blob[off:off + 16])
            off += 16
            if off + incl > len(blob):
                raise PcapError(f"{path}: truncated record data at {off}")
            records.append((ts_sec, ts_frac, orig, blob[off:off + incl]))
            off += incl
        return cls(endian, nanos, (major, minor), thiszone, sigfigs, snaplen,
                   network & 0xFFFF, records)

    def write(self, path):
        e = self.endian
        out = [struct.pack(e + "IHHiIII",
                           MAGIC_NSEC if self.nanos else MAGIC_USEC,
                           self.version[0], self.version[1], self.thiszone,
                           self.sigfigs, self.snaplen, self.linktype)]
        for ts_sec, ts_frac, orig, data in self.records:
            out.append(struct.pack(e + "IIII", ts_sec, ts_frac, len(data), orig))
            out.append(data)
        with open(path, "wb") as f:
            f.write(b"".join(out))


def split_ethernet(data, where):
    """Return (dst+src MACs, ethertype, payload) of an untagged frame."""
    if len(data) < 14:
        raise PcapError(f"{where}: captured length {len(data)} < Ethernet header")
    (ethertype,) = struct.unpack("!H", data[12:14])
    if ethertype in (ETHERTYPE_VLAN, ETHERTYPE_QINQ):
        raise PcapError(f"{where}: input is already VLAN-tagged")
    return data[:12], ethertype, data[14:]


def ip_version(ethertype, payload, where):
    if ethertype == ETHERTYPE_IPV4:
        version = 4
    elif ethertype == ETHERTYPE_IPV6:
        version = 6
    else:
        raise PcapError(f"{where}: ethertype 0x{ethertype:04x} is not IP")
    if payload and payload[0] >> 4 != version:
        raise PcapError(f"{where}: ethertype says IPv{version}, "
                        f"header says IPv{payload[0] >> 4}")
    return version


def tci(vid, pcp=0, dei=0):
    if not 0 <= vid <= 4095:
        raise PcapError(f"VLAN id {vid} out of range")
    return (pcp << 13) | (dei << 12) | vid


def convert(inputs, to, endian, af_inet6, vid, outer_vid):
    first = inputs[0]
    nanos = first.nanos
    out_records = []
    deltas = set()
    for n, cap in enumerate(inputs):
        if cap.linktype != LINKTYPE_ETHERNET:
            raise PcapError(f"input {n + 1}: link type {cap.linktype} is not "
                            "EN10MB (1)")
        if cap.nanos != nanos:
            raise PcapError("inputs mix microsecond and nanosecond files")
        for i, (ts_sec, ts_frac, orig, data) in enumerate(cap.records):
            where = f"input {n + 1} packet {i + 1}"
            macs, ethertype, payload = split_ethernet(data, where)
            if to == "en10mb":
                new = data
            elif to == "vlan":
                new = macs + struct.pack("!HH", ETHERTYPE_VLAN, tci(vid)) \
                    + struct.pack("!H", ethertype) + payload
            elif to == "qinq":
                new = macs + struct.pack("!HHHH", ETHERTYPE_QINQ, tci(outer_vid),
                                         ETHERTYPE_VLAN, tci(vid)) \
                    + struct.pack("!H", ethertype) + payload
            else:
                version = ip_version(ethertype, payload, where)
                family = AF_INET if version == 4 else af_inet6
                if to == "null":
                    # host byte order of the writer == byte order of the file
                    new = struct.pack(endian + "I", family) + payload
                elif to == "loop":
                    new = struct.pack("!I", family) + payload
                elif to == "raw":
                    new = payload
                elif to == "ipv4":
                    if version != 4:
                        raise PcapError(f"{where}: IPv6 packet in an IPV4 file")
                    new = payload
                elif to == "ipv6":
                    if version != 6:
                        raise PcapError(f"{where}: IPv4 packet in an IPV6 file")
                    new = payload
                else:
                    raise PcapError(f"unknown target {to}")
            delta = len(new) - len(data)
            deltas.add(delta)
            if orig + delta < len(new):
                raise PcapError(f"{where}: orig_len would drop below incl_len")
            out_records.append((ts_sec, ts_frac, orig + delta, new))
    linktype = {
        "en10mb": LINKTYPE_ETHERNET, "vlan": LINKTYPE_ETHERNET,
        "qinq": LINKTYPE_ETHERNET, "null": LINKTYPE_NULL,
        "loop": LINKTYPE_LOOP, "raw": LINKTYPE_RAW, "ipv4": LINKTYPE_IPV4,
        "ipv6": LINKTYPE_IPV6,
    }[to]
    grow = max(deltas) if deltas else 0
    snaplen = max(cap.snaplen for cap in inputs) + max(grow, 0)
    return Pcap(endian, nanos, (2, 4), 0, 0, snaplen, linktype, out_records)


def cmd_convert(args):
    inputs = [Pcap.read(p) for p in args.inputs]
    endian = "<" if args.byte_order == "little" else ">"
    out = convert(inputs, args.to, endian, args.af_inet6, args.vid,
                  args.outer_vid)
    prev = None
    for i, (sec, frac, _, _) in enumerate(out.records):
        if prev is not None and (sec, frac) < prev:
            print(f"pcaptool: warning: packet {i + 1} goes back in time",
                  file=sys.stderr)
        prev = (sec, frac)
    out.write(args.output)
    return 0


def cmd_info(args):
    cap = Pcap.read(args.file)
    name = LINKTYPE_NAMES.get(cap.linktype, "?")
    print(f"{args.file}: {'big' if cap.endian == '>' else 'little'}-endian, "
          f"{'nano' if cap.nanos else 'micro'}second, version "
          f"{cap.version[0]}.{cap.version[1]}, snaplen {cap.snaplen}, "
          f"linktype {cap.linktype} ({name}), {len(cap.records)} packets")
    width = 9 if cap.nanos else 6
    for i, (sec, frac, orig, data) in enumerate(cap.records):
        print(f"{i + 1:4d} {sec}.{frac:0{width}d} incl={len(data):<5d} "
              f"orig={orig:<5d} {data[:24].hex()}")
    return 0


def cmd_same(args):
    a, b = Pcap.read(args.a), Pcap.read(args.b)
    problems = []
    for attr in ("nanos", "linktype"):
        if getattr(a, attr) != getattr(b, attr):
            problems.append(f"{attr}: {getattr(a, attr)} != {getattr(b, attr)}")
    if a.records != b.records:
        problems.append("packet records differ")
    for p in problems:
        print(f"pcaptool: {args.a} vs {args.b}: {p}", file=sys.stderr)
    return 1 if problems else 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="rewrite EN10MB pcap(s) to another framing")
    p.add_argument("--to", required=True,
                   choices=["en10mb", "vlan", "qinq", "null", "loop", "raw",
                            "ipv4", "ipv6"])
    p.add_argument("--byte-order", choices=["little", "big"], default="little",
                   help="byte order of the output file (default little)")
    p.add_argument("--af-inet6", type=int, default=AF_INET6_DEFAULT,
                   help="AF_INET6 value for null/loop (24, 28 or 30; "
                        f"default {AF_INET6_DEFAULT})")
    p.add_argument("--vid", type=int, default=10,
                   help="802.1Q VLAN id (vlan, and inner tag of qinq)")
    p.add_argument("--outer-vid", type=int, default=100,
                   help="802.1ad outer VLAN id for qinq")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("inputs", nargs="+")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("info", help="print header and per-packet summary")
    p.add_argument("file")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("same", help="compare the packet records of two files")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(func=cmd_same)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:            # e.g. `pcaptool.py info x | head`
        sys.stderr.close()
        return 0
    except (PcapError, OSError) as exc:
        print(f"pcaptool: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
