#!/bin/bash
# The Linux guest (pvfront/linux): User-Mode Linux boots under pvhv as a
# Splitvisor guest with its root filesystem on a PV disk served by
# pvblkback, runs the command given as splitvisor.run= on its console
# (hvc_xen through pvconsoled) and powers off through SCHEDOP_shutdown.
# Skips when the kernel is not built (configure --enable-linux-guest).
. "$SV_SRCDIR/tests/integration/lib.sh"

KERNEL="$SV_BUILDDIR/pvfront/linux/linux"
if [ ! -f "$KERNEL" ]; then
	echo "SKIP: the Linux guest is not built (./configure --enable-linux-guest)"
	exit 77
fi
start_host

root="$RUNDIR/root.img"
check "mkrootfs.sh builds a root filesystem" \
	sh "$SV_SRCDIR/pvfront/linux/mkrootfs.sh" "$root"

# linux_xml NAME CMDLINE: 128 MiB, root on xvda, preserved when it stops.
linux_xml() {
	cat <<XML
<domain type='xen'>
  <name>$1</name>
  <memory unit='MiB'>128</memory>
  <os>
    <type>linux</type>
    <kernel>$KERNEL</kernel>
    <cmdline>console=hvc0 root=/dev/xvda rw $2</cmdline>
  </os>
  <on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver type='raw'/>
      <source file='$root'/>
      <target dev='xvda' bus='xen'/>
    </disk>
  </devices>
</domain>
XML
}

linux_xml lx 'splitvisor.run="echo linux-run: $((6 * 7)) $(uname -s)"' > "$RUNDIR/lx.xml"
check "create the Linux guest" "$PVCTL" create "$RUNDIR/lx.xml"
check "the kernel found its start_info" wait_until 60 console_has lx "splitvisor: start_info ok"
check "it mounted its root from the PV disk" wait_until 60 console_has lx "EXT4-fs (xvda)"
check "Linux's blkfront negotiated persistent grants and indirect descriptors" \
	console_has lx "persistent grants: enabled; indirect descriptors: enabled"
check "init ran splitvisor.run in the guest's shell" wait_until 60 console_has lx "linux-run: 42 Linux"
check "it powered off" wait_until 60 state_is lx shutdown
check "with reason poweroff" test "$(json_field lx reason)" = poweroff
"$PVCTL" destroy lx >/dev/null

check "the image is still a clean ext4 filesystem" e2fsck -fn "$root"
finish
