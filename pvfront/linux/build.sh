#!/bin/sh
# build.sh: build the Linux guest (User-Mode Linux patched to run as a
# Splitvisor guest) out of tree.
#
#   build.sh SRCDIR OUTDIR
#
# SRCDIR is pvfront/linux in the source tree (patches/, series,
# splitvisor.config); OUTDIR is pvfront/linux in the build tree. In OUTDIR:
#
#   src/     the packaged kernel source, unpacked, with the series applied
#   obj/     the kernel's objects (make O=obj), kept across rebuilds
#   linux    the finished guest kernel
#
# The source is unpacked and patched again only when the series changes,
# and then only files whose content changed are replaced; the
# configuration is redone only when the series or the fragment changes;
# so Kbuild rebuilds just what a change touches. The kernel is built with `nice -n 19 make -j$LINUX_JOBS` (2 by
# default) and under a machine-wide lock, so that only one kernel build
# runs at a time on a shared machine.
#
# LINUX_TARBALL names the source package (Debian's linux-source-6.1).
set -eu

srcdir=$(cd "$1" && pwd)
outdir=$2
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
jobs=${LINUX_JOBS:-2}
lock=${LINUX_BUILD_LOCK:-/tmp/splitvisor-kernel-build.lock}

die() {
	echo "pvfront/linux/build.sh: $*" >&2
	exit 1
}

[ -r "$tarball" ] || die "no kernel source at $tarball; install linux-source-6.1 (./setup.sh does) or set LINUX_TARBALL"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
cd "$outdir"

exec 9>"$lock"
flock 9

# The kernel's make is ours alone: -j$jobs and nice, not the calling
# make's jobserver or flags.
unset MAKEFLAGS MFLAGS MAKELEVEL

# One checksum per stage: what the stage's result depends on.
series_sum=$( (cat "$srcdir/patches/series" && cd "$srcdir/patches" &&
	grep -v '^#' series | xargs cat) | sha256sum | cut -d' ' -f1)
config_sum=$(cat "$srcdir/splitvisor.config" | sha256sum | cut -d' ' -f1)
config_sum="$series_sum-$config_sum"

# The series is applied to a fresh copy of the package; then only files
# whose content differs from src/ are copied over, so an unchanged file
# keeps its timestamp and Kbuild rebuilds only what the change touches.
if [ "$(cat stamp-source 2>/dev/null)" != "$series_sum" ]; then
	echo "  LINUX    unpacking $(basename "$tarball") and applying the series"
	rm -rf src.tmp stamp-config
	mkdir src.tmp
	tar -xf "$tarball" -C src.tmp --strip-components=1
	for p in $(grep -v '^#' "$srcdir/patches/series"); do
		patch -s -p1 -d src.tmp -i "$srcdir/patches/$p" ||
			die "patch $p does not apply to $(basename "$tarball")"
	done
	if [ -d src ]; then
		rsync -r --checksum --delete src.tmp/ src/
		rm -rf src.tmp
	else
		mv src.tmp src
	fi
	echo "$series_sum" > stamp-source
fi

if [ "$(cat stamp-config 2>/dev/null)" != "$config_sum" ]; then
	echo "  LINUX    configuring: x86_64_defconfig + splitvisor.config"
	mkdir -p obj
	make -s -C src O="$outdir/obj" ARCH=um x86_64_defconfig >/dev/null
	src/scripts/kconfig/merge_config.sh -m -O obj obj/.config \
		"$srcdir/splitvisor.config" >/dev/null
	make -s -C src O="$outdir/obj" ARCH=um olddefconfig >/dev/null
	# Every option the fragment sets must have survived olddefconfig (a
	# missing dependency drops it); one it unsets must not be set.
	grep '^CONFIG_' "$srcdir/splitvisor.config" | while read -r line; do
		grep -qx "$line" obj/.config ||
			die "config fragment: '$line' did not survive olddefconfig (a dependency is missing)"
	done
	sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$srcdir/splitvisor.config" |
	while read -r opt; do
		if grep -q "^$opt=" obj/.config; then
			die "config fragment: $opt is still set after olddefconfig (something selects it)"
		fi
	done
	echo "$config_sum" > stamp-config
fi

echo "  LINUX    make ARCH=um linux (nice -n 19, -j$jobs)"
nice -n 19 make -s -C src O="$outdir/obj" ARCH=um -j"$jobs" linux
cp obj/linux linux.tmp
mv linux.tmp linux
