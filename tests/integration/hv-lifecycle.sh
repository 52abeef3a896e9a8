#!/bin/bash
# pause, unpause and destroy a spinning guest; destroy is idempotent and
# leaves no process or descriptor behind.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
fds_before=$(pvhv_fds)
make_xml spin init=spin > "$RUNDIR/spin.xml"
check "create spin" "$PVCTL" create "$RUNDIR/spin.xml"
check "spin runs" state_is spin running
check "spin prints" wait_until 60 console_has spin "spin: looping forever"
pid=$(json_field spin pid)
check "runner is a separate unprivileged process" test "$(stat -c %u /proc/$pid)" -ne 0
check "runner has no way back to root" sh -c "grep -q '^NoNewPrivs:.*1' /proc/$pid/status"
check "runner is under seccomp" sh -c "grep -q '^Seccomp:.*2' /proc/$pid/status"
if [ -d /sys/fs/cgroup/pids ] || [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	cg=$(sed -n 's/^[0-9]*:\(pids\)\{0,1\}:\(\/splitvisor-.*\)$/\2/p' /proc/$pid/cgroup | head -n 1)
	check "runner is in its own cgroup" test -n "$cg"
	pids_max=$(cat /sys/fs/cgroup/pids$cg/pids.max 2>/dev/null || cat /sys/fs/cgroup$cg/pids.max)
	check "that cgroup allows one task" test "$pids_max" = 1
fi
check "pause" "$PVCTL" pause spin
check "spin is paused" state_is spin paused
check "runner is stopped" sh -c "grep -q '^State:.*T' /proc/$pid/status"
check "pause twice is fine" "$PVCTL" pause spin
check "unpause" "$PVCTL" unpause spin
check "spin runs again" state_is spin running
check "destroy" "$PVCTL" destroy spin
check "spin is gone" domain_gone spin
check "runner is gone" test ! -e "/proc/$pid"
check "destroy again succeeds" "$PVCTL" destroy spin
check "destroy of a typo says so" sh -c "'$PVCTL' destroy nosuch | grep -q 'nothing to destroy'"
check "pause of a missing domain fails" sh -c "! '$PVCTL' pause nosuch 2>/dev/null"
check "no descriptor leaked in pvhv" wait_until 120 fds_at_most pvhv "$fds_before"

make_xml later init=hello > "$RUNDIR/later.xml"
check "create --paused" "$PVCTL" create --paused "$RUNDIR/later.xml"
check "it has not run" sh -c "! '$PVCTL' console --dump later | grep -q pvos"
check "unpause starts it" "$PVCTL" unpause later
check "then it runs to poweroff" wait_until 60 state_is later shutdown

# Stopping the host destroys its domains.
check "create before stop" "$PVCTL" create "$RUNDIR/spin.xml"
check "host stop" "$PVCTL" host stop
check "no runner survives the host" test "$(runners)" -eq 0
check "host start again" "$PVCTL" host start
check "host start twice is fine" "$PVCTL" host start
finish
