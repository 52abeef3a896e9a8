#!/bin/bash
# What the sandbox leaves a hostile guest, beyond forbidden calls
# (hv-escape.sh):
#  - a descriptor argument is judged by the 32 bits the kernel uses, so
#    write or close of (1 << 32) | fd on a descriptor the guest may not use
#    is a forbidden call that crashes the domain, and nothing it wrote
#    reaches pvhv's log or any other file;
#  - the runner holds /dev/null at 0-2, its own descriptors and nothing
#    else, has an empty environment and a command line of "pvhv-runner";
#  - a guest that reads everything in its process it can reach finds
#    neither a marker from pvhv's environment nor the run directory's path,
#    and the test checks that it did read every readable mapping.
# An honest guest runs beside them throughout and shuts down normally.
. "$SV_SRCDIR/tests/integration/lib.sh"

WRITE_TEXT="escape: high-fd write reached its target"

# A marker in pvhv's environment, as a careless shell or unit would leave.
SECRET="sv-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export SV_SECRET="$SECRET"
start_host
check "pvhv's environment holds the marker" \
	grep -qzx "SV_SECRET=$SECRET" "/proc/$(pvhv_pid)/environ"

make_xml honest init=idle > "$RUNDIR/honest.xml"
check "an honest guest starts" "$PVCTL" create "$RUNDIR/honest.xml"
check "and waits for events" wait_until 20 console_has honest "idle: waiting for events"

# -- Descriptors with bits above 31 -----------------------------------------
# cause_names NAME CALL: the domain was crashed for making CALL.
cause_names() {
	local cause
	cause=$(json_field "$1" cause)
	echo "$cause" | grep -q "forbidden system call [0-9]* ($2)" || { echo "cause: $cause"; return 1; }
}
hi=$((1 << 32))
cases=""
for low in 0 1 2 4; do
	cases="$cases write:$((hi | low)) close:$((hi | low))"
done
# fd 3 is the hypercall socket: write(3) is allowed, close(3) must not be.
cases="$cases close:$((hi | 3))"
# Every upper bit set, and only the top one.
cases="$cases write:18446744069414584322 write:9223372036854775810 close:18446744069414584320"
n=0
for c in $cases; do
	n=$((n + 1))
	make_xml "fd$n" "init=escape escape=${c%%:*}-fd fd=${c#*:}" > "$RUNDIR/fd$n.xml"
	check "create fd$n (${c%%:*} fd ${c#*:})" "$PVCTL" create "$RUNDIR/fd$n.xml"
done
n=0
for c in $cases; do
	n=$((n + 1))
	call=${c%%:*}
	check "fd$n ($call ${c#*:}) crashes" wait_until 20 state_is "fd$n" crashed
	check "fd$n's cause names $call" cause_names "fd$n" "$call"
	check "fd$n made the call" console_has "fd$n" "escape: calling $call"
	check "fd$n never got an answer" sh -c "! '$PVCTL' console --dump fd$n | grep -q 'SANDBOX FAILED'"
done
# pvhv's log is a file here, where RLIMIT_FSIZE 0 alone would stop a
# write to it (SIGXFSZ); with a pipe or journald it would land.
check "nothing a guest wrote reached a file" \
	sh -c "! find '$RUNDIR' -type f -exec grep -lF '$WRITE_TEXT' {} + | grep -q ."
check "pvhv's log names no such write" sh -c "! grep -qF '$WRITE_TEXT' '$RUNDIR/pvhv.log'"

# -- What a runner holds ----------------------------------------------------
pid=$(json_field honest pid)
check "the honest guest's runner is known" test -n "$pid" -a -d "/proc/$pid"
check "its environment is empty" test -z "$(tr -d '\0' < "/proc/$pid/environ")"
check "its command line is only its name" \
	sh -c "tr -d '\\0' < /proc/$pid/cmdline | grep -qx pvhv-runner"
for fd in 0 1 2; do
	check "its fd $fd is /dev/null" test "$(readlink "/proc/$pid/fd/$fd")" = /dev/null
done
check "it holds no file or directory but /dev/null" sh -c "
	for f in /proc/$pid/fd/*; do
		case \$(readlink \"\$f\") in
		/dev/null | socket:* | anon_inode:*) ;;
		*) echo \"unexpected: \$f -> \$(readlink \"\$f\")\"; exit 1 ;;
		esac
	done"

# -- A guest that reads its whole process -----------------------------------
make_xml scan "init=memscan find=$SECRET find2=$RUNDIR" > "$RUNDIR/scan.xml"
check "create a memory scanner" "$PVCTL" create "$RUNDIR/scan.xml"
check "it finishes its scan" wait_until 60 console_has scan "memscan: done:"
"$PVCTL" console --dump scan > "$RUNDIR/scan.out" 2>/dev/null
check "it does not find pvhv's environment" grep -qx "memscan: find: not found" "$RUNDIR/scan.out"
check "it does not find the run directory" grep -qx "memscan: find2: not found" "$RUNDIR/scan.out"
check "it is still running (the scan faulted nowhere)" state_is scan running
spid=$(json_field scan pid)
# Every readable mapping of its process was read. The vvar pages are
# left out: some of them fault even for the process itself.
check "it read every readable mapping of its process" \
	python3 - "/proc/$spid/maps" "$RUNDIR/scan.out" <<'PY'
import re, sys
regions = [(int(a, 16), int(b, 16)) for a, b in
           re.findall(r"memscan: region (0x[0-9a-f]+)-(0x[0-9a-f]+)", open(sys.argv[2]).read())]
missed = 0
for line in open(sys.argv[1]):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    name = f[5] if len(f) > 5 else ""
    if "r" not in f[1] or name == "[vsyscall]" or name.startswith("[vvar") \
            or name.startswith("/memfd:splitvisor"):
        continue
    page = lo
    while page < hi:
        inside = [r for r in regions if r[0] <= page < r[1]]
        if not inside:
            print("not read:", line.strip())
            missed += 1
            break
        page = inside[0][1]
print(len(regions), "regions read")
sys.exit(1 if missed or not regions else 0)
PY

# -- The honest guest did not notice ----------------------------------------
check "pvhv is still up" "$PVCTL" host status
check "the honest guest still runs" state_is honest running
check "it shuts down when asked" "$PVCTL" shutdown honest
check "and powers off" wait_until 20 state_is honest shutdown
finish
