#!/bin/bash
# pvbench --quick end to end, with even shorter cases: it runs every path
# (the PV variants too), and its JSON has the promised shape (every path
# measured or marked unavailable with a reason, every field present and
# numeric, the ratios computed from the medians, each PV variant connected
# as it asked); its private host is gone afterwards, also when it is
# stopped by SIGTERM halfway. Never checks a speed. First, blk-native's
# argument checks and output format.
. "$SV_SRCDIR/tests/integration/lib.sh"

NATIVE="$SV_BUILDDIR/bench/blk-native"
PVBENCH="$SV_BUILDDIR/bench/pvbench"

# rejects DESCRIPTION ARGS...: blk-native exits 2 with a message naming the problem.
rejects() {
	local what=$1 rc
	shift
	"$NATIVE" "$@" >"$RUNDIR/native.out" 2>"$RUNDIR/native.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "^blk-native: " "$RUNDIR/native.err" &&
		grep -q "^usage: blk-native" "$RUNDIR/native.err"; then
		pass "blk-native rejects $what"
	else
		fail "blk-native rejects $what (exit $rc: $(head -n 1 "$RUNDIR/native.err"))"
	fi
}

img="$RUNDIR/small.img"
head -c $((2 * 1024 * 1024)) /dev/urandom > "$img"
rejects "a block size that is not a multiple of 512" --bs 1000 "$img"
rejects "a block size above 1 MiB" --bs 2097152 "$img"
rejects "a block size below 512" --bs 0 "$img"
rejects "a trailing comma" --bs 4096, "$img"
rejects "more than 8 sizes" --bs 512,1024,1536,2048,2560,3072,3584,4096,4608 "$img"
rejects "queue depth 0" --qd 0 "$img"
rejects "queue depth 33" --qd 33 "$img"
rejects "a huge number" --qd 99999999999999999999999 "$img"
rejects "--ms 0" --ms 0 "$img"
rejects "--ms 60001" --ms 60001 "$img"
rejects "--ms with letters" --ms 5x "$img"
rejects "an unknown op" --ops seqread,fooread "$img"
rejects "an empty op list" --ops "" "$img"
rejects "an unknown option" --frobnicate "$img"
rejects "no file" --ms 5
rejects "two files" "$img" "$img"
"$NATIVE" --ms 5 "$RUNDIR/no-such.img" >/dev/null 2>"$RUNDIR/native.err"
check "a missing file is an I/O error (exit 1) naming it" \
	test "$?" = 1 -a -n "$(grep -F "no-such.img" "$RUNDIR/native.err")"

"$NATIVE" --ms 5 --bs 4096,1048576 --qd 1,4 --seed 7 "$img" > "$RUNDIR/native.out"
check "blk-native runs" test "$?" = 0
check "it prints one line per case in blkbench's format" test "$(grep -cE \
	'^blk-native: op=(seq|rand)(read|write) bs=(4096|1048576) qd=(1|4) iops=[0-9]+ mib_s=[0-9]+\.[0-9] lat_us_p50=[0-9]+$' \
	"$RUNDIR/native.out")" = 16
check "and says when it is done" grep -qx "blk-native: done" "$RUNDIR/native.out"
head -c 4096 /dev/urandom > "$RUNDIR/tiny.img"
"$NATIVE" --ms 5 --bs 4096,65536 --qd 1 --ops seqread "$RUNDIR/tiny.img" > "$RUNDIR/native.out"
check "cases bigger than the file are left out, as blkbench does" \
	test "$(grep -c "op=seqread" "$RUNDIR/native.out")" = 1

# The whole harness, as short as it goes, with the PV variants that only
# the full run has by default. Exit 0: everything measured; 3: something
# was not available, which the JSON must then explain.
json="$RUNDIR/pvbench.json"
"$PVBENCH" --quick --no-build --runtime 40 --repeats 1 --image-mib 4 --json "$json" \
	--paths pv,pv-nopersist,pv-4q,ide-pio,ide-dma,native \
	--plots "$RUNDIR/plots" > "$RUNDIR/pvbench.out" 2> "$RUNDIR/pvbench.err"
