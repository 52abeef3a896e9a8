#!/bin/bash
# netfront against the real pvnetback, on a bridge made for the test:
# init=net-echo answers ARP, ping and UDP echo from the host through the
# tap vif<domid>.<devid> on the bridge; network-list shows both ends
# Connected; network-detach is cooperative and takes the tap away;
# destroy leaves no tap and no descriptor in pvnetback; a vif on a bridge
# that is gone fails with an error node; a second vif attached while the
# guest runs reaches InitWait on its own tap. Prints the median ping RTT
# and UDP round trip (for the record; nothing asserts on time).
. "$SV_SRCDIR/tests/integration/lib.sh"

command -v ip >/dev/null || { echo "SKIP: iproute2 not installed"; exit 77; }
command -v xenstore-read >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
net_setup svbr
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host
check "pvnetback runs" sh -c "'$PVCTL' host status | grep -q 'pvnetback.*running'"

net_xml() {	# NAME CMDLINE BRIDGE
	make_xml "$1" "$2" "<devices>
    <interface type='bridge'><mac address='02:16:3e:00:01:02'/><source bridge='$3'/></interface>
  </devices>"
}
nb_fds() { ls "/proc/$(cat "$RUNDIR/pvnetback.pid")/fd" | wc -l; }
nb_fds_before=$(nb_fds)

net_xml echo "init=net-echo ip=$NET.2" "$BR" > "$RUNDIR/echo.xml"
check "create a guest with a vif" "$PVCTL" create "$RUNDIR/echo.xml"
id=$(json_field echo domid)
tap=vif$id.0
check "net-echo is ready" wait_until 60 console_has echo "net-echo: ready mac=02:16:3e:00:01:02 ip=$NET.2 udp=7"
check "the tap $tap exists" ip link show "$tap"
check "the tap is on the bridge" sh -c "ip -o link show '$tap' | grep -q 'master $BR'"
check "the tap is up" sh -c "ip -o link show '$tap' | grep -q 'state UP\|,UP'"
check "backend Connected" test "$(xenstore-read /local/domain/0/backend/vif/$id/0/state)" = 4
check "frontend Connected" test "$(xenstore-read /local/domain/$id/device/vif/0/state)" = 4
check "network-list shows both ends Connected" \
	sh -c "'$PVCTL' network-list echo | grep -q '^0 *02:16:3e:00:01:02 $BR *Connected *Connected'"
check "ping the guest" pyping 3 "$NET.2"
check "the test's namespace learned the guest's MAC by ARP" \
	sh -c "ip -n '$NS' neigh show '$NET.2' dev eth0 | grep -q 02:16:3e:00:01:02"

