#!/bin/bash
# setup.sh: set up a fresh Debian 12 machine for Splitvisor and run it.
#
#   ./setup.sh demo    install, build, start the host daemons and boot the
#                      example guest, showing its console
#   ./setup.sh check   install, build and run the whole test suite, then
#                      fuzz pvxenstored's parsers for FUZZ_SECONDS (60)
#   ./setup.sh build   install and build only
#
# Run as root: it installs Debian packages and the daemons run as root.
# BUILDDIR (default ./build) and SPLITVISOR_RUNDIR are honoured.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
builddir=${BUILDDIR:-$top/build}

packages=(
	build-essential autoconf automake pkg-config
	libxml2-dev libxml2-utils uuid-dev libcunit1-dev liburing-dev
	libseccomp-dev libxen-dev xenstore-utils
	python3 procps iproute2 gnuplot-nox clang
	linux-source-6.1 flex bison bc rsync busybox-static fio iperf3 e2fsprogs
)

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: run as root (it installs packages and runs the host daemons)" >&2
		exit 1
	fi
}

install_deps() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return
	fi
	echo "== installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
	echo "== building in $builddir"
	cd "$top"
	[ -x configure ] || autoreconf -fi
	mkdir -p "$builddir"
	cd "$builddir"
	[ -f Makefile ] || "$top/configure" --quiet
	make -j"$(nproc)" --no-print-directory
}

demo() {
	local pvctl=$builddir/dom0/pvctl img=$top/examples/pvdisk.img
	if [ ! -f "$img" ]; then
		echo "== creating $img: 64 MiB, sparse, with 4 MiB of random data"
		truncate -s 64M "$img"
		dd if=/dev/urandom of="$img" bs=1M count=4 conv=notrunc status=none
	fi
	echo "== starting the host daemons"
	"$pvctl" host start
	"$pvctl" destroy pvdisk >/dev/null 2>&1 || true
	echo "== booting examples/pvdisk.xml: pvos hashes its PV disk (its console follows)"
	"$pvctl" create --console "$top/examples/pvdisk.xml"
	echo "== the same image hashed by the host:"
	sha256sum "$img"
	echo "== pvctl list"
	"$pvctl" list
	echo "The host stays up: try '$pvctl list', or stop it with '$pvctl host stop'."
}

check() {
	echo "== running the test suite"
	cd "$builddir"
	make -j"$(nproc)" --no-print-directory check
	echo "== fuzzing pvxenstored's wire and ring parsers for ${FUZZ_SECONDS:-60} s"
	XS_FUZZ_DIR="$builddir/fuzz" sh "$top/tests/fuzz/xs-fuzz.sh" "${FUZZ_SECONDS:-60}" 2>&1 | tail -n 3
}

case "${1:-}" in
demo) need_root; install_deps; build; demo ;;
check) need_root; install_deps; build; check ;;
build) need_root; install_deps; build ;;
*) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
