#!/bin/bash
# pvctl's operations and bad input: --help everywhere, splitvisor.conf,
# every daemon-not-running message, a missing kernel or disk image, a
# duplicate name or uuid, mem-set, top --batch, a guest that ignores
# shutdown (--wait --timeout, then --force), destroy racing a shutdown,
# and nothing left half-created when create fails after pvhv built the
# domain (pvxenstored gone).
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/toolstack-lib.sh"

command -v xenstore-ls >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"

for cmd in host create validate list dominfo info shutdown reboot destroy pause unpause console \
	   block-attach block-detach block-list network-attach network-detach network-list mem-set top; do
	out=$("$PVCTL" "$cmd" --help 2>&1)
	[ $? -eq 0 ] && printf '%s' "$out" | grep -q "^usage: pvctl .*$cmd" || { fail "$cmd --help"; echo "$out"; }
done
pass "every command answers --help"

# Before the host runs: each command says what is down and how to start it.
make_xml spin init=spin > "$RUNDIR/spin.xml"
for cmd in "list" "create $RUNDIR/spin.xml" "block-list spin" "network-list spin" "dominfo spin" "mem-set spin 8M" "top --batch --iterations 1"; do
	# shellcheck disable=SC2086
	check "pvhv down: $cmd" out_has "pvhv is not running in $RUNDIR (start the host with: pvctl host start)" "$PVCTL" $cmd
done

# splitvisor.conf: strict, with file:line; flags and the environment win.
printf 'detach_timeout = 5\ncolour = blue\n' > "$RUNDIR/bad.conf"
check "an unknown key stops pvctl" out_has "bad.conf:2: unknown key 'colour'" \
	env SPLITVISOR_CONF="$RUNDIR/bad.conf" "$PVCTL" list
printf '# comment\n\ndetach_timeout = soon\n' > "$RUNDIR/bad2.conf"
check "a bad value names the key and what it takes" \
	out_has "bad2.conf:3: detach_timeout: 'soon' is not valid; expected a number of seconds" \
	env SPLITVISOR_CONF="$RUNDIR/bad2.conf" "$PVCTL" list
printf 'rundir = %s/conf-rd\nbridge = nosuchbr0\nshutdown_timeout = 1\n' "$RUNDIR" > "$RUNDIR/good.conf"
check "the config's rundir is used" sh -c "env -u SPLITVISOR_RUNDIR SPLITVISOR_CONF='$RUNDIR/good.conf' '$PVCTL' host status | grep -q '^run directory: $RUNDIR/conf-rd'"
check "\$SPLITVISOR_RUNDIR overrides it" sh -c "SPLITVISOR_CONF='$RUNDIR/good.conf' '$PVCTL' host status | grep -q '^run directory: $RUNDIR\$'"
check "--rundir overrides both" sh -c "SPLITVISOR_CONF='$RUNDIR/good.conf' '$PVCTL' --rundir /tmp/x host status | grep -q '^run directory: /tmp/x\$'"
check "a missing config file is fine" env SPLITVISOR_CONF="$RUNDIR/none.conf" "$PVCTL" validate "$RUNDIR/spin.xml"

start_host
export SPLITVISOR_CONF="$RUNDIR/good.conf"
check "create spin" "$PVCTL" create "$RUNDIR/spin.xml"
id=$(json_field spin domid)
check "network-attach takes the config's bridge" out_has "there is no bridge nosuchbr0" "$PVCTL" network-attach spin

# Bad input at create: nothing is created.
nodes() { xenstore-ls /local 2>/dev/null; xenstore-ls /vm 2>/dev/null; }
before=$(nodes)
sed "s|<kernel>.*</kernel>|<kernel>$RUNDIR/no-kernel</kernel>|; s|<name>spin|<name>nok|" "$RUNDIR/spin.xml" > "$RUNDIR/nok.xml"
check "a missing kernel" out_has "<kernel>: cannot read $RUNDIR/no-kernel" "$PVCTL" create "$RUNDIR/nok.xml"
make_xml nodisk init=spin "<devices><disk type='file'><source file='$RUNDIR/no.img'/><target dev='xvda'/></disk></devices>" > "$RUNDIR/nodisk.xml"
check "a missing disk image" out_has "<disk> xvda: cannot read and write $RUNDIR/no.img" "$PVCTL" create "$RUNDIR/nodisk.xml"
check "a duplicate name" out_has "a domain named 'spin' already exists" "$PVCTL" create "$RUNDIR/spin.xml"
uuid=$(json_field spin uuid)
make_xml twin init=spin "<uuid>$uuid</uuid>" > "$RUNDIR/twin.xml"
check "a duplicate uuid" out_has "a domain with this uuid already exists ('spin')" "$PVCTL" create "$RUNDIR/twin.xml"
check "nothing was written to XenStore" test "$(nodes)" = "$before"
check "one domain still" test "$("$PVCTL" list --json | grep -c '"name"')" -eq 1