rc=$?
check "pvbench --quick finishes with 0 or 3 (exit $rc)" test "$rc" = 0 -o "$rc" = 3
check "it showed its progress" grep -q '^pvbench: \[1/[0-9]*\] repeat 1/1, pv' "$RUNDIR/pvbench.err"
check "the table has the ratio columns" \
	grep -qE 'pv/pio +pv/dma +pv/native +np/pv +4q/pv' "$RUNDIR/pvbench.out"
check "and the variants' columns" grep -qE '^case +pv +pv-np +pv-4q +ide-pio' "$RUNDIR/pvbench.out"
"$PVBENCH" --quick --no-build --paths pv,ide-dma,foo >/dev/null 2>"$RUNDIR/paths.err"
check "an unknown path is bad usage (exit 2)" test "$?" = 2
check "and the message lists the paths" grep -q "pv,pv-nopersist,pv-4q,ide-pio,ide-dma,native" \
	"$RUNDIR/paths.err"

python3 - "$json" "$rc" "$SV_BUILDDIR" > "$RUNDIR/shape.out" 2>&1 <<'PY'
import json, math, os, sys

doc = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
problems = []

def need(cond, what):
    if not cond:
        problems.append(what)

def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0

PATHS = ["pv", "pv-nopersist", "pv-4q", "ide-pio", "ide-dma", "native"]
PV_PATHS = {"pv": (1, True), "pv-nopersist": (1, False), "pv-4q": (4, True)}
CASES = [(op, bs, 1) for op in ("seqread", "seqwrite") for bs in (4096, 65536, 1048576)] + \
        [(op, 4096, qd) for op in ("randread", "randwrite") for qd in (1, 32)]
for k in ("results", "exit_cost_us", "evtchn_rtt_us", "device_port_us", "host", "settings",
          "paths", "ratios", "not_applicable", "not_measured"):
    need(k in doc, "top-level field %s" % k)
need(set(doc["paths"]) == set(PATHS), "every path is listed: %s" % sorted(doc["paths"]))
for p, st in doc["paths"].items():
    need(isinstance(st.get("available"), bool), "%s says whether it is available" % p)
    if not st.get("available"):
        need(isinstance(st.get("reason"), str) and st["reason"], "%s says why not" % p)
        need(doc["not_measured"].get(p) == st.get("reason"), "%s is in not_measured" % p)
for p in ("pv", "pv-nopersist", "pv-4q", "native"):
    need(doc["paths"][p]["available"], "%s is available (it needs nothing that may be missing)" % p)
need(doc["settings"]["paths"] == PATHS, "settings lists the paths run: %s" % doc["settings"]["paths"])
# What pvblkback logged for each PV path: the connection the variant asks for.
for p, (queues, persistent) in PV_PATHS.items():
    be = doc.get("pv_backend", {}).get(p)
    need(be is not None, "pv_backend has %s" % p)
    if be:
        need(be.get("queues") == queues and be.get("persistent") is persistent,
             "%s connected with %d queue(s), persistent %s: %s" % (p, queues, persistent, be))
        need(be.get("guests") == 2 and be.get("errors") == 0 and number(be.get("requests"))
             and be["requests"] > 0, "%s: two guests, requests and no errors: %s" % (p, be))
for r in doc["results"]:
    for k in ("path", "workload", "bs", "qd", "iops", "mib_s", "lat_us_p50"):
        need(k in r, "result field %s in %s" % (k, r))
    need(r["path"] in PATHS, "path %r" % r["path"])
    need((r["workload"], r["bs"], r["qd"]) in CASES, "case %s" % r)
    for k in ("iops", "mib_s", "lat_us_p50"):
        need(number(r.get(k)), "%s numeric in %s" % (k, r))
    need((r["path"] == "native") == ("o_direct" in r), "o_direct on native rows only: %s" % r)
na = {(x["path"], x["workload"], x["bs"], x["qd"]): x for x in doc["not_applicable"]}
for p in PATHS:
    for direct in ([True, False] if p == "native" else [None]):
        for op, bs, qd in CASES:
            got = [r for r in doc["results"] if (r["path"], r["workload"], r["bs"], r["qd"]) ==
                   (p, op, bs, qd) and r.get("o_direct") == direct]
            if p.startswith("ide") and qd > 1:
                need(not got and na.get((p, op, bs, qd), {}).get("reason"),
                     "%s %s qd %d is not applicable, with a reason" % (p, op, qd))
            elif doc["paths"][p]["available"]:
                need(len(got) == 1, "one result for %s %s %s bs=%d qd=%d" % (p, direct, op, bs, qd))
