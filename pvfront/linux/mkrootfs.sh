#!/bin/sh
# mkrootfs.sh: the Linux guest's root filesystem, from the host's own
# Debian packages and without network access.
#
#   mkrootfs.sh OUTPUT.img [SIZE_MIB]
#
# An ext4 image with busybox (static), fio and iperf3 with the shared
# libraries they load (their ldd closure), and a small init:
#
#   - busybox init reads /etc/inittab, so the poweroff and reboot that
#     Linux's manage.c runs on `pvctl shutdown` / `pvctl reboot` work;
#   - /etc/rcS mounts /proc, /sys, /dev and /dev/pts, brings up lo and
#     eth0 (an address given with the kernel's ip= is configured by the
#     kernel itself);
#   - with splitvisor.run="COMMAND" on the kernel command line it runs
#     COMMAND with its output on the console, then powers off;
#   - otherwise init gives a shell on the console (hvc0).
#
# Needs busybox-static, fio, iperf3 and e2fsprogs (setup.sh installs them).
set -eu

out=${1:?usage: mkrootfs.sh OUTPUT.img [SIZE_MIB]}
size_mib=${2:-}

die() {
	echo "mkrootfs.sh: $*" >&2
	exit 1
}

for tool in /bin/busybox mke2fs ldd; do
	command -v "$tool" >/dev/null || die "$tool is missing; install busybox-static and e2fsprogs"
done
busybox | head -n 1 | grep -q . || die "/bin/busybox does not run"
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static; install busybox-static"
programs=""
for p in fio iperf3; do
	path=$(command -v "$p") || die "$p is missing; install it (setup.sh does)"
	programs="$programs $path"
done

root=$(mktemp -d "${TMPDIR:-/tmp}/sv-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp" "$root/root" "$root/mnt" "$root/usr/bin"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/init"
for a in poweroff reboot halt; do
	ln -sf ../bin/busybox "$root/sbin/$a"
done

# The programs and every library they load, at the paths ldd names (the
# dynamic loader included), so the image needs no ld.so.cache.
for path in $programs; do
	cp "$path" "$root/usr/bin/"
	ldd "$path" | awk '/=> \//{print $3} /^\t\//{print $1}' | while read -r lib; do
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
done

cat > "$root/etc/inittab" <<'INITTAB'
::sysinit:/etc/rcS
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
::shutdown:/bin/mount -o remount,ro /
INITTAB

cat > "$root/etc/rcS" <<'RCS'
#!/bin/sh
# rcS: the Linux guest's start-up (pvfront/linux/mkrootfs.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
hostname splitvisor-linux
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
fi

# splitvisor.run="COMMAND" (quoted, or one word): run it, then power off.
run=$(sed -n 's/.*splitvisor\.run="\([^"]*\)".*/\1/p' /proc/cmdline)
[ -n "$run" ] || run=$(sed -n 's/.*splitvisor\.run=\([^" ][^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$run" ]; then
	echo "splitvisor.run: $run"
	/bin/sh -c "$run"
	echo "splitvisor.run: exit status $?"
	sync
	mount -o remount,ro /
	poweroff -f
fi
RCS
chmod 755 "$root/etc/rcS"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"

used_mib=$(du -sm "$root" | cut -f1)
[ -n "$size_mib" ] || size_mib=$((used_mib + used_mib / 4 + 32))
[ "$size_mib" -gt "$used_mib" ] || die "$size_mib MiB is too small for $used_mib MiB of files"
rm -f "$out.tmp"
truncate -s "${size_mib}M" "$out.tmp"
mke2fs -q -F -t ext4 -L splitvisor-root -E root_owner=0:0 -d "$root" "$out.tmp"
mv "$out.tmp" "$out"
echo "mkrootfs.sh: $out: ${size_mib} MiB ext4, ${used_mib} MiB used"
