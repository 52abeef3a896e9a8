#!/usr/bin/env python3
"""hvbench: what the hypervisor's own paths cost, as ratios measured in one run.

  null hypercall   pvos init=hcall-bench (a xen_version round trip through
                   pvhv), against ipc-rtt: the host's own round trip over
                   the same socket type with the same message sizes.
  create to first  from `pvctl create` to the guest's first console line,
  console line     against fork+exec+wait of /bin/true on the same host.
  primitives       pvos init=prim-bench: an event channel round trip inside
                   the guest and with dom0 (bench/evtchn-peer), blocking and
                   with a 50 us poll before sleeping, grant map+unmap of 1
                   and 32 pages, a 4 KiB grant copy; against the host's own
                   eventfd round trip between two processes.

Every figure is a median over repeated runs; the machine is noisy, so
compare ratios, not absolute numbers. Usage (root, from a build tree):

  bench/hvbench.py [--builddir build] [--runs 5] [--json FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svbench import DOM0_RTT, BenchError, Host, Tools, evtchn_dom0_rtt_ns, parse, prim_run, sh  # noqa: E402


def null_hypercall(host, runs):
    guest, native = [], []
    rtt = host.tools.helper("ipc-rtt")
    for _ in range(runs):
        out = host.run_to_poweroff("init=hcall-bench count=20000")
        guest.append(parse(r"hcall-bench: n=\d+ median_ns=(\d+)", out))
        native.append(parse(r"median_ns=(\d+)", sh(rtt, "20000")))
    return statistics.median(guest), statistics.median(native)


def first_line(host, name, path):
    log = host.log(name)
    t0 = time.perf_counter()
    host.ctl("create", path)
    while True:
        try:
            with open(log) as f:
                if "pvos " in f.read():
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.0002)
    t = time.perf_counter() - t0
    host.ctl("destroy", name)
    return t


def primitives(host, runs):
    keys = ["evtchn-loopback-rtt", "gnt-map-unmap-1", "gnt-map-unmap-32", "gnt-copy-4k"]
    got = {k: [] for k in keys + ["evtchn-dom0-rtt-0", "evtchn-dom0-rtt-50", "evtchn-dom0-rtt-pvhv",
                                   "host-eventfd-rtt"]}
    rtt = host.tools.helper("ipc-rtt")
    for _ in range(runs):
        for poll in (0, 50):
            out = prim_run(host, poll)
            for k in keys:
                got[k].append(parse(r"prim-bench: %s median_ns=(\d+)" % k, out))
            got["evtchn-dom0-rtt-%d" % poll].append(parse(DOM0_RTT, out))
        got["evtchn-dom0-rtt-pvhv"].append(evtchn_dom0_rtt_ns(host, 0, via_pvhv=True))
        got["host-eventfd-rtt"].append(parse(r"median_ns=(\d+)", sh(rtt, "--eventfd", "20000")))
    return {k: statistics.median(v) / 1000 for k, v in got.items()}


def create_to_console(host, runs):
    guest, native = [], []
    for _ in range(runs * 4):
        name, path = host.xml("init=idle")
        guest.append(first_line(host, name, path))
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"])
        native.append(time.perf_counter() - t0)
    return statistics.median(guest), statistics.median(native)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builddir", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hvbench: run as root")
    tools = Tools.build_tree(a.builddir)
    missing = tools.missing(["ipc-rtt", "evtchn-peer"])
    if missing:
        sys.exit("hvbench: not built: %s (run make in %s)" % (", ".join(missing), a.builddir))
    try:
        with Host(tools) as host:
            print("measuring null hypercalls (%d runs)..." % a.runs, file=sys.stderr)
            hc, ipc = null_hypercall(host, a.runs)
            print("measuring create to first console line (%d runs)..." % (a.runs * 4), file=sys.stderr)
            cr, fe = create_to_console(host, a.runs)
            print("measuring event channels and grants (%d runs)..." % a.runs, file=sys.stderr)
            pr = primitives(host, a.runs)
    except BenchError as e:
        sys.exit("hvbench: %s" % e)
    rows = [
        ("null hypercall round trip", hc / 1000, "host seqpacket round trip", ipc / 1000, "us"),
        ("create to first console line", cr * 1000, "fork+exec+wait /bin/true", fe * 1000, "ms"),
    ]
    ev = pr["host-eventfd-rtt"]
    rows += [
        ("evtchn round trip, in guest", pr["evtchn-loopback-rtt"], "host eventfd round trip", ev, "us"),
        ("evtchn round trip, dom0", pr["evtchn-dom0-rtt-0"], "host eventfd round trip", ev, "us"),
        ("  ... dom0 kicks via pvhv", pr["evtchn-dom0-rtt-pvhv"], "host eventfd round trip", ev, "us"),
        ("  ... 50 us poll first", pr["evtchn-dom0-rtt-50"], "host eventfd round trip", ev, "us"),
        ("grant map+unmap, 1 page", pr["gnt-map-unmap-1"], "null hypercall", hc / 1000, "us"),
        ("grant map+unmap, 32 pages", pr["gnt-map-unmap-32"], "null hypercall", hc / 1000, "us"),
        ("grant copy 4 KiB", pr["gnt-copy-4k"], "null hypercall", hc / 1000, "us"),
    ]
    print("%-30s %12s   %-28s %12s %8s" % ("measure", "median", "baseline", "median", "ratio"))
    for what, v, base, b, unit in rows:
        print("%-30s %9.1f %-2s   %-28s %9.1f %-2s %7.2fx" % (what, v, unit, base, b, unit, v / b))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"null_hypercall_us": hc / 1000, "host_ipc_rtt_us": ipc / 1000,
                       "create_to_console_ms": cr * 1000, "fork_exec_ms": fe * 1000,
                       "primitives_us": pr, "runs": a.runs}, f, indent=2)


if __name__ == "__main__":
    main()
