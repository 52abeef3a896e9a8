#!/usr/bin/env python3
"""pvbench: the same block workload over PV, emulated IDE and native I/O.

Four paths, and two variants of the first, on one image file in one run:

  pv       a pvos guest with a PV disk (blkfront -> pvblkback), init=blkbench,
           persistent grants and one queue; two variants of it (in the full
           run, or with --paths): pv-nopersist (blk-persistent=0: every page
           granted, mapped and unmapped per request) and pv-4q (blk-queues=4)
  ide-pio  a pvos guest with an emulated IDE disk (pvdm) driven by
           programmed I/O: every register and data access traps
  ide-dma  the same disk with bus-master DMA: a PRD table in guest memory
  native   bench/blk-native on the host doing the same cases on the same
           file, with O_DIRECT (as pvblkback opens it) and through the
           page cache

Workloads: sequential read and write at 4 KiB, 64 KiB and 1 MiB (queue
depth 1), random 4 KiB read and write at queue depth 1 and 32. IDE runs
one command at a time, so its depth-32 cells are reported as not
applicable. Also measured: one trapped port access (pvos init=pio-bench:
an unclaimed port, served by the runner alone, and the IDE alternate
status port, a round trip to the device model) and one event channel
round trip with dom0 (init=prim-bench with bench/evtchn-peer).

Every case is repeated and the medians are reported; the table gives the
ratios PV/ide-pio, PV/ide-dma and PV/native of the throughput, and each PV
variant's over pv. Run as root:

  pvbench [--quick] [--paths pv,pv-nopersist,pv-4q,ide-pio,ide-dma,native]
          [--json FILE] [--plots DIR]

Exit status: 0 when everything was measured, 3 when some path or
measurement was not available (the table and JSON say which and why),
1 when nothing could be run (build or host start failed), 2 on bad usage.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

# Filled in by the build (bench/local.mk); left as they are in the source tree.
CONFIG = {
    "srcdir": "@abs_top_srcdir@",
    "builddir": "@abs_top_builddir@",
    "sbindir": "@sbindir@",
    "pkglibdir": "@pkglibdir@",
    "pkglibexecdir": "@pkglibexecdir@",
    "pkgdatadir": "@pkgdatadir@",
}

PATHS = ("pv", "pv-nopersist", "pv-4q", "ide-pio", "ide-dma", "native")
IDE_PATHS = ("ide-pio", "ide-dma")
# The PV variants: what each adds to pv's command line, and the connection
# pvblkback must then log for it (queues, persistent grants).
PV_VARIANTS = {"pv": ("", 1, True),
               "pv-nopersist": (" blk-persistent=0", 1, False),
               "pv-4q": (" blk-queues=4", 4, True)}
PV_PATHS = tuple(PV_VARIANTS)
# --quick runs the four paths that answer the main question; the full run all.
QUICK_PATHS = ("pv", "ide-pio", "ide-dma", "native")
SEQ_BS = (4096, 65536, 1048576)
# The cells of the table: (workload, bs, qd).
CASES = ([(op, bs, 1) for op in ("seqread", "seqwrite") for bs in SEQ_BS] +
         [(op, 4096, qd) for op in ("randread", "randwrite") for qd in (1, 32)])
# How the cells are run: one guest (or one blk-native) per group.
GROUPS = (("seqread,seqwrite", SEQ_BS, (1,)), ("randread,randwrite", (4096,), (1, 32)))
NO_QUEUE = ("the IDE controller runs one command at a time (no command queueing), "
            "so a queue depth above 1 cannot be expressed")
LINE = re.compile(r"(?:blkbench|blk-native): op=(\w+) bs=(\d+) qd=(\d+) iops=(\d+) "
                  r"mib_s=(\d+(?:\.\d+)?) lat_us_p50=(\d+)")
# blkbench on a device that cannot queue: "op=randread bs=4096 qd=32 skipped=cannot-queue device_qd=1".
SKIPPED = re.compile(r"blkbench: op=(\w+) bs=(\d+) qd=(\d+) skipped=(\S+)(.*)")
PIO_LINE = re.compile(r"pio-bench: port=0x([0-9a-fA-F]+) n=(\d+) ns_per_op=(\d+)")
ALT_STATUS_PORT = 0x3F6
# pvdm's counters, logged when its domain goes (dom0/pvdm.c print_stats).
PVDM_TOTAL = re.compile(r"domain \d+: (\d+) ioreqs \((\d+) in, (\d+) out, (\d+) port accesses, "
                        r"(\d+) malformed\)")
PVDM_GROUP = re.compile(r"ioreqs (\S+) +(\d+) \((\d+) accesses\)")
PVDM_CMD = re.compile(r"commands (\S+) +(\d+)")
PVDM_SECTORS = re.compile(r"sectors read (\d+), written (\d+)")
# pvblkback's log lines for one device (pvback/blkback.c).
BACK_CONNECTED = re.compile(r"vbd (\d+)/(\d+): connected \((\d+) queues? of (\d+)-page rings, "
                            r"(no )?persistent grants\)")
BACK_REMOVED = re.compile(r"vbd (\d+)/(\d+): removed \((\d+) requests, (\d+) indirect, "
                          r"(\d+) errors, (\d+) persistent grants evicted\)")
GUEST_MIB = 64


def _module_dir():
    """Where svbench.py is: next to us (source tree), in the source tree this
    build belongs to, or installed under pkgdatadir."""
    here = os.path.dirname(os.path.realpath(__file__))
    if CONFIG["srcdir"].startswith("@"):
        return here
    if here == os.path.join(os.path.realpath(CONFIG["builddir"]), "bench"):
        return os.path.join(CONFIG["srcdir"], "bench")
    return os.path.join(CONFIG["pkgdatadir"], "bench")


sys.path.insert(0, _module_dir())
from svbench import (BenchError, Host, Tools, evtchn_dom0_rtt_ns, host_description,  # noqa: E402
                     median, sh, tail, wait_for)

QUICK = {"runtime_ms": 200, "repeats": 2, "image_mib": 32}
FULL = {"runtime_ms": 2000, "repeats": 5, "image_mib": 256}


def say(msg):
    print("pvbench: " + msg, file=sys.stderr, flush=True)


# -- where things are, and building them ----------------------------------

def locate(a):
    """(mode, srcdir, builddir) for this copy of pvbench: "build" (the source
    tree, or a build tree) or "installed"."""
    here = os.path.dirname(os.path.realpath(__file__))
    configured = not CONFIG["srcdir"].startswith("@")
    src = CONFIG["srcdir"] if configured else os.path.dirname(here)
    if a.builddir:
        return "build", src, os.path.abspath(a.builddir)
    if not configured:
        return "build", src, os.path.join(src, "build")
    if here == os.path.join(os.path.realpath(CONFIG["builddir"]), "bench"):
        return "build", src, CONFIG["builddir"]
    return "installed", None, None


def run_logged(cmd, cwd, log):
    with open(log, "a") as f:
        f.write("$ %s\n" % " ".join(cmd))
        f.flush()
        return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT).returncode


def build(srcdir, builddir):
    """Configure and make the tree if needed; exits on failure."""
    os.makedirs(builddir, exist_ok=True)
    log = os.path.join(builddir, "pvbench-build.log")
    steps = []
    if not os.path.exists(os.path.join(builddir, "Makefile")):
        if not os.path.exists(os.path.join(srcdir, "configure")):
            steps.append((["autoreconf", "-fi"], srcdir))
        steps.append(([os.path.join(srcdir, "configure"), "--quiet"], builddir))
    steps.append((["make", "-j%d" % (os.cpu_count() or 1), "--no-print-directory"], builddir))
    say("building in %s (log: %s)" % (builddir, log))
    for cmd, cwd in steps:
        if run_logged(cmd, cwd, log) != 0:
            with open(log) as f:
                tail = f.read().splitlines()[-15:]
            sys.exit("pvbench: %s failed in %s; the end of %s:\n%s"
                     % (" ".join(cmd), cwd, log, "\n".join(tail)))


def tools_for(mode, builddir):
    if mode == "build":
        return Tools.build_tree(builddir)
    lx = CONFIG["pkglibexecdir"]
    return Tools(os.path.join(CONFIG["sbindir"], "pvctl"),
                 os.path.join(CONFIG["pkglibdir"], "kernel", "pvos"), lx, os.path.join(lx, "pvdm"))


# -- the runs ---------------------------------------------------------------

class Bench:
    def __init__(self, host, a):
        self.host = host
        self.a = a
        self.image = a.image
        self.samples = {}        # (path, o_direct, op, bs, qd) -> [(iops, mib_s, p50)]
        self.failed = {}         # path or measure -> why it could not be measured
        self.skipped_why = {}    # (path, op, bs, qd) -> why the guest skipped it
        self.exits = {}          # (path, op, bs, qd) -> [(ioreqs/io, accesses/io, ios, counters)]
        self.backend = {}        # PV path -> [what pvblkback logged for each of its guests]
        self.steps_done = 0
        self.t0 = time.monotonic()

    # One step: one guest or one blk-native for one group of cases. An IDE
    # guest runs one case, so pvdm's counters at its exit are that case's.
    def steps(self):
        out = []
        for rep in range(self.a.repeats):
            for path in self.a.paths:
                variants = (True, False) if path == "native" else (None,)
                for direct in variants:
                    for ops, sizes, depths in GROUPS:
                        if path not in IDE_PATHS:
                            out.append((rep, path, direct, ops, sizes, depths))
                            continue
                        out += [(rep, path, direct, op, (bs,), depths)
                                for op in ops.split(",") for bs in sizes]
        return out

    def progress(self, total, what):
        el = time.monotonic() - self.t0
        left = ""
        if self.steps_done:
            left = ", about %d s left" % (el / self.steps_done * (total - self.steps_done))
        say("[%d/%d] %s (%d s so far%s)" % (self.steps_done + 1, total, what, el, left))

    def run_all(self):
        steps = self.steps()
        for rep, path, direct, ops, sizes, qds in steps:
            key = path if direct is not False else "native-cached"
            if key in self.failed:
                self.steps_done += 1
                continue
            what = "repeat %d/%d, %s%s: %s at %s, qd %s" % (
                rep + 1, self.a.repeats, path,
                {True: " (O_DIRECT)", False: " (page cache)"}.get(direct, ""),
                ops, ",".join(human_bs(b) for b in sizes), ",".join(map(str, qds)))
            self.progress(len(steps), what)
            try:
                text = self.run_group(path, direct, ops, sizes, qds)
                self.collect(path, direct, text, ops, sizes, qds)
            except BenchError as e:
                self.failed[key] = str(e)
                say("%s failed: %s" % (key, e))
            self.steps_done += 1

    def run_group(self, path, direct, ops, sizes, qds):
        bs, qd = ",".join(map(str, sizes)), ",".join(map(str, qds))
        if path == "native":
            args = [self.host.tools.helper("blk-native"), "--ms", str(self.a.runtime_ms),
                    "--ops", ops, "--bs", bs, "--qd", qd] + (["--direct"] if direct else [])
            return sh(*(args + [self.image]))
        ncases = len(ops.split(",")) * len(sizes) * len(qds)
        limit = 60 + ncases * (self.a.runtime_ms / 1000 + 10) * (4 if path == "ide-pio" else 1)
        cmdline = "init=blkbench ms=%d ops=%s bs=%s qd=%s" % (self.a.runtime_ms, ops, bs, qd)
        if path in IDE_PATHS:
            cmdline += " blk=ide ata-mode=%s" % path[4:]
        else:
            cmdline += " blk=xen" + PV_VARIANTS[path][0]
        text, counters = self.guest(path, cmdline, limit)
        # A single-case guest (the deeper queues are skipped on IDE): its counters are the case's.
        if counters is not None and len(sizes) == 1 and "," not in ops:
            self.count_exits(path, ops, sizes[0], counters)
        return text

    def count_exits(self, path, op, bs, c):
        """Exits (ioreqs) and port accesses per I/O of one single-case guest."""
        ios = (c["sectors_read"] if op.endswith("read") else c["sectors_written"]) * 512 // bs
        if ios:
            self.exits.setdefault((path, op, bs, 1), []).append(
                (c["ioreqs"] / ios, c["accesses"] / ios, ios, c))

    def guest(self, path, cmdline, limit):
        """Boot a pvos guest with the image as the disk PATH wants; its console
        text and, for an IDE disk, pvdm's counters (None if it logged none)."""
        bus = "ide" if path in IDE_PATHS else "xen"
        dev = "hda" if bus == "ide" else "xvda"
        disk = ("<disk type='file' device='disk'><driver type='raw'/><source file='%s'/>"
                "<target dev='%s' bus='%s'/></disk>" % (self.image, dev, bus))
        name, xml = self.host.xml(cmdline, GUEST_MIB, disk)
        self.host.ctl("create", xml)
        domid = None
        try:
            if bus == "xen":
                domid = self.host.domain(name)["domid"]
            text = self.host.finish(name, limit)
        except BenchError as e:
            if bus == "ide":
                raise BenchError("%s; pvdm's log ends: %s" % (e, tail(self.pvdm_log(name))))
            raise
        except (TypeError, KeyError):
            self.host.destroy(name)
            raise BenchError("domain %s is not in pvctl list right after its creation" % name)
        if bus == "xen" and path in PV_VARIANTS:
            self.check_backend(path, domid)
        return text, (self.pvdm_counters(name) if bus == "ide" else None)

    def check_backend(self, path, domid):
        """What pvblkback logged for DOMID's disk: its connection must be the one
        PATH asks for (queues, persistent grants), else the numbers would be
        another variant's. Kept for the JSON with the counts logged at removal."""
        def lines():
            try:
                with open(self.host.path("pvblkback.log")) as f:
                    text = f.read()
            except OSError:
                return None
            conn = [m for m in BACK_CONNECTED.finditer(text) if int(m.group(1)) == domid]
            gone = [m for m in BACK_REMOVED.finditer(text) if int(m.group(1)) == domid]
            return conn and gone and (conn[-1], gone[-1])
        try:
            conn, gone = wait_for(lines, 10, "pvblkback's lines for domain %d" % domid)
        except BenchError as e:
            raise BenchError("%s (in %s)" % (e, self.host.path("pvblkback.log")))
        queues, persistent = int(conn.group(3)), conn.group(5) is None
        _, want_q, want_p = PV_VARIANTS[path]
        if (queues, persistent) != (want_q, want_p):
            raise BenchError("asked for %d queue%s %s persistent grants, pvblkback connected "
                             "with %d %s them: %s" % (want_q, "s" if want_q > 1 else "",
                                                      "with" if want_p else "without", queues,
                                                      "with" if persistent else "without",
                                                      conn.group(0)))
        self.backend.setdefault(path, []).append({
            "queues": queues, "ring_pages": int(conn.group(4)), "persistent": persistent,
            "requests": int(gone.group(3)), "indirect": int(gone.group(4)),
            "errors": int(gone.group(5)), "persistent_evicted": int(gone.group(6))})

    def pvdm_log(self, name):
        try:
            with open(self.host.path("pvdm", name + ".log")) as f:
                return f.read()
        except OSError:
            return ""

    def pvdm_counters(self, name):
        """What pvdm logged when NAME's domain went (dom0/pvdm.c print_stats)."""
        def parsed():
            text = self.pvdm_log(name)
            m = PVDM_TOTAL.search(text)
            sec = PVDM_SECTORS.search(text)
            if not m or not sec:
                return None
            c = {"ioreqs": int(m.group(1)), "in": int(m.group(2)), "out": int(m.group(3)),
                 "accesses": int(m.group(4)), "malformed": int(m.group(5)),
                 "sectors_read": int(sec.group(1)), "sectors_written": int(sec.group(2))}
            c["by_group"] = {g: {"ioreqs": int(n), "accesses": int(k)}
                             for g, n, k in PVDM_GROUP.findall(text)}
            c["commands"] = {cmd: int(n) for cmd, n in PVDM_CMD.findall(text)}
            return c
        try:
            return wait_for(parsed, 5, "pvdm's counters")
        except BenchError:
            self.failed.setdefault("pvdm_counters", "pvdm logged no counters for %s; its log "
                                   "ends: %s" % (name, tail(self.pvdm_log(name))))
            return None

    def collect(self, path, direct, text, ops, sizes, qds):
        want = {(op, bs, qd) for op in ops.split(",") for bs in sizes for qd in qds}
        for m in LINE.finditer(text):
            op, bs, qd = m.group(1), int(m.group(2)), int(m.group(3))
            k = (path, direct, op, bs, qd)
            self.samples.setdefault(k, []).append(
                (int(m.group(4)), float(m.group(5)), int(m.group(6))))
            want.discard((op, bs, qd))
        for m in SKIPPED.finditer(text):
            c = (m.group(1), int(m.group(2)), int(m.group(3)))
            self.skipped_why[(path,) + c] = "blkbench skipped it: %s%s" % (m.group(4), m.group(5).rstrip())
            want.discard(c)
        if path in IDE_PATHS:       # an older blkbench ran them anyway or said nothing
            want = {c for c in want if c[2] == 1}
        if want:
            raise BenchError("no result for %s; output ends: %s"
                             % (", ".join("%s bs=%d qd=%d" % c for c in sorted(want)), tail(text)))

    # The two primitives.
    def exit_cost(self):
        """Median ns per trapped port read (pvos init=pio-bench), as a dict:
        "runner": an unclaimed port in a domain without a device model (trap,
        decode, resume: the exit itself); with an IDE disk, "device": the
        alternate status port (the round trip to pvdm) and "unclaimed_dm":
        the unclaimed port, which pvdm then answers too."""
        ide = any(p in self.a.paths and p not in self.failed for p in IDE_PATHS)
        got = {"runner": [], "device": [], "unclaimed_dm": []}
        for rep in range(self.a.repeats):
            say("pio-bench, repeat %d/%d%s" % (rep + 1, self.a.repeats,
                                               "" if ide else " (no IDE disk)"))
            try:
                text = self.host.run_to_poweroff("init=pio-bench", 120, GUEST_MIB)
                for port, _n, ns in PIO_LINE.findall(text):
                    if int(port, 16) != ALT_STATUS_PORT:
                        got["runner"].append(int(ns))
                if ide:
                    text = self.guest("ide-pio", "init=pio-bench", 120)[0]
                    for port, _n, ns in PIO_LINE.findall(text):
                        got["device" if int(port, 16) == ALT_STATUS_PORT
                            else "unclaimed_dm"].append(int(ns))
            except BenchError as e:
                self.failed["exit_cost"] = "pvos init=pio-bench: %s" % e
                break
        if not got["runner"] and "exit_cost" not in self.failed:
            self.failed["exit_cost"] = ("pvos init=pio-bench printed no result; console ends: %s"
                                        % tail(text))
        if ide and not got["device"] and "exit_cost" not in self.failed:
            self.failed["device_port"] = "pio-bench printed no line for port 0x3f6: %s" % tail(text)
        return {k: median(v) if v else None for k, v in got.items()}

    def evtchn_rtt(self):
        got = []
        for rep in range(self.a.repeats):
            say("event channel round trip with dom0, repeat %d/%d" % (rep + 1, self.a.repeats))
            try:
                got.append(evtchn_dom0_rtt_ns(self.host))
            except BenchError as e:
                self.failed["evtchn_rtt"] = str(e)
                return None
        return median(got)