def mib(p, op, bs, qd):
    for r in doc["results"]:
        if (r["path"], r["workload"], r["bs"], r["qd"]) == (p, op, bs, qd) and r.get("o_direct", True):
            return r["mib_s"]
need(len(doc["ratios"]) == len(CASES), "one ratio row per case")
RATIOS = [("pv_over_ide_pio", "pv", "ide-pio"), ("pv_over_ide_dma", "pv", "ide-dma"),
          ("pv_over_native", "pv", "native"), ("pv_nopersist_over_pv", "pv-nopersist", "pv"),
          ("pv_4q_over_pv", "pv-4q", "pv")]
for x in doc["ratios"]:
    for key, num, den in RATIOS:
        need(key in x, "%s in %s" % (key, x))
        if key not in x:
            continue
        n, d = mib(num, x["workload"], x["bs"], x["qd"]), mib(den, x["workload"], x["bs"], x["qd"])
        if n is not None and d:
            need(number(x[key]) and abs(x[key] - n / d) <= 1e-3 * max(1, n / d),
                 "%s = %s/%s for %s" % (key, num, den, x))
        else:
            need(x[key] is None, "%s is null without both numbers: %s" % (key, x))
for k in ("exit_cost_us", "evtchn_rtt_us"):
    name = k[:-3]
    need(number(doc[k]) or (doc[k] is None and doc["not_measured"].get(name)),
         "%s numeric, or not_measured says why" % k)
need(number(doc["evtchn_rtt_us"]), "the event channel round trip was measured")
need((rc == 0) == (not doc["not_measured"]), "exit status %d agrees with not_measured %s"
     % (rc, list(doc["not_measured"])))
need(number(doc["settings"].get("repeats")) and number(doc["settings"].get("runtime_ms")),
     "settings recorded")
need(isinstance(doc["host"].get("nproc"), int) and doc["host"].get("uname"), "host described")
need(not os.path.exists(doc["settings"]["rundir"]), "the private run directory is gone")
# Once the device model is built, the IDE paths have to work.
if os.access(os.path.join(sys.argv[3], "dom0", "pvdm"), os.X_OK):
    for p in ("ide-pio", "ide-dma"):
        need(doc["paths"][p]["available"], "%s available with pvdm built: %s"
             % (p, doc["paths"][p].get("reason")))
    need(number(doc["exit_cost_us"]) and number(doc["device_port_us"]),
         "both port access costs measured with pvdm built")
for p in problems:
    print("shape:", p)
sys.exit(1 if problems else 0)
PY
check "the JSON has the promised shape" test "$?" = 0
cat "$RUNDIR/shape.out"
if command -v gnuplot >/dev/null; then
	for f in throughput latency; do
		check "plot $f.png" test -s "$RUNDIR/plots/pvbench-$f.png"
		check "plot $f.svg" grep -q "<svg" "$RUNDIR/plots/pvbench-$f.svg"
	done
fi

# SIGTERM halfway: the private host goes away with it.
"$PVBENCH" --quick --no-build --runtime 2000 --repeats 3 --image-mib 4 --paths pv \
	> /dev/null 2> "$RUNDIR/term.err" &
pid=$!
wait_until 120 grep -q '^pvbench: \[1/' "$RUNDIR/term.err"
check "a second pvbench got going" test "$?" = 0
dir=$(sed -n 's/^pvbench: private host in \(.*\) (removed on exit)$/\1/p' "$RUNDIR/term.err")
check "it named its private run directory" test -n "$dir" -a -d "$dir"
hvpid=$(cat "$dir/pvhv.pid" 2>/dev/null)
check "its pvhv runs" test -n "$hvpid" -a -d "/proc/$hvpid"
its_runner() { [ "$(runners "$dir")" -gt 0 ]; }
check "a guest of it runs" wait_until 120 its_runner
kill -TERM "$pid"
wait "$pid"
rc=$?
check "stopped by SIGTERM, it exits non-zero ($rc)" test "$rc" != 0
check "its run directory is removed" test ! -e "$dir"
check "no runner of it is left" test "$(runners "$dir")" = 0
check "its pvhv is gone" test ! -d "/proc/$hvpid"

finish
