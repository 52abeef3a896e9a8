#!/bin/bash
# Bad input gets a clear error and leaves nothing half-created.
. "$SV_SRCDIR/tests/integration/lib.sh"

check "commands without pvhv say how to start it" sh -c "'$PVCTL' list 2>&1 | grep -q 'pvctl host start'"
start_host --mem-budget 64M
fds_before=$(pvhv_fds)

expect_error() {	# expect_error DESCRIPTION PATTERN FILE
	local out
	out=$("$PVCTL" create "$3" 2>&1)
	if [ $? -ne 0 ] && printf '%s' "$out" | grep -qF -- "$2"; then
		pass "$1"
	else
		fail "$1 (got: $out)"
	fi
}

MEM_MIB=48 make_xml big1 init=spin > "$RUNDIR/big1.xml"
MEM_MIB=48 make_xml big2 init=spin > "$RUNDIR/big2.xml"
check "48 MiB fits in 64" "$PVCTL" create "$RUNDIR/big1.xml"
expect_error "over the budget is refused" "not enough memory" "$RUNDIR/big2.xml"
check "the refused domain left nothing" domain_gone big2
check "info shows the budget" sh -c "'$PVCTL' info | grep -q 'memory budget  64 MiB'"
check "destroy big1" "$PVCTL" destroy big1

make_xml dup init=spin > "$RUNDIR/dup.xml"
check "create dup" "$PVCTL" create "$RUNDIR/dup.xml"
expect_error "a name in use is refused" "already exists" "$RUNDIR/dup.xml"
check "destroy dup" "$PVCTL" destroy dup

sed "s|$SV_BUILDDIR/pvfront/pvos|$RUNDIR/missing-kernel|" "$RUNDIR/dup.xml" > "$RUNDIR/nokernel.xml"
expect_error "a missing kernel is named" "missing-kernel" "$RUNDIR/nokernel.xml"

sed "s|$SV_BUILDDIR/pvfront/pvos|/bin/true|" "$RUNDIR/dup.xml" > "$RUNDIR/pie.xml"
expect_error "a PIE is not a kernel" "ET_EXEC" "$RUNDIR/pie.xml"
head -c 100 "$SV_BUILDDIR/pvfront/pvos" > "$RUNDIR/trunc.elf"
sed "s|$SV_BUILDDIR/pvfront/pvos|$RUNDIR/trunc.elf|" "$RUNDIR/dup.xml" > "$RUNDIR/trunc.xml"
expect_error "a truncated kernel is refused" "bad kernel image" "$RUNDIR/trunc.xml"
printf '<domain type="xen"><name>x</name>\n<memory>oops\n' > "$RUNDIR/broken.xml"
expect_error "malformed XML names the file and line" "broken.xml:" "$RUNDIR/broken.xml"

check "nothing was left behind" test "$("$PVCTL" list --json)" = "[]"
check "no runner left" test "$(runners)" -eq 0
# pvhv closes each pvctl connection when it sees it end, maybe after pvctl exited.
check "no descriptor leaked in pvhv" wait_until 120 fds_at_most pvhv "$fds_before"
finish