def human_bs(bs):
    return "%d MiB" % (bs >> 20) if bs >= 1 << 20 else "%d KiB" % (bs >> 10)


def filesystem_of(path):
    """(mount point, type, device) of the file system PATH is on, from /proc/mounts."""
    best = ("", "unknown", "unknown")
    try:
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, fstype = line.split()[:3]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
                    best = (mnt, fstype, dev)
    except OSError:
        pass
    return best


def make_image(path, mib):
    """A fully written (not sparse) image of random data, so reads reach real blocks."""
    chunk = 1 << 20
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(chunk))
        f.flush()
        os.fsync(f.fileno())


# -- the report ---------------------------------------------------------------

def summarize(b):
    """The results list, the cells not applicable, the path states and the ratios."""
    results, na, paths = [], [], {}
    for path in b.a.paths:
        why = b.failed.get(path)
        paths[path] = {"available": why is None}
        if why:
            paths[path]["reason"] = why
    if "native" in b.a.paths and "native-cached" in b.failed:
        paths["native"]["page_cache_reason"] = b.failed["native-cached"]
    for path in b.a.paths:
        for direct in ((True, False) if path == "native" else (None,)):
            for op, bs, qd in CASES:
                s = b.samples.get((path, direct, op, bs, qd))
                if path in IDE_PATHS and qd > 1:
                    why = NO_QUEUE
                    if (path, op, bs, qd) in b.skipped_why:
                        why += " (%s)" % b.skipped_why[(path, op, bs, qd)]
                    na.append({"path": path, "workload": op, "bs": bs, "qd": qd, "reason": why})
                    continue
                if not s:
                    continue
                r = {"path": path, "workload": op, "bs": bs, "qd": qd,
                     "iops": median([x[0] for x in s]), "mib_s": median([x[1] for x in s]),
                     "lat_us_p50": median([x[2] for x in s]), "runs": len(s)}
                if direct is not None:
                    r["o_direct"] = direct
                ex = b.exits.get((path, op, bs, qd))
                if ex:
                    r["exits_per_io"] = round(median([x[0] for x in ex]), 2)
                    r["port_accesses_per_io"] = round(median([x[1] for x in ex]), 2)
                    r["pvdm_counters"] = ex[-1][3]
                results.append(r)
    return results, na, paths