# mem-set
check "mem-set 8M" "$PVCTL" mem-set spin 8M
check "memory/target is in KiB" test "$(xenstore-read /local/domain/$id/memory/target)" = 8192
check "mem-set with a bare number is KiB" "$PVCTL" mem-set spin 12288
check "memory/target 12288" test "$(xenstore-read /local/domain/$id/memory/target)" = 12288
check "mem-set 16MiB (the maximum)" "$PVCTL" mem-set spin 16MiB
check "above the maximum is refused" out_has "is more than domain spin's maximum memory of 16 MiB" "$PVCTL" mem-set spin 1G
check "below 4 MiB is refused" out_has "less than the minimum of 4 MiB" "$PVCTL" mem-set spin 1M
check "a bad size is refused" out_has "'12parsecs' is not a size" "$PVCTL" mem-set spin 12parsecs
check "memory/target unchanged by refusals" test "$(xenstore-read /local/domain/$id/memory/target)" = 16384

# top --batch
out=$("$PVCTL" top --batch --iterations 2 --delay 1)
check "top --batch prints one block per iteration" test "$(printf '%s\n' "$out" | grep -c '^pvctl top:')" -eq 2
check "top shows spin with a CPU%" sh -c "printf '%s\n' \"\$1\" | grep -Eq '^$id +spin +running +[0-9]+\.[0-9] '" _ "$out"
check "top refuses a bad option" out_has "usage: pvctl" "$PVCTL" top --iterations 0

# A guest that advertises poweroff but ignores it.
xenstore-write /local/domain/$id/control/feature-poweroff 1
check "shutdown --wait times out (config: 1 s) and says what to do" \
	out_has "domain spin did not shut down within 1 s (pvctl destroy spin stops it now)" "$PVCTL" shutdown --wait spin
check "the request was written" test "$(xenstore-read /local/domain/$id/control/shutdown)" = poweroff
check "shutdown --wait --timeout 1 --force destroys it" "$PVCTL" shutdown --wait --timeout 1 --force spin
check "spin is gone" domain_gone spin
check "its nodes are gone" sh -c "! xenstore-exists /local/domain/$id"

# destroy racing a shutdown of a guest that answers.
make_xml idle init=idle "<on_poweroff>destroy</on_poweroff>" > "$RUNDIR/idle.xml"
ok=0
for i in $(seq 5); do
	"$PVCTL" create "$RUNDIR/idle.xml" >/dev/null || break
	wait_until 60 sh -c "test \"\$(xenstore-read /local/domain/\$('$PVCTL' dominfo --json idle | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"domid\"])')/control/feature-poweroff 2>/dev/null)\" = 1" || break
	"$PVCTL" shutdown --wait --timeout 120 idle >/dev/null 2>&1 &
	sp=$!
	"$PVCTL" destroy idle >/dev/null || break
	wait $sp
	domain_gone idle || break
	ok=$i
done
check "5 destroys racing a shutdown" test "$ok" -eq 5
check "no node left after the races" test "$(xenstore-list /local/domain | grep -vx 0)" = ""
check "no runner left after the races" test "$(runners)" -eq 0

# pvxenstored gone: create fails after pvhv built the domain, and undoes it.
check "create spin again" "$PVCTL" create "$RUNDIR/spin.xml"
kill "$(cat "$RUNDIR/pvxenstored.pid")"
wait_until 60 sh -c "! kill -0 $(cat "$RUNDIR/pvxenstored.pid") 2>/dev/null"
check "pvxenstored down: create says so" out_has "pvxenstored is not running in $RUNDIR (start the host with: pvctl host start)" \
	"$PVCTL" create "$RUNDIR/idle.xml"
check "... and leaves no domain" domain_gone idle
check "... and no runner" test "$(runners)" -eq 1
check "pvxenstored down: block-list says so" out_has "pvxenstored is not running" "$PVCTL" block-list spin
check "pvxenstored down: block-attach says so" out_has "pvxenstored is not running" "$PVCTL" block-attach spin "$RUNDIR/spin.xml" xvdb ro
check "pvxenstored down: mem-set says so" out_has "pvxenstored is not running" "$PVCTL" mem-set spin 8M
check "host status names it" sh -c "'$PVCTL' host status | grep -q '^pvxenstored *stopped'"
check "host start brings it back" "$PVCTL" host start
check "destroy spin" "$PVCTL" destroy spin
check "create works again" "$PVCTL" create "$RUNDIR/idle.xml"
check "destroy idle" "$PVCTL" destroy idle
check "the memory is all back" sh -c "'$PVCTL' info --json | grep -q '\"used_kib\": 0'"
finish
