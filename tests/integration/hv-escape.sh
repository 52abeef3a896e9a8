#!/bin/bash
# A guest that makes a host system call is killed by its sandbox and
# reported crashed with the call's name; pvhv keeps serving, and another
# guest is unaffected.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
make_xml spin init=spin > "$RUNDIR/spin.xml"
check "a bystander runs" "$PVCTL" create "$RUNDIR/spin.xml"
for call in open socket ptrace execve mmap; do
	make_xml "esc-$call" "init=escape escape=$call" > "$RUNDIR/esc-$call.xml"
	check "create esc-$call" "$PVCTL" create "$RUNDIR/esc-$call.xml"
	check "esc-$call crashes" wait_until 60 state_is "esc-$call" crashed
	check "cause names $call" sh -c "'$PVCTL' list --json | grep -q 'forbidden system call [0-9]* ($call)'"
	check "esc-$call tried it" console_has "esc-$call" "escape: calling $call"
	check "esc-$call never got an answer" sh -c "! '$PVCTL' console --dump esc-$call | grep -q 'SANDBOX FAILED'"
done
check "pvhv is still up" "$PVCTL" host status
check "the bystander still runs" state_is spin running
make_xml after init=hello > "$RUNDIR/after.xml"
check "a new guest still boots" "$PVCTL" create "$RUNDIR/after.xml"
check "and powers off" wait_until 60 state_is after shutdown

# on_crash=restart restarts, and a crash loop is stopped.
make_xml loop "init=escape escape=open" "<on_crash>restart</on_crash>" > "$RUNDIR/loop.xml"
check "create a crash loop" "$PVCTL" create "$RUNDIR/loop.xml"
check "the loop is braked" wait_until 60 sh -c "'$PVCTL' list --json | grep -q 'stopped restarting'"
check "it was restarted 5 times" test "$(json_field loop restarts)" -eq 5
finish