def cell(results, path, op, bs, qd, o_direct=True):
    for r in results:
        if (r["path"], r["workload"], r["bs"], r["qd"]) == (path, op, bs, qd) and \
                r.get("o_direct", True) == o_direct:
            return r
    return None


# The ratio columns: (JSON key, numerator path, denominator path, table heading).
# pv over the other paths; each PV variant over pv.
RATIOS = (("pv_over_ide_pio", "pv", "ide-pio", "pv/pio"),
          ("pv_over_ide_dma", "pv", "ide-dma", "pv/dma"),
          ("pv_over_native", "pv", "native", "pv/native"),
          ("pv_nopersist_over_pv", "pv-nopersist", "pv", "np/pv"),
          ("pv_4q_over_pv", "pv-4q", "pv", "4q/pv"))
VARIANT_RATIOS = ("pv_nopersist_over_pv", "pv_4q_over_pv")


def ratios(results, paths):
    """Per case, the throughput ratios of RATIOS; the variants' only when
    the variant was run."""
    out = []
    for op, bs, qd in CASES:
        r = {"workload": op, "bs": bs, "qd": qd}
        for key, num, den, _ in RATIOS:
            if key in VARIANT_RATIOS and num not in paths:
                continue
            n, d = cell(results, num, op, bs, qd), cell(results, den, op, bs, qd)
            r[key] = round(n["mib_s"] / d["mib_s"], 4) if n and d and d["mib_s"] > 0 else None
        out.append(r)
    return out