udp_echo() {	# COUNT: UDP round trips to port 7; prints the median in microseconds
	in_ns python3 - "$NET.2" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
rtts = []
for i in range(int(sys.argv[2])):
    msg = b"splitvisor-%d-" % i + bytes(range(64))
    t = time.perf_counter()
    s.sendto(msg, (sys.argv[1], 7))
    data, addr = s.recvfrom(2048)
    rtts.append(time.perf_counter() - t)
    if data != msg or addr[1] != 7:
        sys.exit("bad echo: %r from %r" % (data, addr))
rtts.sort()
print("%.0f" % (rtts[len(rtts) // 2] * 1e6))
PY
}
check "UDP echo round-trips" udp_echo 5
check "a large datagram round-trips" in_ns python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
m = bytes(i % 251 for i in range(1400)); s.sendto(m, ('$NET.2', 7))
assert s.recvfrom(4096)[0] == m"

# Measurements, for the record.
rtt=$(pyping 20 "$NET.2" 2>/dev/null)
udp=$(udp_echo 200 2>/dev/null)
echo "# ping RTT test namespace->guest, median of 20: ${rtt:-none} ms; UDP echo round trip, median of 200: ${udp:-none} us"
counted() { "$PVCTL" console --dump echo 2>/dev/null | grep -q 'net-echo: counters .*icmp=[1-9].*udp=[1-9]'; }
check "the guest counted what it answered" wait_until 60 counted

# A hostile frontend beside it: each lie refused, its vif closed, the
# honest guest served all along.
make_xml hostile init=net-hostile "<devices>
    <interface type='bridge'><mac address='02:16:3e:00:01:09'/><source bridge='$BR'/></interface>
  </devices>" > "$RUNDIR/hostile.xml"
check "create a hostile guest" "$PVCTL" create "$RUNDIR/hostile.xml"
check "a packet past its page gets an error" wait_until 60 console_has hostile "net-hostile: past-page: status -1"
check "so does a bogus grant" wait_until 60 console_has hostile "net-hostile: bad-gref: status -1"
check "so does a runt" wait_until 60 console_has hostile "net-hostile: runt: status -1"
check "a producer index past the ring closes the vif" wait_until 60 console_has hostile "net-hostile: closed by the backend"
check "pvnetback said why" grep -q "fragment runs past its page" "$RUNDIR/pvnetback.log"
check "the honest guest still answers ping" pyping 3 "$NET.2"
check "and UDP" udp_echo 3
check "destroy the hostile guest" "$PVCTL" destroy hostile

# A second vif while the guest runs: on its own tap, waiting for a frontend.
check "network-attach a second vif" "$PVCTL" network-attach echo bridge="$BR" mac=02:16:3e:00:01:03
check "its tap is on the bridge" wait_until 60 sh -c "ip -o link show vif$id.1 | grep -q 'master $BR'"
check "its backend waits in InitWait" wait_until 60 sh -c "test \"\$(xenstore-read /local/domain/0/backend/vif/$id/1/state)\" = 2"
check "detach it" "$PVCTL" network-detach echo 1
check "its tap is gone" wait_until 60 sh -c "! ip link show vif$id.1 2>/dev/null"

check "network-detach of the connected vif" "$PVCTL" network-detach echo 0
check "the guest saw it go" wait_until 60 console_has echo "net-echo: vif 0 disconnected"
check "the tap is gone" wait_until 60 sh -c "! ip link show '$tap' 2>/dev/null"
no_answer() { ! pyping 1 "$1" >/dev/null 2>&1; }
check "the guest no longer answers" no_answer "$NET.2"
check "the guest still answers shutdown" "$PVCTL" shutdown echo
check "and powers off" wait_until 60 domain_gone echo
"$PVCTL" destroy echo >/dev/null 2>&1

# destroy with a vif connected: no tap, no descriptor left.
net_xml echo2 "init=net-echo ip=$NET.3" "$BR" > "$RUNDIR/echo2.xml"
check "create another" "$PVCTL" create "$RUNDIR/echo2.xml"
id2=$(json_field echo2 domid)
check "it answers ping" wait_until 60 pyping 1 "$NET.3"
check "destroy it" "$PVCTL" destroy echo2
check "its tap is gone" wait_until 60 sh -c "! ip link show vif$id2.0 2>/dev/null"
check "pvnetback leaked no descriptor" wait_until 60 sh -c "test \$(ls /proc/$(cat "$RUNDIR/pvnetback.pid")/fd | wc -l) -le $nb_fds_before"

# A bridge that disappears between create and probe: the vif fails cleanly.
GONE=svgone$$
GONE=${GONE:0:15}
ip link add "$GONE" type bridge
net_xml gone "init=net-echo ip=$NET.4" "$GONE" > "$RUNDIR/gone.xml"
ip link del "$GONE"
check "a missing bridge is refused at create" sh -c "! '$PVCTL' create '$RUNDIR/gone.xml' 2>/dev/null"
# ... and a vif whose bridge is missing when pvnetback probes it (written
# by hand, as a toolstack racing a bridge's removal would leave it): an
# error node, Closed, no tap, and pvnetback carries on.
b=/local/domain/0/backend/vif/999/5
xenstore-write $b/frontend /local/domain/999/device/vif/5 $b/frontend-id 999 \
	$b/bridge "$GONE" $b/online 1 $b/state 1
check "a vif on a missing bridge goes Closed" wait_until 60 sh -c "test \"\$(xenstore-read $b/state)\" = 6"
check "with an error node that names the bridge" sh -c "xenstore-read $b/error | grep -q 'there is no bridge $GONE'"
check "and no tap" sh -c "! ip link show vif999.5 2>/dev/null"
xenstore-rm $b
xenstore-rm /local/domain/0/backend/vif/999
check "pvnetback is still running" sh -c "'$PVCTL' host status | grep -q 'pvnetback.*running'"
finish
