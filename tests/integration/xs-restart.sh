#!/bin/bash
# pvxenstored killed with SIGKILL under running guests, then started again
# by `pvctl host start`: every node comes back with its permissions, the
# guests' XenStore access continues where it was (pvos init=xs-flood
# role=tick writes and reads back a counter all along), their watches
# still fire (pvctl shutdown reaches a guest), dom0 clients that reconnect
# can watch again, and a domain destroyed afterwards is still cleaned up.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/xs-lib.sh"
start_host

for g in tick1 tick2; do
	make_xml $g "init=xs-flood role=tick period-ms=20" > "$RUNDIR/$g.xml"
	check "create $g" "$PVCTL" create "$RUNDIR/$g.xml"
done
t1=$(json_field tick1 domid)
t2=$(json_field tick2 domid)
check "tick1 ticks" wait_until 60 console_has tick1 "xs-tick: 20"
check "tick2 ticks" wait_until 60 console_has tick2 "xs-tick: 20"
check "dom0 writes a node" xenstore-write /tool/kept/a "value a" /tool/kept/b ""
check "and sets its permissions" xenstore-chmod /tool/kept/a n0 r$t1

# Every node and its permissions, the tick counters aside (they move).
tree() { xenstore-ls -fp / | grep -v '/data/tick = '; }
tree > "$RUNDIR/before"
check "the tree was listed" test -s "$RUNDIR/before"
tick_of() { xenstore-read "/local/domain/$1/data/tick" 2>/dev/null || echo 0; }
ticked_past() { [ "$(tick_of "$1")" -gt "$2" ]; }

pid=$(cat "$RUNDIR/pvxenstored.pid")
check "kill -9 pvxenstored" kill -9 "$pid"
check "it is dead" wait_until 20 sh -c "! kill -0 $pid 2>/dev/null"
out=$("$PVCTL" host start 2>&1)
echo "$out" | sed 's/^/# /'
check "host start starts pvxenstored again" grep -q "pvxenstored started" <<<"$out"
check "its store was kept" grep -q "store restored: 2 domains re-attached, 0 gone" "$RUNDIR/pvxenstored.log"

tree > "$RUNDIR/after"
check "every node and permission is back" diff "$RUNDIR/before" "$RUNDIR/after"
check "dom0's value is back" test "$(xenstore-read /tool/kept/a)" = "value a"
for g in 1 2; do
	id=$(eval echo "\$t$g")
	n=$(tick_of "$id")
	check "tick$g's XenStore access continues" wait_until 30 ticked_past "$id" "$n"
	check "tick$g saw no request fail" sh -c "! '$PVCTL' console --dump tick$g | grep -q failed"
	check "tick$g wrote no failure" sh -c "! xenstore-exists /local/domain/$id/data/tick-failed"
done

# A dom0 client that reconnects can watch again.
timeout 30 xenstore-watch -n 2 /tool/kept > "$RUNDIR/watch.out" &
wpid=$!
watching() { grep -q /tool/kept "$RUNDIR/watch.out"; }
check "a new dom0 watch fires on registration" wait_until 20 watching
check "write under it" xenstore-write /tool/kept/c 1
check "the watch fires for the change" wait "$wpid"

# The guests' own watches came back: control/shutdown reaches tick1.
check "shutdown tick1 through its watch" "$PVCTL" shutdown tick1
check "tick1 powered off" wait_until 30 sh -c "'$PVCTL' console --dump tick1 | grep -q 'shutdown requested'"
# Domain exits are still seen: tick2's nodes go when it is destroyed.
check "destroy tick2" "$PVCTL" destroy tick2
check "its nodes are removed" wait_until 30 sh -c "! xenstore-exists /local/domain/$t2"

# A guest introduced after the restart, then a second restart with its
# requests in flight (it asks as fast as the rate limit lets it). Its
# console is not looked at: pvconsoled does not reconnect to a restarted
# pvxenstored, so it never learns of this guest.
pid=$(cat "$RUNDIR/pvxenstored.pid")
make_xml tick3 "init=xs-flood role=tick period-ms=1" > "$RUNDIR/tick3.xml"
check "create tick3" "$PVCTL" create "$RUNDIR/tick3.xml"
t3=$(json_field tick3 domid)
check "tick3 ticks" wait_until 60 ticked_past "$t3" 100
check "kill -9 pvxenstored again" kill -9 "$pid"
check "it is dead again" wait_until 20 sh -c "! kill -0 $pid 2>/dev/null"
check "host start again" sh -c "'$PVCTL' host start >/dev/null"
n=$(tick_of "$t3")
check "tick3's XenStore access continues" wait_until 30 ticked_past "$t3" "$n"
check "tick3 saw no request fail" sh -c "! xenstore-exists /local/domain/$t3/data/tick-failed"
finish