def backend_summary(b):
    """Per PV path: the connection pvblkback logged, and its counts summed over the guests."""
    out = {}
    for path, runs in b.backend.items():
        first = runs[0]
        out[path] = {"queues": first["queues"], "ring_pages": first["ring_pages"],
                     "persistent": first["persistent"], "guests": len(runs)}
        for k in ("requests", "indirect", "errors", "persistent_evicted"):
            out[path][k] = sum(r[k] for r in runs)
    return out


def fmt(v, width, prec=1):
    if v is None:
        return "%*s" % (width, "-")
    return "%*.*f" % (width, prec if v < 1000 else 0, v)


def fmt_ratio(v, width):
    if v is None:
        return "%*s" % (width, "-")
    return "%*s" % (width, ("%.0fx" if v >= 100 else "%.2fx" if v < 10 else "%.1fx") % v)


def print_tables(b, results, na, paths, rat, extra):
    # The variant columns only when they were run, so the usual table keeps its shape.
    variants = [p for p in PV_PATHS[1:] if p in b.a.paths]
    cols = [(p, True) for p in ["pv"] + variants + ["ide-pio", "ide-dma", "native"]] + [("native", False)]
    heads = [{"pv-nopersist": "pv-np"}.get(p, p) for p, _ in cols[:-1]] + ["native$"]
    rcols = [x for x in RATIOS if x[0] not in VARIANT_RATIOS or x[1] in variants]
    nas = {(x["path"], x["workload"], x["bs"], x["qd"]) for x in na}
    out = sys.stdout

    def value(path, o_direct, op, bs, qd, key):
        if path not in b.a.paths:
            return " ", None
        if (path, op, bs, qd) in nas:
            return "n/a", None
        r = cell(results, path, op, bs, qd, o_direct)
        return ("", r[key]) if r else ("-", None)

    for title, key in (("throughput, MiB/s", "mib_s"), ("IOPS", "iops"),
                       ("latency p50, us (lower is better)", "lat_us_p50")):
        out.write("\n%s, median of %d runs of %d ms\n" % (title, b.a.repeats, b.a.runtime_ms))
        line = "%-22s" % "case" + "".join("%10s" % h for h in heads)
        if key == "mib_s":
            line += "  " + " ".join("%9s" % x[3] for x in rcols)
        out.write(line + "\n")
        for op, bs, qd in CASES:
            line = "%-22s" % ("%s %s qd %d" % (op, human_bs(bs), qd))
            for path, od in cols:
                mark, v = value(path, od, op, bs, qd, key)
                line += "%10s" % mark if mark else fmt(v, 10, 0 if key == "iops" else 1)
            if key == "mib_s":
                r = next(x for x in rat if (x["workload"], x["bs"], x["qd"]) == (op, bs, qd))
                line += "  " + " ".join(fmt_ratio(r[x[0]], 9) for x in rcols)
            out.write(line + "\n")
    ide = [p for p in IDE_PATHS if any(r["path"] == p and "exits_per_io" in r for r in results)]
    if ide:
        out.write("\nexits per I/O (trapped instructions pvdm served, from its counters), median\n")
        out.write("%-22s" % "case" + "".join("%10s%12s" % (p, "accesses") for p in ide) + "\n")
        for op, bs, qd in CASES:
            if qd > 1:
                continue
            line = "%-22s" % ("%s %s qd %d" % (op, human_bs(bs), qd))
            for p in ide:
                r = cell(results, p, op, bs, qd)
                line += fmt(r and r.get("exits_per_io"), 10) + fmt(r and r.get("port_accesses_per_io"), 12)
            out.write(line + "\n")
    out.write("\nnative = blk-native with O_DIRECT (as pvblkback opens the image); "
              "native$ = through the page cache.\nRatios are PV's throughput over the other "
              "path's: above 1, PV is faster.\n")
    if variants:
        out.write("pv-np = pv-nopersist (blk-persistent=0: grants mapped and unmapped per "
                  "request), pv-4q = blk-queues=4;\nnp/pv and 4q/pv are the variant's "
                  "throughput over pv's: above 1, the variant is faster.\n")
    be = backend_summary(b)
    if be:
        out.write("\npvblkback, summed over each path's guests (from its log)\n")
        for path, x in be.items():
            out.write("  %-13s %d queue%s of %d-page rings, %s persistent grants: %d requests, "
                      "%d indirect, %d errors, %d grants evicted\n"
                      % (path, x["queues"], "s" if x["queues"] > 1 else "", x["ring_pages"],
                         "with" if x["persistent"] else "without", x["requests"], x["indirect"],
                         x["errors"], x["persistent_evicted"]))
    if na:
        out.write("n/a: %s: %s.\n" % (", ".join(sorted({x["path"] for x in na})), na[0]["reason"]))
    out.write("\n")
    for k, v in extra:
        out.write("%-60s %s\n" % (k, v))
    for path, st in paths.items():
        if not st["available"]:
            out.write("NOT MEASURED: %s: %s\n" % (path, st["reason"]))
    for k in ("native-cached", "exit_cost", "device_port", "evtchn_rtt", "pvdm_counters", "plots"):
        if k in b.failed:
            out.write("NOT MEASURED: %s: %s\n" % (k, b.failed[k]))


