#!/bin/bash
# init=selftest: pvos exercises every event channel and grant table
# primitive against the real pvhv (all loopback within the one domain),
# prints one line per test and "selftest: N passed, M failed", then powers
# off. The test passes when that line says 0 failed.
. "$SV_SRCDIR/tests/integration/lib.sh"

dump() { "$PVCTL" console --dump selftest 2>/dev/null; }
summary() { dump | grep -qE '^selftest: [0-9]+ passed, [0-9]+ failed$'; }

start_host
make_xml selftest init=selftest > "$RUNDIR/selftest.xml"
check "create selftest" "$PVCTL" create "$RUNDIR/selftest.xml"
check "selftest shuts down" wait_until 60 state_is selftest shutdown
check "reason is poweroff" test "$(json_field selftest reason)" = poweroff
dump | grep '^selftest: ' | sed 's/^/# /'
check "closing line printed" summary
check "no test failed" sh -c "'$PVCTL' console --dump selftest | grep -qE '^selftest: [0-9]+ passed, 0 failed\$'"
check "destroy" "$PVCTL" destroy selftest
finish
