#!/usr/bin/env python3
"""make-seeds.py: write the hand-made seeds of tests/fuzz/corpus/.

    tests/fuzz/make-seeds.py PVOS-ELF

Each target's seeds are well-formed inputs in its harness's layout (see
the comment at the top of each fuzz-TARGET.c), so the fuzzer starts from
requests that get deep into the parser. domcfg's seeds are copies of
tests/domcfg/*.xml and builder's are the stripped pvos kernel and a
two-segment image. Run it again after changing a harness's layout; files
named crash-* are regression inputs and are never touched.
"""
import glob
import os
import shutil
import struct
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
corpus = os.path.join(here, "corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- xs-wire: mode, chunk, then xsd_sockmsg requests ----
def xs_seed(name, mode, chunk, typ, payload):
    put("xs-wire", name, bytes([mode, chunk]) +
        struct.pack("<IIII", typ, 1, 0, len(payload)) + payload)


xs_seed("write", 0, 0, 11, b"/a/b\0value")
xs_seed("read", 0, 7, 2, b"/tool/xenstored\0")
xs_seed("guest-write", 1, 0, 11, b"data/x\0v")
xs_seed("watch", 0, 0, 4, b"/a\0tok\0")
xs_seed("transaction", 0, 0, 6, b"\0")
xs_seed("perms", 0, 0, 14, b"/a\0n0\0r5\0")
xs_seed("directory-part", 0, 0, 22, b"/\0" b"0\0")
xs_seed("control", 0, 0, 0, b"print\0")
xs_seed("ring", 128, 0, 2, b"name\0")

# ---- domcfg: the loader's own test files ----
for f in sorted(glob.glob(os.path.join(top, "tests", "domcfg", "*.xml"))):
    if os.path.getsize(f) <= 2048:
        put("domcfg", os.path.basename(f), open(f, "rb").read())

# ---- builder: pvos, stripped, and a minimal image ----
if len(sys.argv) > 1:
    out = os.path.join(corpus, "builder", "pvos")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.check_call(["strip", "-o", out, sys.argv[1]])
base = 0x40100000
ehdr = struct.pack("<16sHHIQQQIHHHHHH",
                   b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 62, 1, base + 8,
                   64, 0, 0, 64, 56, 2, 0, 0, 0)
ph_text = struct.pack("<IIQQQQQQ", 1, 5, 64 + 2 * 56, base, base, 64, 64, 4096)
ph_data = struct.pack("<IIQQQQQQ", 1, 6, 64 + 2 * 56 + 64, base + 0x1000,
                      base + 0x1000, 32, 0x2000, 4096)
put("builder", "two-segments", ehdr + ph_text + ph_data + b"\x90" * 64 + b"\xab" * 32)


# ---- blkreq: disk (sectors, flags, max indirect), slot, page ----
def disk(sectors, readonly=False, discard=True, max_ind=256):
    return struct.pack("<QBH", sectors, readonly | (discard << 1), max_ind)


def blk_rw(op, sector, segs, id=0x1234):
    s = struct.pack("<BBHIQQ", op, len(segs), 0, 0, id, sector)
    for gref, first, last in segs:
        s += struct.pack("<IBBH", gref, first, last, 0)
    return s + b"\0" * (112 - len(s))


def blk_indirect(op, sector, nseg, grefs=(9,)):
    s = struct.pack("<BBHIQQHH", 6, op, nseg, 0, 0x99, sector, 0, 0)
    s += b"".join(struct.pack("<I", g) for g in grefs)
    return s + b"\0" * (112 - len(s))


def seg_page(n):
    return b"".join(struct.pack("<IBBH", 100 + i, 0, 7, 0) for i in range(n))


put("blkreq", "read-2seg", disk(2048) + blk_rw(0, 8, [(100, 0, 7), (101, 2, 5)]))
put("blkreq", "write-ro", disk(2048, readonly=True) + blk_rw(1, 0, [(100, 0, 7)]))
put("blkreq", "write-last-sector", disk(16) + blk_rw(1, 15, [(100, 0, 0)]))
put("blkreq", "flush", disk(16) + blk_rw(3, 0, []))
put("blkreq", "discard", disk(4096) + struct.pack("<BBHIQQQ", 5, 0, 0, 0, 7, 100, 64)
    + b"\0" * 80)
put("blkreq", "indirect-read", disk(1 << 20) + blk_indirect(0, 64, 32) + seg_page(32))
put("blkreq", "indirect-write-256", disk(1 << 20) + blk_indirect(1, 0, 256) + seg_page(256))


# ---- netreq: ring order, cons, produced, slots ----
def tx(gref, offset, flags, id, size):
    return struct.pack("<IHHHH", gref, offset, flags, id, size)


put("netreq", "one-slot", struct.pack("<BIH", 3, 0, 1) + tx(1, 0, 0, 0, 60))
put("netreq", "two-slots", struct.pack("<BIH", 3, 0xfffffffe, 2) +
    tx(1, 100, 4, 0, 1514) + tx(2, 0, 0, 1, 1000))
put("netreq", "three-packets", struct.pack("<BIH", 4, 5, 4) +
    tx(1, 0, 0, 0, 42) + tx(2, 0, 4, 1, 9000) + tx(3, 0, 4, 2, 4096) + tx(4, 0, 0, 3, 808))


# ---- ioreq: drive flags, then records (kind, fields) ----
CMD, CTL, BMCMD, BMST, BMPRD = 0, 8, 9, 10, 11


def out(port, val, size=1):
    b = {1: 0, 2: 1, 4: 2}[size]
    return bytes([2, port, b]) + val.to_bytes(size, "little")


def inp(port, size=1, count=1):
    b = {1: 0, 2: 1, 4: 2}[size] | 4
    if count == 1:
        return bytes([2, port, b])
    return bytes([2, port, b | 8]) + struct.pack("<H", count - 1)


def lba(sector, n):
    return (out(CMD + 2, n) + out(CMD + 3, sector & 0xff) + out(CMD + 4, (sector >> 8) & 0xff)
            + out(CMD + 5, (sector >> 16) & 0xff) + out(CMD + 6, 0xe0))


def poke(off, data):
    return bytes([0]) + struct.pack("<HB", off, len(data)) + data


put("ioreq", "identify", bytes([0x10]) + out(CMD + 6, 0xe0) + out(CMD + 7, 0xec)
    + inp(CMD + 7) + inp(CMD, 2, 256))
put("ioreq", "pio-read", bytes([0x10]) + lba(3, 1) + out(CMD + 7, 0x20) + inp(CMD + 7)
    + inp(CMD, 2, 256) + inp(CMD + 1))
put("ioreq", "pio-write", bytes([0x10]) + lba(5, 1) + out(CMD + 7, 0x30)
    + bytes([2, CMD, 1 | 8]) + struct.pack("<H", 255) + bytes(range(256)) * 2 + inp(CMD + 7))
put("ioreq", "dma-read", bytes([0x10]) + poke(0x1000, struct.pack("<IHH", 0x2000, 1024, 0x8000))
    + out(BMPRD, 0x1000, 4) + lba(0, 2) + out(CMD + 7, 0xc8) + out(BMCMD, 0x09)
    + inp(BMST) + out(BMST, 0x06) + inp(CMD + 7))
put("ioreq", "flush-readonly", bytes([0x11]) + out(CMD + 7, 0xe7) + inp(CMD + 7)
    + lba(1, 1) + out(CMD + 7, 0xca) + out(CTL, 0x04) + out(CTL, 0x00))
put("ioreq", "malformed", bytes([0x10]) + bytes([1]) + struct.pack("<H", 16)
    + struct.pack("<IIHBBI", 0x51524f49, 7, 0x1f0, 3, 0, 1))

# ---- pio-decode: instruction bytes ----
for name, code in [("in-imm8", "e460"), ("in-dx", "ec"), ("out-dx-word", "66ef"),
                   ("rep-insw", "f3666d"), ("rep-outsb-addr32", "67f36e"),
                   ("lock-out", "f0ee"), ("fs-outs", "646e"), ("rex-in", "48ed"),
                   ("ud2", "0f0b"), ("prefixes-15", "66" * 14 + "ec")]:
    put("pio-decode", name, bytes.fromhex(code))


# ---- xenbus: ring indices and features, then client ops and daemon actions ----
def answer(body, same=True):
    return bytes([0, 1 if same else 0, len(body)]) + body


def xb(req=0, rsp=0, features=3):
    return struct.pack("<IIB", req, rsp, features)


put("xenbus", "read", xb() + bytes([0x00]) + answer(b"4"))
put("xenbus", "read-big-buffer", xb(0xfffffff0, 0xffffff00) + bytes([0x80]) + answer(b"x" * 200))
put("xenbus", "directory", xb() + bytes([0x02]) + answer(b"a\0bc\0"))
put("xenbus", "read-u64", xb() + bytes([0x01]) + answer(b"18446744073709551615"))
put("xenbus", "watch-event", xb() + bytes([0x06]) + answer(b"OK\0") + bytes([0x08])
    + bytes([5, 15]) + struct.pack("<I", 0) + b"device/vbd\0blk\0")
put("xenbus", "transaction-eagain", xb() + bytes([0x05]) + answer(b"42\0") + bytes([0x03])
    + answer(b"OK\0") + bytes([0x05]) + bytes([4, 7]) + b"EAGAIN\0")
put("xenbus", "reset-mid-request", xb() + bytes([0x00]) + bytes([8, 0]) + answer(b"again"))
put("xenbus", "reconnect", xb() + bytes([0x00]) + bytes([7, 0]) + struct.pack("<I", 0x10000)
    + bytes([10, 0]) + answer(b"after"))