PLOT = """set terminal %(term)s
set output '%(out)s'
set title "%(title)s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing 'NaN'
set logscale y
set yrange [%(ymin)g:*]
set grid ytics
set ylabel "%(ylabel)s"
set xtics rotate by -30 scale 0 font ",9"
set key outside right top
set lmargin 12
set bmargin 6
plot %(plots)s
"""


def plots(b, results, outdir):
    """throughput.{png,svg} and latency.{png,svg} in OUTDIR; None, or why it failed."""
    os.makedirs(outdir, exist_ok=True)
    series = [(p, True, p if p != "native" else "native (O_DIRECT)") for p in b.a.paths]
    if "native" in b.a.paths:
        series.append(("native", False, "native (page cache)"))
    for key, name, title, ylabel in (
            ("mib_s", "throughput", "pvbench: throughput per path (median)", "MiB/s, log scale"),
            ("lat_us_p50", "latency", "pvbench: median latency per path", "p50 latency, us, log scale")):
        dat = os.path.join(outdir, "pvbench-%s.dat" % name)
        shown = [max(r[key], 0.01) for r in results if any(
            r["path"] == p and r.get("o_direct", True) == od for p, od, _ in series)]
        # A decade below the smallest bar, so even that one shows on the log scale.
        ymin = 10 ** math.floor(math.log10(min(shown) / 2)) if shown else 0.1
        with open(dat, "w") as f:
            f.write("# case " + " ".join(s[2].replace(" ", "_") for s in series) + "\n")
            for op, bs, qd in CASES:
                vals = []
                for path, od, _ in series:
                    r = cell(results, path, op, bs, qd, od)
                    vals.append("%g" % max(r[key], 0.01) if r else "NaN")
                f.write('"%s %s qd%d" %s\n' % (op, human_bs(bs), qd, " ".join(vals)))
        pl = ", ".join("'%s' using %d%s title '%s'" % (dat if i == 0 else "", i + 2,
                                                         ":xtic(1)" if i == 0 else "", s[2])
                       for i, s in enumerate(series))
        for term, ext in (("pngcairo size 1200,650 noenhanced", "png"),
                          ("svg size 1200,650 dynamic noenhanced", "svg")):
            gp = os.path.join(outdir, "pvbench-%s-%s.gp" % (name, ext))
            with open(gp, "w") as f:
                f.write(PLOT % {"term": term, "out": os.path.join(outdir, "pvbench-%s.%s" % (name, ext)),
                                "title": title, "ylabel": ylabel, "plots": pl, "ymin": ymin})
            try:
                r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
            except OSError as e:
                return "gnuplot: %s (install gnuplot-nox)" % e
            if r.returncode != 0:
                return "gnuplot %s: %s" % (gp, r.stderr.strip())
    return None


