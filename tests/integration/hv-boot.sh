#!/bin/bash
# A pvos guest boots in its sandbox, prints its banner through console_io
# and powers itself off; list reports "shutdown (poweroff)".
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
WAIT="$SV_BUILDDIR/tests/integration/virq-wait"
"$WAIT" "$RUNDIR" console > "$RUNDIR/virq-console.out" &
console_waiter=$!
"$WAIT" "$RUNDIR" dom_exc > "$RUNDIR/virq-domexc.out" &
domexc_waiter=$!
bound() { grep -q bound "$RUNDIR/virq-console.out" && grep -q bound "$RUNDIR/virq-domexc.out"; }
check "dom0 binds VIRQ_CONSOLE and VIRQ_DOM_EXC" wait_until 60 bound
make_xml hello init=hello > "$RUNDIR/hello.xml"
check "create hello" "$PVCTL" create "$RUNDIR/hello.xml"
check "VIRQ_DOM_EXC fired for dom0" wait "$domexc_waiter"
check "VIRQ_CONSOLE fired when the guest wrote console_io" wait "$console_waiter"
check "hello shuts down" wait_until 60 state_is hello shutdown
check "reason is poweroff" test "$(json_field hello reason)" = poweroff
check "banner on the console" console_has hello "pvos 0.1: 16 MiB"
check "command line reached the guest" console_has hello 'cmdline "init=hello"'
check "hello said goodbye" console_has hello "hello: powering off"
check "no runner left" test "$(runners)" -eq 0
check "list has uuid and memory" test "$(json_field hello memory_kib)" = 16384
check "table shows the reason" sh -c "'$PVCTL' list | grep -q 'shutdown (poweroff)'"
check "dominfo by id" sh -c "'$PVCTL' dominfo \$('$PVCTL' list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"domid\"])') | grep -q hello"
check "destroy" "$PVCTL" destroy hello
check "gone after destroy" domain_gone hello
check "console log kept after destroy" console_has hello "hello: powering off"

# on_poweroff=destroy: the domain disappears by itself.
make_xml bye init=hello "<on_poweroff>destroy</on_poweroff>" > "$RUNDIR/bye.xml"
check "create bye" "$PVCTL" create "$RUNDIR/bye.xml"
check "bye is destroyed on poweroff" wait_until 60 domain_gone bye
check "its banner was logged" console_has bye "hello: powering off"
finish
