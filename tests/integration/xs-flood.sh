#!/bin/bash
# A guest flooding XenStore beside an honest one (pvos init=xs-flood). The
# honest guest's round-trip latency is measured alone, beside the flooder
# with the default request rate limit, and beside it with no limit; the
# ratios are printed (docs/benchmarks.md), not judged. What is checked: the
# honest guest is served in every case, and with a low limit the flooder
# is held back (pvxenstored counts it) yet keeps progressing, not failing.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/xs-lib.sh"
start_host

# probe NAME: boot an honest guest, wait for its result line, print it.
probe() {
	make_xml "$1" "init=xs-flood role=probe ops=300" > "$RUNDIR/$1.xml"
	"$PVCTL" create "$RUNDIR/$1.xml" >/dev/null || return 1
	wait_until 120 console_has "$1" "xs-probe: ops" || return 1
	"$PVCTL" console --dump "$1" | grep -m1 '^xs-probe: ops'
	"$PVCTL" destroy "$1" >/dev/null
}
field_of() { sed -n "s/.* $2 \([0-9]*\).*/\1/p" <<<"$1"; }
ratio() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); print('%.2f' % (b / max(a, 1)))" "$1" "$2"; }
flood_count() { xenstore-read "/local/domain/$flood/data/flood" 2>/dev/null || echo 0; }
now_s() { date +%s.%N; }
# probe_beside NAME: probe while the flooder runs; prints the probe's line
# and the flooder's writes per second meanwhile.
probe_beside() {
	local n0 t0 line
	n0=$(flood_count); t0=$(now_s)
	line=$(probe "$1") || return 1
	echo "$line, flooder $(python3 -c "import sys; n0, n1, t0, t1 = map(float, sys.argv[1:]); print('%d writes/s' % ((n1 - n0) / (t1 - t0)))" "$n0" "$(flood_count)" "$t0" "$(now_s)")"
}
flood_grew() { [ "$(flood_count)" -gt "$1" ]; }

alone=$(probe alone)
check "an honest guest alone is served" test -n "$alone"

make_xml flood "init=xs-flood role=flood" > "$RUNDIR/flood.xml"
check "create the flooder" "$PVCTL" create "$RUNDIR/flood.xml"
flood=$(json_field flood domid)
check "the flooder floods" wait_until 60 console_has flood "xs-flood: 2000 writes"

limited=$(probe_beside beside-limited)
check "beside the flooder (default limit) it is served" test -n "$limited"
check "lift the rate limit" xs_set request-rate 0
unlimited=$(probe_beside beside-unlimited)
check "beside the flooder (no limit) it is served" test -n "$unlimited"

echo "# honest guest, alone:                  $alone"
echo "# beside a flooder, default rate limit: $limited"
echo "# beside a flooder, no rate limit:      $unlimited"
for f in mean-us p50-us p99-us; do
	a=$(field_of "$alone" $f); l=$(field_of "$limited" $f); u=$(field_of "$unlimited" $f)
	[ -n "$a" ] && [ -n "$l" ] && [ -n "$u" ] &&
		echo "# $f vs alone: $(ratio "$a" "$l")x beside a flooder with the default limit, $(ratio "$a" "$u")x with none"
done

# A low limit: the flooder waits for tokens (counted) but goes on.
check "a low rate limit" xs_set request-rate 50
check "a small burst" xs_set request-burst 10
before=$(xs_domain_field "$flood" rate-limited)
held_back() { [ "$(xs_domain_field "$flood" rate-limited)" -gt "${before:-0}" ]; }
check "the flooder is held back" wait_until 30 held_back
now=$(flood_count)
check "and still progresses" wait_until 30 flood_grew "$now"
check "the flooder did not fail" sh -c "! '$PVCTL' console --dump flood | grep -q failed"
check "the flooder still runs" state_is flood running
finish
