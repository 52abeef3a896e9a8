"""svbench: what Splitvisor's benchmarks share.

Finding the programs (a build tree or an installed copy), a private host
(pvctl host start in a run directory of its own, never /run/splitvisor,
taken down again on any exit), guests booted from a domain XML written
on the fly and run until they stop, parsing their console lines, and the
event channel round trip with dom0 (pvos init=prim-bench answered by
bench/evtchn-peer). Used by hvbench.py and pvbench.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time


class BenchError(Exception):
    """A measurement that could not be made; the message says why."""


def sh(*args, **kw):
    """Run a command; its stdout, or BenchError with its stderr."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise BenchError("%s failed (exit %d): %s" % (
            " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(args)),
            r.returncode, (r.stderr or r.stdout).strip()))
    return r.stdout


def median(values):
    return statistics.median(values)


class Tools:
    """Where the programs are: a build tree, or the installed directories."""

    def __init__(self, pvctl, kernel, helpers, pvdm):
        self.pvctl = pvctl
        self.kernel = kernel
        self.helpers = helpers      # directory of blk-native, evtchn-peer, ipc-rtt
        self.pvdm = pvdm            # the device model, which pvctl starts itself

    @classmethod
    def build_tree(cls, builddir):
        b = os.path.abspath(builddir)
        return cls(os.path.join(b, "dom0", "pvctl"), os.path.join(b, "pvfront", "pvos"),
                   os.path.join(b, "bench"), os.path.join(b, "dom0", "pvdm"))

    def helper(self, name):
        return os.path.join(self.helpers, name)

    def missing(self, names=()):
        """The programs among pvctl, the kernel and NAMES that are not there."""
        want = [self.pvctl, self.kernel] + [self.helper(n) for n in names]
        return [p for p in want if not os.access(p, os.R_OK)]


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