# -- main --------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(prog="pvbench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="short cases, 2 repeats, a 32 MiB image: within 3 minutes on 2 cores")
    ap.add_argument("--paths",
                    help="a comma-separated subset of %s (default: all; with --quick %s)"
                    % (",".join(PATHS), ",".join(QUICK_PATHS)))
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    ap.add_argument("--plots", metavar="DIR", help="write PNG and SVG plots into DIR")
    ap.add_argument("--runtime", dest="runtime_ms", type=int, metavar="MS",
                    help="milliseconds per case (default %d, --quick %d)"
                    % (FULL["runtime_ms"], QUICK["runtime_ms"]))
    ap.add_argument("--repeats", type=int, metavar="N",
                    help="runs of every case; medians are reported (default %d, --quick %d)"
                    % (FULL["repeats"], QUICK["repeats"]))
    ap.add_argument("--image-mib", type=int, metavar="N",
                    help="size of the image file (default %d, --quick %d)"
                    % (FULL["image_mib"], QUICK["image_mib"]))
    ap.add_argument("--builddir", help="the build tree to use (default: the one this "
                    "copy belongs to, or ./build next to the source)")
    ap.add_argument("--no-build", action="store_true",
                    help="do not configure or make; fail if something is not built")
    a = ap.parse_args()
    preset = QUICK if a.quick else FULL
    for k, v in preset.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.paths is None:
        a.paths = ",".join(QUICK_PATHS if a.quick else PATHS)
    a.paths = [p.strip() for p in a.paths.split(",") if p.strip()]
    bad = [p for p in a.paths if p not in PATHS]
    if bad or not a.paths:
        ap.error("--paths takes a comma-separated subset of %s, not %r" % (",".join(PATHS), bad))
    a.paths = [p for p in PATHS if p in a.paths]
    if not 1 <= a.runtime_ms <= 60000:
        ap.error("--runtime must be 1..60000 ms")
    if not 1 <= a.repeats <= 100:
        ap.error("--repeats must be 1..100")
    if not 2 <= a.image_mib <= 65536:
        ap.error("--image-mib must be 2..65536 (the cases need at least 1 MiB)")
    return a


