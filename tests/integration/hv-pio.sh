#!/bin/bash
# Trap-and-emulate without a device model: a guest's in/out/ins/outs trap
# to its runner, which answers all ones and drops writes, with the
# register and memory effects a CPU has (pio-test checks them from
# inside). Port I/O aimed outside guest memory, or a privileged
# instruction that is not port I/O, kills the domain with SIGSEGV; pvhv and
# other guests carry on.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
make_xml pio init=pio-test > "$RUNDIR/pio.xml"
check "create pio-test" "$PVCTL" create "$RUNDIR/pio.xml"
check "pio-test powers off" wait_until 60 state_is pio shutdown
check "every check passed" console_has pio "pio-test: ok"
check "no check failed" sh -c "! '$PVCTL' console --dump pio | grep -q 'pio-test: FAIL'"

for c in bad-ins bad-outs hlt; do
	make_xml "pio-$c" "init=pio-test case=$c" > "$RUNDIR/pio-$c.xml"
	check "create pio-$c" "$PVCTL" create "$RUNDIR/pio-$c.xml"
	check "pio-$c crashes" wait_until 60 state_is "pio-$c" crashed
	check "pio-$c: killed by SIGSEGV" sh -c "'$PVCTL' dominfo pio-$c | grep -q 'SIGSEGV'"
	check "pio-$c ran its case" console_has "pio-$c" "pio-test: case $c"
	check "pio-$c never returned" sh -c "! '$PVCTL' console --dump pio-$c | grep -q 'SANDBOX FAILED'"
done
check "pvhv is still up" "$PVCTL" host status
check "no runner left" test "$(runners)" -eq 0
finish