class Host:
    """A private host: all daemons in a run directory of our own.

    Use as a context manager; leaving it (normally, by an exception, by
    Ctrl-C or SIGTERM/SIGHUP) stops the daemons, kills any runner of this
    run directory that is left and removes the directory.
    """

    def __init__(self, tools, prefix="sv-bench."):
        self.tools = tools
        self.rundir = tempfile.mkdtemp(prefix=prefix)
        self.env = dict(os.environ, SPLITVISOR_RUNDIR=self.rundir)
        self.n = 0
        self.old = {}

    def __enter__(self):
        for s in (signal.SIGTERM, signal.SIGHUP):
            self.old[s] = signal.signal(s, _on_signal)
        try:
            self.ctl("host", "start")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        # A second Ctrl-C while we clean up must not leave daemons behind.
        prev = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            subprocess.run([self.tools.pvctl, "host", "stop"], env=self.env,
                           capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill_runners()
        shutil.rmtree(self.rundir, ignore_errors=True)
        signal.signal(signal.SIGINT, prev)
        for s, h in self.old.items():
            signal.signal(s, h)
        self.old = {}

    def kill_runners(self):
        """SIGKILL the vCPU runners confined to this run directory, if any survived."""
        # A runner's command line names no path (its guest could read it);
        # its root directory does.
        root = "%s/empty" % self.rundir
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    comm = f.read().strip()
                link = os.readlink("/proc/%s/root" % pid)
            except OSError:
                continue
            if comm == "pvhv-runner" and link in (root, root + " (deleted)"):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def ctl(self, *args):
        return sh(self.tools.pvctl, *args, env=self.env)

    def path(self, *parts):
        return os.path.join(self.rundir, *parts)

    def xml(self, cmdline, memory_mib=16, devices="", name=None):
        """Write a domain XML for pvos with CMDLINE; returns (name, path)."""
        self.n += 1
        name = name or "bench%d" % self.n
        path = self.path(name + ".xml")
        with open(path, "w") as f:
            f.write("""<domain type='xen'><name>%s</name><memory unit='MiB'>%d</memory>
<os><type>linux</type><kernel>%s</kernel><cmdline>%s</cmdline></os>
<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>%s</domain>"""
                    % (name, memory_mib, self.tools.kernel, cmdline,
                       "<devices>%s</devices>" % devices if devices else ""))
        return name, path

    def log(self, name):
        return self.path("console", name + ".log")

    def console(self, name):
        try:
            with open(self.log(name)) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def domain(self, name):
        for d in json.loads(self.ctl("list", "--json")):
            if d["name"] == name:
                return d
        return None

    def wait_stopped(self, name, limit):
        """Wait until NAME is no longer running; its list entry, or BenchError."""
        deadline = time.monotonic() + limit
        while True:
            d = self.domain(name)
            if d is None:
                raise BenchError("domain %s vanished" % name)
            if d["state"] != "running":
                return d
            if time.monotonic() > deadline:
                raise BenchError("domain %s still running after %d s; console ends: %s"
                                 % (name, limit, tail(self.console(name))))
            time.sleep(0.05)

    def destroy(self, name):
        subprocess.run([self.tools.pvctl, "destroy", name], env=self.env, capture_output=True)

    def run_to_poweroff(self, cmdline, limit=60, memory_mib=16, devices=""):
        name, path = self.xml(cmdline, memory_mib, devices)
        self.ctl("create", path)
        return self.finish(name, limit)

    def finish(self, name, limit=60):
        """Wait for NAME to power off; its console text. BenchError if it crashed."""
        try:
            d = self.wait_stopped(name, limit)
            out = self.console(name)
        finally:
            self.destroy(name)
        if d.get("reason") not in (None, "poweroff"):
            raise BenchError("domain %s stopped with reason %s; console ends: %s"
                             % (name, d.get("reason"), tail(out)))
        return out


def tail(text, lines=4):
    t = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(t[-lines:]) if t else "(empty)"


def parse(line_re, text):
    """The first group of LINE_RE in TEXT as an int, or BenchError."""
    m = re.search(line_re, text)
    if not m:
        raise BenchError("no line matching %r; console ends: %s" % (line_re, tail(text)))
    return int(m.group(1))


def wait_for(pred, limit=60, what="a result"):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise BenchError("timed out after %d s waiting for %s" % (limit, what))


def prim_run(host, poll_us=0, via_pvhv=False):
    """Boot init=prim-bench peer=dom0 and answer its round trips with
    evtchn-peer until the guest powers off; the guest's console text.

    The peer is stopped when the guest is done rather than after a count,
    so it never waits out its 30 s of silence for events that will not
    come, whatever number of rounds the guest makes."""
    name, path = host.xml("init=prim-bench peer=dom0 poll_us=%d" % poll_us)
    host.ctl("create", path)
    peer = None
    try:
        def port():
            m = re.search(r"prim-bench: peer-port (\d+)", host.console(name))
            return m and m.group(1)
        p = wait_for(port, what="prim-bench's peer port")
        domid = str(host.domain(name)["domid"])
        peer = subprocess.Popen(
            [host.tools.helper("evtchn-peer"), "--rundir", host.rundir, "--domid", domid,
             "--port", p, "--count", "4000000000", "--poll-us", str(poll_us)]
            + (["--via-pvhv"] if via_pvhv else []),
            env=host.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            return host.finish(name, limit=120)
        except BenchError as e:
            peer.terminate()
            raise BenchError("%s; evtchn-peer said: %s" % (e, peer.communicate()[1].strip() or "nothing"))
    except BaseException:
        host.destroy(name)
        raise
    finally:
        if peer and peer.poll() is None:
            peer.terminate()
        if peer:
            peer.communicate()


DOM0_RTT = r"evtchn-dom0-rtt poll_us=\d+ median_ns=(\d+)"


def evtchn_dom0_rtt_ns(host, poll_us=0, via_pvhv=False):
    """One guest's median event channel round trip with dom0, in ns."""
    return parse(DOM0_RTT, prim_run(host, poll_us, via_pvhv))


def host_description():
    """What the machine is, for a results file: CPU, cores, memory, kernel, OS, load."""
    d = {"uname": " ".join(os.uname()), "nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
        d["cpu_model"] = m.group(1).strip() if m else "unknown"
        flags = re.search(r"^flags\s*:\s*(.*)$", info, re.M)
        d["cpu_is_virtual"] = bool(flags and " hypervisor" in " " + flags.group(1))
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s*(\d+) kB", f.read())
        d["mem_total_mib"] = int(m.group(1)) // 1024 if m else None
    except OSError:
        pass
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
        d["os"] = m.group(1) if m else None
    except OSError:
        pass
    d["loadavg"] = list(os.getloadavg())
    return d
