#!/bin/bash
# Several viewers on one console at once: two watch an echo guest while a
# third types; both watchers see the answer.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
make_xml echo init=echo > "$RUNDIR/echo.xml"
check "create echo" "$PVCTL" create "$RUNDIR/echo.xml"
check "echo is ready" wait_until 60 console_has echo "echo: ready"
pids=""
for v in 1 2; do
	# A viewer whose input never ends: this shell holds its fifo open.
	mkfifo "$RUNDIR/in$v"
	"$PVCTL" console echo < "$RUNDIR/in$v" > "$RUNDIR/viewer$v.out" 2>&1 &
	pids="$pids $!"
done
exec 8> "$RUNDIR/in1" 9> "$RUNDIR/in2"
attached() { [ "$(grep -c "echo: ready" "$RUNDIR"/viewer*.out 2>/dev/null | awk -F: '{s+=$2} END {print s}')" -ge 2 ]; }
check "both viewers attached" wait_until 60 attached
# A viewer prints the log so far only once attached, so both are.
printf 'two viewers\n' | timeout 120 "$PVCTL" console echo > "$RUNDIR/typist.out" 2>&1
saw() { grep -q "echo: two viewers" "$RUNDIR/viewer$1.out"; }
check "viewer 1 saw the answer" wait_until 60 saw 1
check "viewer 2 saw the answer" wait_until 60 saw 2
check "the typist saw it too" grep -q "echo: two viewers" "$RUNDIR/typist.out"
check "destroy ends the viewers" "$PVCTL" destroy echo
gone() { for p in $pids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
check "no viewer is left" wait_until 60 gone
for p in $pids; do kill "$p" 2>/dev/null; done
exec 8>&- 9>&-
finish
