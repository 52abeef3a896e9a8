#!/bin/bash
# Guests that attack pvhv itself (pvfront/kernel/workloads/hv_hostile.c):
# one that never reads its hypercall replies, one that keeps its socket
# readable, one that reboots in a loop, one that floods console_io and
# one that writes ioreqs to its device model without reading the answers.
# Each is crashed or held to its share with a clear cause, while pvhv
# keeps answering pvctl and an honest guest next to it keeps working.
. "$SV_SRCDIR/tests/integration/lib.sh"

# Every pvctl call but host start/stop is bounded here: a pvhv blocked
# on a guest must fail this test, not hang it. After one call timed out
# the rest fail at once.
cat > "$RUNDIR/pvctl-bounded" <<SH
#!/bin/sh
[ "\$1" = host ] && exec "$PVCTL" "\$@"
[ -e "$RUNDIR/pvhv-blocked" ] && { echo "pvhv stopped answering" >&2; exit 124; }
timeout 20 "$PVCTL" "\$@"
rc=\$?
[ \$rc -eq 124 ] && : > "$RUNDIR/pvhv-blocked"
exit \$rc
SH
chmod +x "$RUNDIR/pvctl-bounded"
PVCTL="$RUNDIR/pvctl-bounded"

# require DESCRIPTION COMMAND...: check, and stop here if it failed.
require() {
	local before=$FAILS
	check "$@"
	[ "$FAILS" -eq "$before" ] || { finish; exit 1; }
}
list_answers() { "$PVCTL" list >/dev/null; }
cause_has() { "$PVCTL" dominfo --json "$1" 2>/dev/null | grep -qF -- "$2"; }
log_bytes() { cat "$RUNDIR/pvhv.log" "$RUNDIR/pvhv.log.old" 2>/dev/null | wc -c; }

# honest NAME: an honest guest times 5000 hypercalls one by one and
# powers off; its console says how long the slowest took.
honest() {
	make_xml "$1" "init=hcall-latency count=${2:-5000}" > "$RUNDIR/$1.xml"
	check "$1: an honest guest starts" "$PVCTL" create "$RUNDIR/$1.xml"
	check "$1: its hypercalls are answered" wait_until 60 state_is "$1" shutdown
	check "$1: its console works" console_has "$1" "hcall-latency: n="
	"$PVCTL" console --dump "$1" | grep -F "hcall-latency: n=" | sed "s/^/# $1: /"
}

start_host
honest quiet

# 1. Hypercall requests, no replies read: pvhv must not block on it.
make_xml idle init=idle > "$RUNDIR/idle.xml"
check "a bystander starts" "$PVCTL" create "$RUNDIR/idle.xml"
check "the bystander idles" wait_until 20 console_has idle "idle: waiting"
make_xml sink init=hcall-flood > "$RUNDIR/sink.xml"
check "create a guest that does not read its replies" "$PVCTL" create "$RUNDIR/sink.xml"
require "it is crashed" wait_until 30 state_is sink crashed 2>/dev/null
check "the cause says why" cause_has sink "does not read its hypercall replies"
require "pvctl list answers" list_answers
check "the bystander still runs" state_is idle running
honest after-sink
check "the bystander still shuts down" "$PVCTL" shutdown --wait idle
check "destroy sink" "$PVCTL" destroy sink

# 2. A guest that keeps its socket readable gets its share, no more.
make_xml flood "init=hcall-flood window=32" > "$RUNDIR/flood.xml"
check "create a hypercall flood" "$PVCTL" create "$RUNDIR/flood.xml"
check "it floods" wait_until 20 console_has flood "hcall-flood: keeping 32"
honest beside-flood 20000
require "pvctl list answers during the flood" list_answers
check "the flood still runs (it reads its replies)" state_is flood running
check "destroy flood" "$PVCTL" destroy flood

# 3. A reboot loop is braked like a crash loop.
make_xml loop init=reboot-loop \
	"<on_poweroff>preserve</on_poweroff><on_reboot>restart</on_reboot><on_crash>preserve</on_crash>" \
	> "$RUNDIR/loop.xml"
check "create a reboot loop" "$PVCTL" create "$RUNDIR/loop.xml"
require "the brake trips" wait_until 30 cause_has loop "stopped restarting"
check "the cause names the reboots" cause_has loop "restarted 5 times in 10 s (last: reboot)"
check "it is left crashed" state_is loop crashed
check "after 5 restarts" test "$(json_field loop restarts)" -eq 5
check "it rebooted itself" console_has loop "reboot-loop: rebooting"
check "pvctl list answers" list_answers
check "pvhv's log stays small" test "$(log_bytes)" -lt 65536
check "destroy loop" "$PVCTL" destroy loop

# 4. console_io is held to its budget.
make_xml cflood init=console-flood > "$RUNDIR/cflood.xml"
check "create a console flood" "$PVCTL" create "$RUNDIR/cflood.xml"
check "its output is cut to the budget" wait_until 30 sh -c \
	"cat '$RUNDIR'/console/cflood.log* | grep -q 'bytes of console output dropped: over its budget'"
honest beside-cflood
check "the flood's console log is bounded" test "$(cat "$RUNDIR"/console/cflood.log* | wc -c)" -le $((2 * 1048576 + 4096))
check "pvhv's log stays small" test "$(log_bytes)" -lt 65536
check "pvctl list answers" list_answers
check "the flood still runs" state_is cflood running
check "destroy cflood" "$PVCTL" destroy cflood
# 5. Port I/O requests written straight to the ioreq socket, answers
# never read: pvdm drops the socket instead of blocking, the domain crashes.
head -c 1048576 /dev/zero > "$RUNDIR/ide.img"
make_xml iflood init=ioreq-flood "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices><disk type='file' device='disk'><driver name='file' type='raw'/><source file='$RUNDIR/ide.img'/><target dev='hda' bus='ide'/></disk></devices>" \
	> "$RUNDIR/iflood.xml"
check "create an ioreq flood" "$PVCTL" create "$RUNDIR/iflood.xml"
check "it floods" wait_until 20 console_has iflood "ioreq-flood: sending"
check "it is crashed" wait_until 30 state_is iflood crashed 2>/dev/null
check "because its device model stopped answering" cause_has iflood "its device model refused or stopped answering"
check "pvdm says why" grep -q "does not read its ioreq responses" "$RUNDIR/pvdm/iflood.log"
check "destroy iflood" "$PVCTL" destroy iflood
check "its pvdm exits" wait_until 30 sh -c "! pgrep -f '[p]vdm --rundir $RUNDIR ' >/dev/null"
honest after-iflood
check "pvhv is still up" "$PVCTL" host status
finish
