#!/bin/bash
# The PV console ring, both halves: init=echo prints "echo: ready" through
# the ring, answers each line typed into `pvctl console` with "echo: LINE"
# and powers off on "quit". Also: pvos advertises control/feature-* only
# in workloads that answer control/shutdown.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
make_xml echo init=echo > "$RUNDIR/echo.xml"
check "create echo" "$PVCTL" create "$RUNDIR/echo.xml"
check "echo is ready" wait_until 60 console_has echo "echo: ready"
# The viewer keeps printing after its input ends, until the guest is gone.
out=$(printf 'hello there\nquit\n' | timeout 120 "$PVCTL" console echo 2>&1)
printf '%s\n' "$out" | grep '^echo: ' | sed 's/^/# /'
check "the line came back" sh -c "printf '%s\n' \"\$1\" | grep -qx 'echo: hello there'" _ "$out"
check "echo powers off on quit" wait_until 60 state_is echo shutdown
check "reason is poweroff" test "$(json_field echo reason)" = poweroff
check "the log has the answer" console_has echo "echo: hello there"
check "the log has the goodbye" console_has echo "echo: quit, powering off"
check "XenStore came up in the guest" console_has echo "pvos: XenStore ring on port 1"
check "destroy" "$PVCTL" destroy echo

# Output bigger than the ring (2 KiB) must arrive whole: the guest waits
# for pvconsoled to make room instead of dropping.
long=$(head -c 3000 /dev/zero | tr '\0' x)
make_xml echo2 init=echo > "$RUNDIR/echo2.xml"
check "create echo2" "$PVCTL" create "$RUNDIR/echo2.xml"
check "echo2 is ready" wait_until 60 console_has echo2 "echo: ready"
# Input is paced by the answers: pvconsoled drops what does not fit the
# 1 KiB input half, so each line goes once the one before came back.
{ for i in $(seq 20); do
	printf 'line %s %s\n' "$i" "${long:0:150}"
	wait_until 60 console_has echo2 "echo: line $i x" || break
  done
  echo quit; } | timeout 300 "$PVCTL" console echo2 > /dev/null 2>&1
check "echo2 powers off" wait_until 60 state_is echo2 shutdown
check "all 20 long lines came back" test "$("$PVCTL" console --dump echo2 | grep -c '^echo: line [0-9]* xxx')" -eq 20
finish
