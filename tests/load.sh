#!/bin/bash
# load.sh: many pvos guests at once (LOAD_GUESTS, default 200), each of
# 16 MiB with a PV disk of its own (init=blk-idle: it reads its whole
# disk, prints the SHA-256, and stays up with the disk connected). All
# are created one after the other, all must boot and read their disk
# right, all are listed running, all are destroyed; then nothing may be
# left: no runner, no XenStore node, no descriptor or thread in the
# daemons beyond what they had before, the whole memory budget.
#
# Prints how long each create took against how many guests were already
# running ("# load: running=N create_ms=T"), and a summary by groups of
# 25; LOAD_CSV=FILE also writes them as CSV (docs/benchmarks.md). The
# times are reported, never judged. Not part of make check (it takes a
# few minutes): make check-load, or through make check TESTS=tests/load.sh.
. "$SV_SRCDIR/tests/integration/lib.sh"

command -v xenstore-ls >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
N=${LOAD_GUESTS:-200}
MEM_MIB=16
start_host --mem-budget "$((N * MEM_MIB + 64))M"

daemons="pvhv pvxenstored pvconsoled pvblkback"
threads() { awk '/^Threads:/ { print $2 }' "/proc/$(cat "$RUNDIR/$1.pid")/status"; }
used_kib() { "$PVCTL" info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["used_kib"])'; }
count_state() { "$PVCTL" list --json | python3 -c 'import json,sys; print(sum(d["state"] == sys.argv[1] for d in json.load(sys.stdin)))' "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

declare -A fds0 threads0
for d in $daemons; do fds0[$d]=$(daemon_fds "$d"); threads0[$d]=$(threads "$d"); done

declare -a sha
for i in $(seq "$N"); do
	head -c 262144 /dev/urandom > "$RUNDIR/g$i.img"
	sha[i]=$(sha256sum "$RUNDIR/g$i.img" | cut -d' ' -f1)
	make_xml "g$i" init=blk-idle "<on_crash>preserve</on_crash>
  <devices><disk type='file'><source file='$RUNDIR/g$i.img'/><target dev='xvda'/></disk></devices>" > "$RUNDIR/g$i.xml"
done

: > "$RUNDIR/times"
created=0
for i in $(seq "$N"); do
	t0=$(now_ms)
	"$PVCTL" create "$RUNDIR/g$i.xml" > /dev/null || break
	t1=$(now_ms)
	echo "$((i - 1)) $((t1 - t0))" >> "$RUNDIR/times"
	created=$i
done
check "$N guests created" test "$created" -eq "$N"
booted() { console_has "$1" "blk-idle: sha256 ${sha[$2]}"; }
ok=0
for i in $(seq "$created"); do
	wait_until 600 booted "g$i" "$i" || { echo "# g$i did not read its disk: $("$PVCTL" console --dump "g$i" | tail -n 3)"; break; }
	ok=$i
done
check "all $N booted and read their own disk right" test "$ok" -eq "$N"
check "all $N are listed running" test "$(count_state running)" -eq "$N"
check "$N runners" test "$(runners)" -eq "$N"
check "the budget holds all $N" test "$(used_kib)" -eq $((N * MEM_MIB * 1024))
connected() { [ "$(grep -c ': connected' "$RUNDIR/pvblkback.log")" -ge "$N" ]; }
check "pvblkback connected $N disks" wait_until 120 connected
for d in $daemons; do echo "# $d at $N guests: $(daemon_fds "$d") descriptors, $(threads "$d") threads"; done

t0=$(now_ms)
gone=0
for i in $(seq "$created"); do
	"$PVCTL" destroy "g$i" > /dev/null || break
	gone=$i
done
t1=$(now_ms)
echo "# destroying $created guests took $((t1 - t0)) ms"
check "all destroyed" test "$gone" -eq "$created"
check "none listed" test "$("$PVCTL" list --json)" = "[]"
check "no runner left" test "$(runners)" -eq 0
# The first create makes /local/domain/0/backend/vbd, which stays, empty.
# The first create made /local/domain/0/backend/vbd; it stays, empty.
check "no XenStore node left" test "$(xenstore-list /local/domain | grep -vx 0; xenstore-list /vm; xenstore-list /local/domain/0/backend/vbd)" = ""
check "the whole budget is back" test "$(used_kib)" -eq 0
threads_back() { [ "$(threads "$1")" -le "$2" ]; }
for d in $daemons; do
	check "$d is back to ${fds0[$d]} descriptors" wait_until 120 fds_at_most "$d" "${fds0[$d]}"
	check "$d is back to ${threads0[$d]} threads" wait_until 120 threads_back "$d" "${threads0[$d]}"
done

sed 's/^\([0-9]*\) \([0-9]*\)$/# load: running=\1 create_ms=\2/' "$RUNDIR/times"
python3 - "$RUNDIR/times" <<'PY'
import statistics, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
print("# running   creates   median_ms   p90_ms   max_ms")
for lo in range(0, max(r[0] for r in rows) + 1, 25):
    ms = sorted(t for n, t in rows if lo <= n < lo + 25)
    if ms:
        print("# %3d-%-3d   %7d   %9d   %6d   %6d" % (lo, lo + 24, len(ms), statistics.median(ms),
              ms[int(len(ms) * 0.9) - 1 if len(ms) >= 10 else -1], ms[-1]))
PY
if [ -n "${LOAD_CSV:-}" ]; then
	{ echo "running,create_ms"; tr ' ' ',' < "$RUNDIR/times"; } > "$LOAD_CSV"
fi
finish
