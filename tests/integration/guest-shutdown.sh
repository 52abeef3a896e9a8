#!/bin/bash
# Cooperative shutdown through XenStore: pvos advertises
# control/feature-{poweroff,reboot}, watches control/shutdown and answers
# "poweroff" and "reboot" (acknowledging with ""), so pvctl shutdown and
# pvctl reboot work on an idle guest, ten reboots in a row included.
. "$SV_SRCDIR/tests/integration/lib.sh"

command -v xenstore-read >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

idle_lines() { "$PVCTL" console --dump "$1" 2>/dev/null | grep -c '^idle: waiting for events'; }
feature() { xenstore-read "/local/domain/$(json_field "$1" domid)/control/feature-$2" 2>/dev/null; }

count_lines() { "$PVCTL" console --dump idle2 2>/dev/null | grep -c "$1"; }
at_least() { [ "$(count_lines "$1")" -ge "$2" ]; }
no_runners() { [ "$(runners)" -eq 0 ]; }

# pvctl creates control/feature-* writable by the guest (as libxl does);
# the guest must have written 1 to both.
features_set() { [ "$(feature "$1" poweroff)" = 1 ] && [ "$(feature "$1" reboot)" = 1 ]; }
ensure_features() {
	wait_until 60 features_set "$1" || fail "$1 did not advertise control/feature-poweroff and feature-reboot"
}

make_xml idle init=idle > "$RUNDIR/idle.xml"
check "create idle" "$PVCTL" create "$RUNDIR/idle.xml"
check "idle is up" wait_until 60 console_has idle "idle: waiting for events"
if console_has idle "cannot write control/feature-poweroff"; then
	echo "# skip - the guest wrote control/feature-poweroff=1 (pvctl create does not make it guest-writable)"
else
	check "the guest wrote control/feature-poweroff=1" test "$(feature idle poweroff)" = 1
	check "the guest wrote control/feature-reboot=1" test "$(feature idle reboot)" = 1
fi
ensure_features idle
check "shutdown --wait" timeout 120 "$PVCTL" shutdown --wait --timeout 120 idle
check "idle is shut down" wait_until 60 state_is idle shutdown
check "reason is poweroff" test "$(json_field idle reason)" = poweroff
check "the guest said why" console_has idle "pvos: shutdown requested (poweroff)"
check "destroy idle" "$PVCTL" destroy idle

make_xml idle2 init=idle "<on_poweroff>preserve</on_poweroff><on_reboot>restart</on_reboot><on_crash>preserve</on_crash>" > "$RUNDIR/idle2.xml"
check "create idle2" "$PVCTL" create "$RUNDIR/idle2.xml"
check "idle2 is up" wait_until 60 console_has idle2 "idle: waiting for events"
ensure_features idle2
check "reboot --wait" timeout 120 "$PVCTL" reboot --wait --timeout 120 idle2
check "the guest said why" console_has idle2 "pvos: shutdown requested (reboot)"
restarts_are() { [ "$(json_field idle2 restarts)" = "$1" ]; }
check "restarted once" wait_until 60 restarts_are 1
check "running again" wait_until 60 state_is idle2 running
check "booted twice" wait_until 60 at_least '^pvos 0.1: ' 2
check "and is idle again (console ring after a restart)" wait_until 60 at_least '^idle: waiting' 2

# pvhv treats more than 5 restarts in 10 s as a crash loop and stops
# restarting, so the cycles are paced.
ok=0
for i in $(seq 10); do
	want=$((i + 2))
	start=$(date +%s.%N)
	wait_until 60 at_least '^idle: waiting' $((i + 1)) || { echo "# cycle $i: not up"; break; }
	ensure_features idle2 >/dev/null
	timeout 120 "$PVCTL" reboot --wait --timeout 120 idle2 >/dev/null || { echo "# cycle $i: reboot failed"; break; }
	wait_until 60 at_least '^pvos 0.1: ' $want || { echo "# cycle $i: no new banner"; break; }
	ok=$i
	sleep "$(python3 -c "import time; print(max(0, 2.5 - (time.time() - $start)))")"
done
check "10 reboot cycles" test "$ok" -eq 10
check "one domain left" test "$("$PVCTL" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1
check "and it is running" wait_until 60 state_is idle2 running
check "restarts counted" test "$(json_field idle2 restarts)" = 11
check "booted 12 times" wait_until 60 at_least '^pvos 0.1: ' 12
check "and answered 11 reboots" test "$(count_lines '^pvos: shutdown requested (reboot)')" -eq 11
check "destroy idle2" "$PVCTL" destroy idle2
check "no runner left" wait_until 60 no_runners
finish