def check_ide(tools, a, b):
    """Mark the IDE paths unavailable up front when pvdm is not there."""
    if tools.pvdm and not os.access(tools.pvdm, os.X_OK):
        for p in IDE_PATHS:
            if p in a.paths:
                b.failed[p] = "the device model %s is not built" % tools.pvdm


def main():
    a = parse_args()
    if os.geteuid() != 0:
        sys.exit("pvbench: run as root (domains are sandboxed processes and the host "
                 "daemons need root)")
    mode, srcdir, builddir = locate(a)
    if mode == "build" and not a.no_build:
        build(srcdir, builddir)
    tools = tools_for(mode, builddir)
    missing = tools.missing(["blk-native", "evtchn-peer"])
    if missing:
        sys.exit("pvbench: not built: %s%s" % (", ".join(missing),
                 " (run make in %s)" % builddir if builddir else ""))
    desc = host_description()
    t_start = time.monotonic()
    try:
        with Host(tools, prefix="sv-pvbench.") as host:
            say("private host in %s (removed on exit)" % host.rundir)
            a.rundir = host.rundir
            a.image = host.path("pvbench.img")
            say("writing a %d MiB image of random data" % a.image_mib)
            make_image(a.image, a.image_mib)
            b = Bench(host, a)
            check_ide(tools, a, b)
            b.run_all()
            pio = b.exit_cost()
            rtt_ns = b.evtchn_rtt()
    except BenchError as e:
        sys.exit("pvbench: %s" % e)
    except KeyboardInterrupt:
        sys.exit("pvbench: interrupted; the private host is stopped and its run directory removed")
    results, na, paths = summarize(b)
    rat = ratios(results, paths)
    us = lambda ns: round(ns / 1000, 3) if ns is not None else None  # noqa: E731
    doc = {
        "tool": "pvbench", "format": 1,
        "host": dict(desc, loadavg_after=list(os.getloadavg()),
                     image_fs=dict(zip(("mount", "type", "device"), filesystem_of(a.rundir)))),
        "settings": {"quick": a.quick, "paths": a.paths, "runtime_ms": a.runtime_ms,
                     "repeats": a.repeats, "image_mib": a.image_mib, "guest_mib": GUEST_MIB,
                     "statistic": "median over repeats of each run's figures",
                     "rundir": a.rundir,
                     "wall_s": round(time.monotonic() - t_start, 1)},
        "paths": paths,
        "results": results,
        "not_applicable": na,
        "ratios": rat,
        "pv_backend": backend_summary(b),
        "exit_cost_us": us(pio["runner"]),
        "device_port_us": us(pio["device"]),
        "unclaimed_port_with_pvdm_us": us(pio["unclaimed_dm"]),
        "evtchn_rtt_us": us(rtt_ns),
        "not_measured": dict(b.failed),
    }
    if a.plots:
        why = plots(b, results, a.plots)
        if why:
            b.failed["plots"] = why
    show = lambda v: "-" if v is None else "%.2f us" % v  # noqa: E731
    extra = [("one trapped port read, no device model (runner only)", show(doc["exit_cost_us"])),
             ("one trapped port read, IDE alt status (round trip to pvdm)", show(doc["device_port_us"])),
             ("one trapped port read, unclaimed, answered by pvdm", show(doc["unclaimed_port_with_pvdm_us"])),
             ("one event channel round trip with dom0", show(doc["evtchn_rtt_us"]))]
    print_tables(b, results, na, paths, rat, extra)
    doc["not_measured"] = dict(b.failed)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    sys.exit(3 if b.failed else 0)


if __name__ == "__main__":
    main()
