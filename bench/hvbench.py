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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


class Host:
    def __init__(self, builddir):
        self.pvctl = os.path.join(builddir, "dom0", "pvctl")
        self.kernel = os.path.join(builddir, "pvfront", "pvos")
        self.rundir = tempfile.mkdtemp(prefix="sv-bench.")
        self.env = dict(os.environ, SPLITVISOR_RUNDIR=self.rundir)
        self.n = 0

    def __enter__(self):
        self.ctl("host", "start")
        return self

    def __exit__(self, *exc):
        subprocess.run([self.pvctl, "host", "stop"], env=self.env, capture_output=True)
        shutil.rmtree(self.rundir, ignore_errors=True)

    def ctl(self, *args):
        return sh(self.pvctl, *args, env=self.env)

    def xml(self, cmdline):
        self.n += 1
        name = "bench%d" % self.n
        path = os.path.join(self.rundir, name + ".xml")
        with open(path, "w") as f:
            f.write("""<domain type='xen'><name>%s</name><memory unit='MiB'>16</memory>
<os><type>linux</type><kernel>%s</kernel><cmdline>%s</cmdline></os>
<on_poweroff>preserve</on_poweroff></domain>""" % (name, self.kernel, cmdline))
        return name, path

    def log(self, name):
        return os.path.join(self.rundir, "console", name + ".log")

    def run_to_poweroff(self, cmdline, limit=60):
        name, path = self.xml(cmdline)
        self.ctl("create", path)
        return self.run_to_poweroff_existing(name, limit)

    def run_to_poweroff_existing(self, name, limit=60):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            doms = {d["name"]: d for d in json.loads(self.ctl("list", "--json"))}
            if doms[name]["state"] != "running":
                break
            time.sleep(0.05)
        with open(self.log(name)) as f:
            out = f.read()
        self.ctl("destroy", name)
        return out


def parse(line_re, text):
    m = re.search(line_re, text)
    if not m:
        sys.exit("hvbench: no result line matching %r in:\n%s" % (line_re, text))
    return int(m.group(1))


def null_hypercall(host, builddir, runs):
    guest, native = [], []
    rtt = os.path.join(builddir, "bench", "ipc-rtt")
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


def wait_for(pred, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    sys.exit("hvbench: timed out")


def prim_run(host, builddir, poll_us, via_pvhv=False):
    name, path = host.xml("init=prim-bench peer=dom0 poll_us=%d" % poll_us)
    host.ctl("create", path)

    def port():
        try:
            with open(host.log(name)) as f:
                m = re.search(r"prim-bench: peer-port (\d+)", f.read())
                return m and m.group(1)
        except FileNotFoundError:
            return None
    p = wait_for(port)
    domid = str(next(d["domid"] for d in json.loads(host.ctl("list", "--json")) if d["name"] == name))
    subprocess.run([os.path.join(builddir, "bench", "evtchn-peer"), "--rundir", host.rundir,
                    "--domid", domid, "--port", p, "--count", "2100", "--poll-us", str(poll_us)]
                   + (["--via-pvhv"] if via_pvhv else []),
                   check=True, env=host.env)
    return host.run_to_poweroff_existing(name)


def primitives(host, builddir, runs):
    keys = ["evtchn-loopback-rtt", "gnt-map-unmap-1", "gnt-map-unmap-32", "gnt-copy-4k"]
    got = {k: [] for k in keys + ["evtchn-dom0-rtt-0", "evtchn-dom0-rtt-50", "evtchn-dom0-rtt-pvhv",
                                   "host-eventfd-rtt"]}
    rtt = os.path.join(builddir, "bench", "ipc-rtt")
    for _ in range(runs):
        for poll in (0, 50):
            out = prim_run(host, builddir, poll)
            for k in keys:
                got[k].append(parse(r"prim-bench: %s median_ns=(\d+)" % k, out))
            got["evtchn-dom0-rtt-%d" % poll].append(parse(r"evtchn-dom0-rtt poll_us=\d+ median_ns=(\d+)", out))
        out = prim_run(host, builddir, 0, via_pvhv=True)
        got["evtchn-dom0-rtt-pvhv"].append(parse(r"evtchn-dom0-rtt poll_us=\d+ median_ns=(\d+)", out))
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
    builddir = os.path.abspath(a.builddir)
    with Host(builddir) as host:
        print("measuring null hypercalls (%d runs)..." % a.runs, file=sys.stderr)
        hc, ipc = null_hypercall(host, builddir, a.runs)
        print("measuring create to first console line (%d runs)..." % (a.runs * 4), file=sys.stderr)
        cr, fe = create_to_console(host, a.runs)
        print("measuring event channels and grants (%d runs)..." % a.runs, file=sys.stderr)
        pr = primitives(host, builddir, a.runs)
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
